"""The run folder, the one home of what every long run of the house keeps on disk: an
evaluation (``trials.jsonl``, ``run.json``), the dataset generator (``generation.jsonl``,
``generation.json``) and the tryout (``tryout.jsonl``).

A :class:`RunFolder` is created and proved writable, locked for a run's life (the OS drops
the lock when its process dies, so a killed run leaves no stale lock), holds the run's
file (what it was asked to do, and its *identity*: what a resume must share with it), its
append-only row log (:class:`~simgrasp.protocols.rows.RowLog`: fsync'd, a torn last line
repaired) and the index of the last run of each key
(:class:`~simgrasp.protocols.rows.SavedRows`). Every JSON file is written atomically (a
temporary file, then ``os.replace``), so a crash never leaves half a file."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from simgrasp.protocols.rows import TRIALS_FILE, Key, RowLog, policy_seed

RUN_FILE = "run.json"
LOCK_FILE = ".lock"


class RunError(ValueError):
    """A run cannot start or go on; the message is one line meant for the user."""


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (a temporary file, then ``os.replace``)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False, default=str))
    os.replace(tmp, path)


def _plain(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples become lists), so a fresh identity compares
    equal to one read from a file."""
    return json.loads(json.dumps(value, default=str))


def identity_mismatch(old: dict[str, Any], new: dict[str, Any], extendable: tuple[str, ...] = ()) -> str | None:
    """The first field in which two identities differ, said as ``it was run with
    KEY=OLD, this run has NEW`` (None when they agree). Every key of either counts: a key
    only one of them has is a difference. A key in ``extendable`` holds a list that the new
    identity may extend: the old list, in its order, then new items."""
    old, new = _plain(old), _plain(new)
    for key in [*old, *(k for k in new if k not in old)]:
        was, has = old.get(key, ...), new.get(key, ...)
        if key in extendable and isinstance(was, list) and isinstance(has, list) and has[: len(was)] == was:
            continue
        if was != has:
            was = f"{key}={old[key]!r}" if key in old else f"no {key}"
            has = repr(new[key]) if key in new else "none"
            return f"it was run with {was}, this run has {has}"
    return None


class RunFolder:
    """One run's folder at ``path``: ``run_file`` holds the run's record (its identity
    under ``"identity"``, or, with ``identity_key=None``, the whole file is the identity),
    ``rows_file`` its row log whose rows ``key`` names."""

    def __init__(self, path: str | Path, run_file: str = RUN_FILE, rows_file: str = TRIALS_FILE,
                 key: Key = policy_seed, identity_key: str | None = "identity") -> None:
        self.path = Path(path)
        self.run_file, self.rows_file, self.key, self.identity_key = run_file, rows_file, key, identity_key

    @property
    def rows_path(self) -> Path:
        return self.path / self.rows_file

    def create(self) -> bool:
        """Create the folder (True when it did not exist) and prove it writable."""
        fresh = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise RunError(f"output folder {self.path} is not writable: {e.strerror or e}") from None
        return fresh

    def remove_if_empty(self) -> None:
        """Remove the folder when it holds nothing but its lock (a run that never started)."""
        if self.path.is_dir() and {p.name for p in self.path.iterdir()} <= {LOCK_FILE}:
            (self.path / LOCK_FILE).unlink(missing_ok=True)
            self.path.rmdir()

    @contextmanager
    def lock(self) -> Iterator["RunFolder"]:
        """Hold an exclusive lock on the folder for the block, or RunError when another
        run holds it."""
        f = (self.path / LOCK_FILE).open("a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise RunError(f"{self.path} is in use by another run; wait for it or choose another --out") from None
        try:
            yield self
        finally:
            f.close()  # closing releases the lock

    def refuse_mixing(self, resume: bool) -> None:
        """Refuse to mix a new run into an old one."""
        if not resume and (self.rows_path.exists() or (self.path / self.run_file).exists()):
            raise RunError(f"{self.path} already holds a run; pass --resume to finish that run or choose another --out")

    def read_run(self) -> dict[str, Any] | None:
        """The run file (None when there is none); RunError when it is not a JSON object
        (with a ``config`` object, where the identity is a part of the file)."""
        path = self.path / self.run_file
        if not path.is_file():
            return None
        try:
            d = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RunError(f"{path} is not valid JSON ({e}); restore it or start a new run") from None
        if not isinstance(d, dict) or (self.identity_key is not None and not isinstance(d.get("config", {}), dict)):
            raise RunError(f"{path}: expected a JSON object with a 'config' object, got {type(d).__name__}")
        return d

    def identity(self) -> dict[str, Any] | None:
        """The identity the folder's run was started with (None: no run file)."""
        run = self.read_run()
        if run is None:
            return None
        return run if self.identity_key is None else dict(run.get(self.identity_key) or {})

    def check_resume(self, identity: dict[str, Any], defaults: dict[str, Any] | None = None,
                     extendable: tuple[str, ...] = ()) -> None:
        """RunError unless the folder's run has ``identity``, the whole of it (no run file:
        nothing to check). ``defaults``: what a run file written before a field existed
        had for it; ``extendable``: list fields the resumed run may extend
        (:func:`identity_mismatch`)."""
        old = self.identity()
        why = None if old is None else identity_mismatch({**(defaults or {}), **old}, identity, extendable)
        if why is not None:
            raise RunError(f"cannot resume {self.path}: {why}")

    def write_run(self, identity: dict[str, Any], **extra: Any) -> None:
        """Write the run file: ``identity`` (and ``extra`` fields beside it)."""
        record = _plain(identity) if self.identity_key is None else {self.identity_key: identity, **extra}
        write_json(self.path / self.run_file, record)

    def log(self) -> RowLog:
        """The row log, opened for appending (a torn last line repaired first)."""
        return RowLog(self.rows_path, self.key)
