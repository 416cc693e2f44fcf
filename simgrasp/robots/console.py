"""The client of a cell console: a small HTTP side channel next to the controller.

A cell often has one: a network camera's still-image URL (read by
:class:`~simgrasp.robots.camera.SnapshotCamera` through ``camera.source = "snapshot:URL"``)
and a staging station (a feeder, a PLC or an operator's screen) that puts the next object
in place: :func:`stage` asks it for the scene of a seed (``POST URL/scene?seed=N``, a JSON
reply naming the object) when ``cell.stage_url`` is set in the robot config. The twin's
console (:mod:`simgrasp.rehearsal.console`) serves both.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from simgrasp.robots.errors import RobotError


class CellStagingError(RuntimeError):
    """The staging station could not serve this seed's scene (the trial is an
    infrastructure error; the run goes on)."""


class CellConsoleError(RobotError):
    """The cell console does not answer: no trial can run until it does."""


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
