"""Executors run trial jobs and yield their rows as they finish.

The contract is one method, ``run(setup, jobs) -> iterator of rows``, over the plain
work unit :func:`~simgrasp.evaluation.trial.run_trial`. :class:`InProcessExecutor` runs
in this process (one worker, reused from validation); :class:`ProcessPoolExecutor` spreads
jobs over spawned processes, each building its backend and policies once. Another
executor (a cluster one) only has to call ``run_trial(setup, job)`` remotely.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Any, Iterator, Protocol, Sequence

from simgrasp.evaluation.trial import TrialJob, Worker, WorkerSetup, close_worker, install_worker, run_trial


class Executor(Protocol):
    """Runs jobs and yields each finished row (in any order)."""

    def run(self, setup: WorkerSetup, jobs: Sequence[TrialJob]) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None:
        """Stop workers and release their backends. Safe to call twice."""
        ...


class InProcessExecutor:
    """Runs jobs one after another in this process. ``worker``: an already built worker
    for the same setup (the one built to validate the run), so nothing is built twice."""

    def __init__(self, worker: Worker | None = None) -> None:
        self._worker = worker

    def run(self, setup: WorkerSetup, jobs: Sequence[TrialJob]) -> Iterator[dict[str, Any]]:
        if self._worker is not None:
            install_worker(self._worker)
            self._worker = None
        for job in jobs:
            yield run_trial(setup, job)

    def close(self) -> None:
        close_worker()


def _init_process(threads: int) -> None:
    # Several workers on a small machine must not each start one thread per core. The
    # worker itself is built by the first run_trial call: a build error then reaches the
    # parent as that job's exception, where a failing initializer would respawn forever.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def _run_job(args: tuple[WorkerSetup, TrialJob]) -> dict[str, Any]:
    return run_trial(*args)


class ProcessPoolExecutor:
    """Runs jobs on ``workers`` processes started with ``start_method`` ("spawn" or
    "forkserver": no process inherits a simulator connection or torch threads)."""

    def __init__(self, workers: int, start_method: str = "spawn") -> None:
        if workers < 1:
            raise ValueError(f"expected at least one worker, got {workers}")
        self.workers = workers
        self.start_method = start_method
        self._pool: Any = None

    def run(self, setup: WorkerSetup, jobs: Sequence[TrialJob]) -> Iterator[dict[str, Any]]:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        ctx = mp.get_context(self.start_method)
        self._pool = ctx.Pool(self.workers, initializer=_init_process, initargs=(threads,))
        try:
            # chunksize 1: rows come back (and are saved) as soon as each trial ends.
            yield from self._pool.imap_unordered(_run_job, [(setup, j) for j in jobs], chunksize=1)
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def make_executor(workers: int, worker: Worker | None = None) -> Executor:
    """In this process for one worker, else a pool of spawned processes."""
    return InProcessExecutor(worker) if workers <= 1 else ProcessPoolExecutor(workers)
