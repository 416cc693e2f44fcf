"""The cell console: a small HTTP side channel next to the controller, on 127.0.0.1.

A cell often has one: a network camera's still-image URL and a staging station (a feeder,
a PLC or an operator's screen) that puts the next object in place. The twin serves both:

- ``GET /frame.png``: the camera's current frame (PNG), read by
  :class:`~simgrasp.robots.camera.SnapshotCamera` through ``camera.source = "snapshot:URL"``;
- ``POST /scene?seed=N``: stage the scene of seed ``N``; the JSON reply names the object
  (``{"seed": N, "object": "...", "skipped": [...]}``), read by :func:`stage` when
  ``cell.stage_url`` is set in the robot config.

Nothing here knows what stands behind the callables: the server takes them.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import numpy as np

from simgrasp.robots.errors import RobotError

HOST = "127.0.0.1"


class CellStagingError(RuntimeError):
    """The staging station could not serve this seed's scene (the trial is an
    infrastructure error; the run goes on)."""


class CellConsoleError(RobotError):
    """The cell console does not answer: no trial can run until it does."""


def encode_png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(rgb[:, :, ::-1]))
    if not ok:
        raise RuntimeError("could not encode the frame as PNG")
    return buf.tobytes()


class ConsoleServer:
    """Serves ``frame()`` (RGB uint8) at ``/frame.png`` and ``stage(seed)`` (a JSON-able
    dict) at ``POST /scene?seed=N``, in a thread. ``port=0`` picks a free port."""

    def __init__(self, frame: Callable[[], np.ndarray], stage: Callable[[int], dict[str, Any]], port: int = 0) -> None:
        console = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the emulator logs what matters
                pass

            def _reply(self, code: int, body: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if urllib.parse.urlparse(self.path).path != "/frame.png":
                    return self._reply(404, b"expected GET /frame.png", "text/plain")
                self._reply(200, encode_png(console.frame()), "image/png")

            def do_POST(self) -> None:
                url = urllib.parse.urlparse(self.path)
                seed = urllib.parse.parse_qs(url.query).get("seed", [""])[0]
                if url.path != "/scene" or not seed.isdigit():
                    why = f"expected POST /scene?seed=N (N >= 0), got {self.path}"
                    return self._reply(400, why.encode(), "text/plain")
                try:
                    body = json.dumps(console.stage(int(seed))).encode()
                except Exception as e:  # the cell could not stage it: say why
                    return self._reply(500, f"{type(e).__name__}: {e}".encode(), "text/plain")
                self._reply(200, body, "application/json")

        self.frame, self.stage = frame, stage
        self._server = ThreadingHTTPServer((HOST, port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> "ConsoleServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def stage(url: str, seed: int, timeout_s: float = 60.0) -> dict[str, Any]:
    """Ask the staging station at ``url`` for the scene of ``seed``; returns its JSON reply
    (at least ``object``). Raises :class:`CellStagingError` when it refuses the seed and
    :class:`CellConsoleError` when nothing answers."""
    target = f"{url.rstrip('/')}/scene?seed={int(seed)}"
    try:
        with urllib.request.urlopen(urllib.request.Request(target, data=b"", method="POST"), timeout=timeout_s) as r:
            reply = json.loads(r.read())
    except urllib.error.HTTPError as e:
        why = e.read().decode(errors="replace")
        raise CellStagingError(f"the cell console at {url} refused seed {seed}: {why}") from None
    except OSError as e:
        raise CellConsoleError(f"no answer from the cell console at {url} for seed {seed}: {e}") from None
    except ValueError as e:
        raise CellStagingError(f"the cell console at {url} sent no JSON for seed {seed}: {e}") from None
    if not isinstance(reply, dict) or "object" not in reply:
        raise CellStagingError(f"expected a JSON object naming the staged object from {target}, got {reply!r}")
    return reply
