"""The twin's cell console: a small HTTP side channel next to the controller, on 127.0.0.1.

A cell often has one: a network camera's still-image URL and a staging station (a feeder,
a PLC or an operator's screen) that puts the next object in place. The twin serves both:

- ``GET /frame.png``: the camera's current frame (PNG), read by
  :class:`~simgrasp.robots.camera.SnapshotCamera` through ``camera.source = "snapshot:URL"``;
- ``GET /depth.png``: its depth frame, a 16-bit PNG in millimetres (0: no depth), read
  through ``camera.depth_source = "snapshot:URL"`` (404 when the server has no depth);
- ``POST /scene?seed=N``: stage the scene of seed ``N``; the JSON reply names the object
  (``{"seed": N, "object": "...", "skipped": [...]}``), read by
  :func:`simgrasp.robots.console.stage` when ``cell.stage_url`` is set in the robot config.

A malformed query (no seed, two, one that is not plain decimal digits, one beyond
:data:`MAX_SEED`, an unknown parameter) gets HTTP 400 and a one-line reason; an unknown
path 404; a callable that fails 500 with its error on one line. Nothing here knows what
stands behind the callables: the server takes them.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import numpy as np

from simgrasp.backends.base import check_seed
from simgrasp.robots.camera import depth_to_counts

HOST = "127.0.0.1"
# The sim takes any seed >= 0 (numpy's SeedSequence has no bound); the console takes those
# that every reader of a run carries exactly: numpy int64 arrays, JSON readers of the rows.
MAX_SEED = 2**63 - 1
MAX_QUERY = 256  # characters; a longer query is refused before it is parsed


def encode_png(image: np.ndarray) -> bytes:
    """An RGB uint8 (H, W, 3) frame, or a uint16 (H, W) depth image of counts, as PNG bytes."""
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image[:, :, ::-1] if image.ndim == 3 else image))
    if not ok:
        raise RuntimeError("could not encode the frame as PNG")
    return buf.tobytes()


def parse_seed(query: str) -> int:
    """The seed of a ``/scene`` query string (``"seed=12"``); ValueError with a one-line
    reason unless it holds exactly one ``seed``, written in ASCII digits, 0..MAX_SEED."""
    if len(query) > MAX_QUERY:
        raise ValueError(f"expected a query of at most {MAX_QUERY} characters, got {len(query)}")
    try:
        params = urllib.parse.parse_qs(query, keep_blank_values=True, strict_parsing=bool(query), errors="strict")
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"expected a query seed=N, got {query!r}: {e}") from None
    unknown = sorted(set(params) - {"seed"})
    if unknown:
        raise ValueError(f"expected only the parameter seed, got {unknown}")
    values = params.get("seed", [])
    if len(values) != 1:
        raise ValueError(f"expected one seed=N, got {len(values)} seed parameters")
    text = values[0]
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"expected the seed in decimal digits 0-9, got {text!r}")
    if len(text) > len(str(MAX_SEED)) or int(text) > MAX_SEED:
        raise ValueError(f"expected a seed in 0..{MAX_SEED}, got {text[:40]}{'...' if len(text) > 40 else ''}")
    return check_seed(int(text))


def one_line(text: str) -> bytes:
    """``text`` as a single line of UTF-8 ending in a newline (reasons in replies)."""
    return (" ".join(text.split()) + "\n").encode("utf-8", "replace")


class ConsoleServer:
    """Serves ``frame()`` (RGB uint8) at ``/frame.png``, ``depth()`` (float32 metres) at
    ``/depth.png`` when given, and ``stage(seed)`` (a JSON-able dict) at
    ``POST /scene?seed=N``, in a thread. ``port=0`` picks a free port."""

    def __init__(self, frame: Callable[[], np.ndarray], stage: Callable[[int], dict[str, Any]], port: int = 0,
                 depth: Callable[[], np.ndarray] | None = None) -> None:
        console = self

        class Handler(BaseHTTPRequestHandler):
            # the server's own refusals (a garbled request line, an unknown method) on one line too
            error_message_format = "%(code)d %(message)s\n"
            error_content_type = "text/plain; charset=utf-8"

            def log_message(self, *args: Any) -> None:  # quiet: the emulator logs what matters
                pass

            def _reply(self, code: int, body: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _refuse(self, code: int, why: str) -> None:
                self._reply(code, one_line(why), "text/plain; charset=utf-8")

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                paths = ["/frame.png"] + (["/depth.png"] if console.depth is not None else [])
                if url.path not in paths:
                    return self._refuse(404, f"expected GET {' or '.join(paths)}, got GET {self.path[:200]}")
                try:
                    if url.path == "/frame.png":
                        body = encode_png(console.frame())
                    else:
                        body = encode_png(depth_to_counts(console.depth()))  # type: ignore[misc]
                except Exception as e:  # the camera could not render: say why
                    return self._refuse(500, f"no frame: {type(e).__name__}: {e}")
                self._reply(200, body, "image/png")

            def do_POST(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/scene":
                    return self._refuse(404, f"expected POST /scene?seed=N, got POST {self.path[:200]}")
                try:
                    seed = parse_seed(url.query)
                except ValueError as e:
                    return self._refuse(400, f"POST /scene?seed=N: {e}")
                try:
                    body = json.dumps(console.stage(seed)).encode()
                except Exception as e:  # the cell could not stage it: say why
                    return self._refuse(500, f"{type(e).__name__}: {e}")
                self._reply(200, body, "application/json")

        self.frame, self.stage, self.depth = frame, stage, depth
        self._server = ThreadingHTTPServer((HOST, port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> "ConsoleServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
