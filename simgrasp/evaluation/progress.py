"""The progress bar: jobs done (trials, or clearing episodes) and each policy's running
success rate over its grasps."""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any, Iterable

from tqdm import tqdm

from simgrasp.protocols.summary import is_infrastructure


class Progress:
    """A tqdm bar over ``total`` jobs, starting at ``done`` (resume) with the rows already
    saved counted. The postfix shows ``policy=rate`` over grasps without an infrastructure
    error, and the count of such errors when there are any."""

    def __init__(self, total: int, done: int = 0, initial_rows: Iterable[dict[str, Any]] = (), enabled: bool = True,
                 unit: str = "trial") -> None:
        self._ok: dict[str, int] = defaultdict(int)
        self._n: dict[str, int] = defaultdict(int)
        self._infra = 0
        for r in initial_rows:  # counted, not kept
            self._count(r)
        self._bar = tqdm(
            total=total, initial=done, unit=unit, dynamic_ncols=True, disable=not enabled, file=sys.stderr
        )
        self._refresh()

    def _count(self, row: dict[str, Any]) -> None:
        if is_infrastructure(row):
            self._infra += 1
            return
        self._n[row["policy"]] += 1
        self._ok[row["policy"]] += bool(row.get("success"))

    def _refresh(self) -> None:
        post = {p: f"{self._ok[p] / n:.2f}" for p, n in self._n.items() if n}
        if self._infra:
            post["infra_errors"] = str(self._infra)
        self._bar.set_postfix(post, refresh=False)

    def update(self, rows: Iterable[dict[str, Any]]) -> None:
        """Count one finished job's rows."""
        for r in rows:
            self._count(r)
        self._refresh()
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()
