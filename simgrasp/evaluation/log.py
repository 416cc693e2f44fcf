"""``trials.jsonl``: one JSON row per finished trial, appended and synced at once, so an
interrupted run keeps every trial it finished and ``--resume`` does only the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

TRIALS_FILE = "trials.jsonl"


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a trial log. A line that does not parse (a write cut short by a crash) is
    skipped: that trial counts as not done and is run again on resume."""
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
            if isinstance(row, dict) and "policy" in row and "seed" in row:
                rows.append(row)
    return rows


def done_keys(rows: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
    """The (policy, seed) pairs already run."""
    return {(r["policy"], int(r["seed"])) for r in rows}


class TrialLog:
    """Appends rows to ``trials.jsonl`` in ``run_dir``, one line each, flushed and synced.

    Opening it rewrites the file without any partial last line left by a crash, so new
    rows never land glued to a broken one."""

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
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_bytes(data[:cut])
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
