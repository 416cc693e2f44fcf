"""The protocol contract: what the one runner (:mod:`simgrasp.evaluation.runner`) asks of
every protocol, and the jobs they share.

A job is job ``index`` of a policy on the scene of ``seed`` (a trial, or a clearing
episode); job ``i`` of every policy uses seed ``seed + i``, so policies run together face
the same scenes and the same command gives the same rows whatever the number of workers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from simgrasp.executors.base import WorkUnit
from simgrasp.protocols.rows import SavedRows
from simgrasp.protocols.worker import WorkerSetup


@dataclass(frozen=True)
class Job:
    """Job ``index`` of the run for policy ``policy`` (a label), on the scene of ``seed``."""

    policy: str
    seed: int
    index: int


def job_key(job: Job) -> tuple[str, int]:
    """What names a job in a run: (policy label, seed). Its rows are written once."""
    return (job.policy, int(job.seed))


def pending_jobs(labels: Sequence[str], seed: int, count: int, done: set[tuple[str, int]]) -> Iterator[Job]:
    """The jobs still to run, made one at a time (a run of any length needs no job list).
    Index-major order: an interrupted run still holds paired jobs of every policy."""
    for i in range(count):
        for p in labels:
            if (p, seed + i) not in done:
                yield Job(p, seed + i, i)


Keep = Callable[[dict[str, Any]], bool]


class RunProtocol(Protocol):
    """One way of measuring policies. ``unit`` runs one job into its rows (a list, appended
    together); ``requires`` names the capabilities the backend must offer, each with who
    needs it (checked before any job)."""

    name: str
    unit: WorkUnit
    requires: tuple[tuple[type, str], ...]

    def identity(self) -> dict[str, Any]:
        """The protocol's part of a run's identity (a resume must share it)."""
        ...

    def setup(self, worker: WorkerSetup) -> Any:
        """What the executor sends to every worker for this protocol's jobs."""
        ...

    def saved_rows(self, path: Path, keep: Keep | None = None) -> SavedRows:
        """The rows that count in the log at ``path``: the last run of each job."""
        ...

    def done(self, saved: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
        """The job keys whose last run came to an end (a resume skips them)."""
        ...

    def results(self, saved: SavedRows, labels: Sequence[str], run: dict[str, Any]) -> dict[str, Any]:
        """``results.json`` from the saved rows only; ``run`` is its ``"run"`` header."""
        ...

    def text(self, results: dict[str, Any]) -> str:
        """The terminal summary of ``results``."""
        ...

    def report(self, path: Path, results: dict[str, Any], saved: SavedRows, run_dir: Path) -> None:
        """Write the run's ``report.html``."""
        ...
