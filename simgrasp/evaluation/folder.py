"""The run folder: created and proved writable, locked for a run's life, its ``run.json``
read with a clear error and every JSON file written atomically (a temporary file, then
``os.replace``), so a crash never leaves half a file."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from simgrasp.evaluation.log import TRIALS_FILE

RUN_FILE = "run.json"
LOCK_FILE = ".lock"


class EvaluationError(Exception):
    """The run cannot start or go on; the message is one line meant for the user."""


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` and prove it writable."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as e:
        raise EvaluationError(f"output folder {out_dir} is not writable: {e.strerror or e}") from None


def refuse_mixing(out_dir: Path, resume: bool) -> None:
    """Refuse to mix a new run into an old one."""
    if not resume and (out_dir / TRIALS_FILE).exists():
        raise EvaluationError(
            f"{out_dir} already holds trials; pass --resume to finish that run or choose another --out"
        )


@contextmanager
def run_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` for the block, or EvaluationError when another
    run holds it. The OS drops the lock when its process dies, so a killed run leaves no
    stale lock behind."""
    f = (out_dir / LOCK_FILE).open("a+")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise EvaluationError(f"{out_dir} is in use by another run; wait for it or choose another --out") from None
    try:
        yield
    finally:
        f.close()  # closing releases the lock


def read_run_file(out_dir: Path) -> dict[str, Any] | None:
    """The ``run.json`` of ``out_dir`` (None when there is none); EvaluationError when it
    is not a JSON object."""
    path = out_dir / RUN_FILE
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise EvaluationError(f"{path} is not valid JSON ({e}); restore it or start a new run") from None
    if not isinstance(d, dict) or not isinstance(d.get("config", {}), dict):
        raise EvaluationError(f"{path}: expected a JSON object with a 'config' object, got {type(d).__name__}")
    return d


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (a temporary file, then ``os.replace``)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False, default=str))
    os.replace(tmp, path)
