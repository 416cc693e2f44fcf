"""``trials.jsonl``: one JSON row per finished trial, appended and synced at once, so an
interrupted run keeps every trial it finished and ``--resume`` does only the rest.

One row per trial: a trial that ended in an infrastructure error (``sim_error``,
``robot_error``) is run again on resume and its new row appended; every result is derived
from the last row of each (policy, seed) (:func:`latest_rows`), so the earlier row stays
in the file as history and never counts twice. :class:`SavedRows` finds those last rows
of a log of any length holding only their places in the file, not the rows."""

from __future__ import annotations

import json
import os
from array import array
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from simgrasp.evaluation.results import trial_order

TRIALS_FILE = "trials.jsonl"


def scan_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(byte offset, row)`` of every row of a trial log, read one line at a time. A line
    that does not parse (a write cut short by a crash), or a row without a str ``policy``
    and an int ``seed``, is skipped: that trial counts as not done and is run again on
    resume."""
    p = Path(path)
    if not p.is_file():
        return
    with p.open("rb") as f:
        end = 0
        for line in f:
            start, end = end, end + len(line)
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:  # not JSON, or not UTF-8
                continue
            if _well_formed(row):
                yield start, row


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a trial log (see :func:`scan_rows` for what is skipped)."""
    return [row for _, row in scan_rows(path)]


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
    done: set[tuple[str, int]] = set()
    for r in rows:  # the last row of a key decides; only the keys are held
        key = (r["policy"], int(r["seed"]))
        if r.get("infrastructure_error"):
            done.discard(key)
        else:
            done.add(key)
    return done


class SavedRows(Sequence[dict[str, Any]]):
    """The last row of each (policy, seed) of a trial log that ``keep`` accepts, in the
    order of their last appearance (as :func:`latest_rows`), held as where each lies in
    the file: 32 bytes a row, whatever the row holds. Rows are read back when iterated,
    so a run of any length is summarised in bounded memory. The log only grows by
    appending, so the offsets stay valid while more rows are written."""

    def __init__(self, path: str | Path, keep: Callable[[dict[str, Any]], bool] | None = None) -> None:
        self.path = Path(path)
        self.policies: list[str] = []  # labels in order of first appearance
        codes: dict[str, int] = {}
        code, seed, trial, offset = (array("q") for _ in range(4))
        for at, row in scan_rows(self.path):
            if keep is not None and not keep(row):
                continue
            label = row["policy"]
            if label not in codes:
                codes[label] = len(self.policies)
                self.policies.append(label)
            t, s = trial_order(row)
            code.append(codes[label])
            seed.append(s)
            trial.append(t)
            offset.append(at)
        c, s_, t_, o = (np.frombuffer(a, np.int64) for a in (code, seed, trial, offset))
        # The last row of each (policy, seed): sort by key then position, keep each key's final one.
        by_key = np.lexsort((np.arange(len(c)), s_, c))
        ck, sk = c[by_key], s_[by_key]
        last = np.ones(len(c), bool)
        last[:-1] = (ck[1:] != ck[:-1]) | (sk[1:] != sk[:-1])
        kept = np.sort(by_key[last])
        self._code, self._seed, self._trial, self._offset = c[kept], s_[kept], t_[kept], o[kept]

    def __len__(self) -> int:
        return len(self._offset)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._read(self._offset)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return list(self._read(self._offset[i]))
        return next(self._read(self._offset[[i]]))

    def by_policy(self) -> dict[str, Iterable[dict[str, Any]]]:
        """Each policy's rows in trial order (:func:`~simgrasp.evaluation.results.trial_order`),
        read back when iterated: what :func:`~simgrasp.evaluation.results.summarize_groups` takes."""
        return {label: _Rows(self, self._offset[self._trial_order(k)]) for k, label in enumerate(self.policies)}

    def _trial_order(self, code: int) -> np.ndarray:
        mine = np.flatnonzero(self._code == code)
        return mine[np.lexsort((self._seed[mine], self._trial[mine]))]

    def _read(self, offsets: np.ndarray) -> Iterator[dict[str, Any]]:
        if not len(offsets):
            return  # no row: the log may not exist
        with self.path.open("rb") as f:
            for at in offsets.tolist():
                f.seek(at)
                yield json.loads(f.readline())


class _Rows:
    """Rows of a log at ``offsets``, read each time they are iterated."""

    def __init__(self, saved: SavedRows, offsets: np.ndarray) -> None:
        self.saved, self.offsets = saved, offsets

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.saved._read(self.offsets)


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
