"""``trials.jsonl``: one JSON row per finished trial, appended and synced at once, so an
interrupted run keeps every trial it finished and ``--resume`` does only the rest.

One row per trial: a trial that ended in an infrastructure error (``sim_error``,
``robot_error``) is run again on resume and its new row appended; every result is derived
from the last row of each (policy, seed) (:func:`latest_rows`), so the earlier row stays
in the file as history and never counts twice."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

TRIALS_FILE = "trials.jsonl"


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a trial log. A line that does not parse (a write cut short by a crash), or a
    row without a str ``policy`` and an int ``seed``, is skipped: that trial counts as not
    done and is run again on resume."""
    p = Path(path)
    if not p.is_file():
        return []
    rows = []
    with p.open("r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if _well_formed(row):
                rows.append(row)
    return rows


def _well_formed(row: Any) -> bool:
    seed = row.get("seed") if isinstance(row, dict) else None
    return isinstance(row.get("policy"), str) and isinstance(seed, int) and not isinstance(seed, bool)


def latest_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last row of each (policy, seed), in the order of their last appearance."""
    keep: dict[tuple[str, int], dict[str, Any]] = {}
    for r in rows:
        key = (r["policy"], int(r["seed"]))
        keep.pop(key, None)
        keep[key] = r
    return list(keep.values())


def done_keys(rows: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
    """The (policy, seed) pairs already run to an outcome. A trial whose last row is an
    infrastructure error is not done: resume runs it again."""
    return {(r["policy"], int(r["seed"])) for r in latest_rows(rows) if not r.get("infrastructure_error")}


class TrialLog:
    """Appends rows to ``trials.jsonl`` in ``run_dir``, one line each, flushed and synced.

    Opening it repairs a last line without its newline: a complete JSON row gets its
    newline, a torn one (a write cut short by a crash) is dropped, so new rows never land
    glued to a broken one and what is counted is what the file holds."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / TRIALS_FILE
        self._repair()
        self._f = self.path.open("a", encoding="utf-8")

    def _repair(self) -> None:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            try:
                complete = _well_formed(json.loads(data[cut:]))
            except (json.JSONDecodeError, UnicodeDecodeError):
                complete = False
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_bytes(data + b"\n" if complete else data[:cut])
            os.replace(tmp, self.path)

    def append(self, row: dict[str, Any]) -> None:
        """Write one row and make it durable before returning."""
        self._f.write(json.dumps(row, sort_keys=True, allow_nan=False) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> "TrialLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
