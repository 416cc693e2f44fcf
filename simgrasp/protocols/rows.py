"""Append-only JSONL row logs: one JSON row a line, appended and synced at once, so an
interrupted run keeps every row it finished and a resume does only the rest.

Every log of the house is one of these: an evaluation's ``trials.jsonl`` (one row per
grasp), the generator's ``generation.jsonl`` (one row per scene), the tryout's
``tryout.jsonl``. A log names its rows by a *key* (``(policy, seed)`` for a trial); a
line that does not parse, or whose key cannot be read, is no row. A job run again (after
an infrastructure error, or cut off by a crash) appends its rows anew, and what counts is
the *last run* of each key (:class:`SavedRows`): the last row, or, for a job of several
rows (a clearing episode), the rows from its last *start* on. Earlier rows stay in the
file as history and never count twice."""

from __future__ import annotations

import json
import os
from array import array
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator, Sequence

import numpy as np

TRIALS_FILE = "trials.jsonl"

Key = Callable[[dict[str, Any]], Hashable]
"""Names a row of a log; raises (KeyError, TypeError, ValueError) for a row that is none."""


def policy_seed(row: dict[str, Any]) -> tuple[str, int]:
    """The key of an evaluation row: ``(policy label, seed)``; TypeError unless the policy
    is a str and the seed an int (bools refused)."""
    policy, seed = row["policy"], row["seed"]
    if not isinstance(policy, str) or not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"expected a str policy and an int seed, got {policy!r} and {seed!r}")
    return policy, seed


def _key_or_none(key: Key, row: Any) -> Hashable | None:
    if not isinstance(row, dict):
        return None
    try:
        return key(row)
    except (KeyError, TypeError, ValueError):
        return None


def scan_rows(path: str | Path, key: Key = policy_seed) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(byte offset, row)`` of every row of a log, read one line at a time. A line that
    does not parse (a write cut short by a crash), or a row ``key`` cannot name, is
    skipped: its job counts as not done and runs again on resume."""
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
            if _key_or_none(key, row) is not None:
                yield start, row


def read_rows(path: str | Path, key: Key = policy_seed) -> list[dict[str, Any]]:
    """Rows of a log (see :func:`scan_rows` for what is skipped)."""
    return [row for _, row in scan_rows(path, key)]


Order = Callable[[dict[str, Any]], tuple[int, int]]


def policy_of(row: dict[str, Any]) -> str:
    """The group of an evaluation row: its policy label."""
    return str(row["policy"])


def trial_order(row: dict[str, Any]) -> tuple[int, int]:
    """Where a row stands among its policy's rows: ``(trial index, seed)``. Rows are
    summarised in this order, so a run's figures (sums of floats among them) do not
    depend on the order in which its trials finished."""
    return int(row.get("trial", 0)), int(row["seed"])


class SavedRows(Sequence[dict[str, Any]]):
    """The last run of each key of a log, of the rows ``keep`` accepts, in file order,
    held as where each row lies in the file (a few dozen bytes a row, whatever it holds)
    and read back when iterated, so a run of any length is summarised in bounded memory.
    The log only grows by appending, so the offsets stay valid while more rows come.

    ``starts(row)``: whether a row begins a new run of its key (None: every row does, so
    the last row of each key is kept). ``group`` and ``order``: :meth:`by_group` gives
    each group's rows (a policy's: :func:`policy_of`; None: one group ``""``) sorted by
    ``order`` (:func:`trial_order`; None: by place alone)."""

    def __init__(self, path: str | Path, key: Key = policy_seed, keep: Callable[[dict[str, Any]], bool] | None = None,
                 starts: Callable[[dict[str, Any]], bool] | None = None,
                 group: Callable[[dict[str, Any]], str] | None = None, order: Order | None = None) -> None:
        self.path = Path(path)
        self.groups: list[str] = []  # group labels in order of first appearance
        group_codes: dict[str, int] = {}
        key_codes: dict[Hashable, int] = {}
        code, kcode, first, second, offset = (array("q") for _ in range(5))
        start = bytearray()
        for at, row in scan_rows(self.path, key):
            if keep is not None and not keep(row):
                continue
            label = "" if group is None else group(row)
            if label not in group_codes:
                group_codes[label] = len(self.groups)
                self.groups.append(label)
            a, b = (0, 0) if order is None else order(row)
            code.append(group_codes[label])
            kcode.append(key_codes.setdefault(key(row), len(key_codes)))
            first.append(a)
            second.append(b)
            offset.append(at)
            start.append(starts is None or bool(starts(row)))
        c, k, a_, b_, o = (np.frombuffer(x, np.int64) for x in (code, kcode, first, second, offset))
        s = np.frombuffer(bytes(start), np.uint8).astype(bool)
        pos = np.arange(len(o))
        last_start = np.full(len(key_codes), -1, np.int64)  # where each key's last run begins
        np.maximum.at(last_start, k[s], pos[s])
        kept = pos[pos >= last_start[k]] if len(o) else pos
        self._code, self._first, self._second, self._offset = c[kept], a_[kept], b_[kept], o[kept]

    def __len__(self) -> int:
        return len(self._offset)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._read(self._offset)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return list(self._read(self._offset[i]))
        return next(self._read(self._offset[[i]]))

    def by_group(self) -> dict[str, Iterable[dict[str, Any]]]:
        """Each group's rows in ``order``, read back each time they are iterated: what
        :func:`~simgrasp.protocols.summary.summarize_groups` takes."""
        return {label: _Rows(self, self._offset[self._in_order(g)]) for g, label in enumerate(self.groups)}

    def _in_order(self, code: int) -> np.ndarray:
        mine = np.flatnonzero(self._code == code)
        return mine[np.lexsort((mine, self._second[mine], self._first[mine]))]

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


class RowLog:
    """Appends rows to the log at ``path``, one line each, flushed and synced.

    Opening it repairs a last line without its newline: a complete row (one ``key``
    names) gets its newline, a torn one (a write cut short by a crash) is dropped, so new
    rows never land glued to a broken one and what is counted is what the file holds."""

    def __init__(self, path: str | Path, key: Key = policy_seed) -> None:
        self.path, self.key = Path(path), key
        self._repair()
        self._f = self.path.open("a", encoding="utf-8")

    def _repair(self) -> None:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            try:
                complete = _key_or_none(self.key, json.loads(data[cut:])) is not None
            except (json.JSONDecodeError, UnicodeDecodeError):
                complete = False
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_bytes(data + b"\n" if complete else data[:cut])
            os.replace(tmp, self.path)

    def append(self, row: dict[str, Any]) -> None:
        """Write one row and make it durable before returning."""
        self.append_all([row])

    def append_all(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write ``rows`` together (one write, one sync) and make them durable before
        returning: a job of several rows (a clearing episode) lands whole, or, after a
        crash, as its first rows and at most one torn line, which the next open drops."""
        if rows:
            self._f.write("".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in rows))
            self._f.flush()
            os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> "RowLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
