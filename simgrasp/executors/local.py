"""Jobs on this machine: in this process (one worker) or on a pool of fresh processes.

Pool processes start with ``forkserver`` (or ``spawn``): none inherits a simulator
connection or torch threads from the parent. The fork server imports, once, the libraries
and simgrasp modules the parent had loaded when the pool started (validating a run loads
what its trials need: torch for a network), so its workers, forked from it, do not import
them again (torch alone is ~1.8 s of CPU per process). Each builds its heavy state on its
first job (the work unit caches it), so a build error reaches the parent as that job's
exception, where a failing pool initialiser would respawn forever."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import signal
import sys
from typing import Any, Callable, Iterable, Iterator

from simgrasp.executors.base import ExecutorError, ExecutorOptions, WorkUnit, unique_jobs


def set_torch_threads(threads: int) -> int | None:
    """Set torch's intra-op threads if torch is loaded; return the previous count."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    return before


class InProcessExecutor:
    """Runs jobs one after another in this process with ``threads`` torch threads
    (restored afterwards); :meth:`close` releases the work unit's cache here."""

    def __init__(self, unit: WorkUnit, threads: int = 1) -> None:
        self.unit = unit
        self.threads = threads

    def run(self, setup: Any, jobs: Iterable[Any]) -> Iterator[Any]:
        before = set_torch_threads(self.threads)
        try:
            for job in unique_jobs(jobs, self.unit.key):
                yield self.unit.run(setup, job)
        finally:
            if before is not None:
                set_torch_threads(before)

    def close(self) -> None:
        if self.unit.release is not None:
            self.unit.release()


PRELOADED_LIBRARIES = ("numpy", "cv2", "pybullet", "torch")  # imported before any job when the parent has them


def loaded_modules() -> list[str]:
    """The libraries of :data:`PRELOADED_LIBRARIES` and the simgrasp modules this process
    has imported (names only: nothing is imported here)."""
    return sorted(n for n in list(sys.modules) if n in PRELOADED_LIBRARIES or n.startswith("simgrasp."))


def _init_process(threads: int) -> None:
    # Ctrl-C is the parent's to handle: it saves what finished and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    set_torch_threads(threads)


def _call(args: tuple[Callable[[Any, Any], Any], Any, Any]) -> Any:
    run, setup, job = args
    return run(setup, job)


class ProcessPoolExecutor:
    """Runs jobs on ``workers`` processes started with ``start_method``, each with
    ``threads`` torch threads; rows come back as each job ends."""

    def __init__(self, unit: WorkUnit, workers: int, threads: int = 1, start_method: str = "forkserver") -> None:
        if workers < 1:
            raise ExecutorError(f"expected at least one worker, got {workers}")
        self.unit, self.workers, self.threads, self.start_method = unit, workers, threads, start_method
        self._pool: Any = None

    def run(self, setup: Any, jobs: Iterable[Any]) -> Iterator[Any]:
        todo = unique_jobs(jobs, self.unit.key)
        first = next(todo, None)
        if first is None:
            return
        ctx = mp.get_context(self.start_method)
        if self.start_method == "forkserver":  # read when this process starts its fork server, once
            ctx.set_forkserver_preload(loaded_modules())
        self._pool = ctx.Pool(self.workers, initializer=_init_process, initargs=(self.threads,))
        try:
            # chunksize 1: each row comes back (and is saved) as soon as its job ends.
            yield from self._pool.imap_unordered(
                _call, ((self.unit.run, setup, j) for j in itertools.chain([first], todo)), chunksize=1
            )
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def local_executor(unit: WorkUnit, options: ExecutorOptions) -> InProcessExecutor | ProcessPoolExecutor:
    """``--executor local``: in this process for one worker, else a pool of ``workers``."""
    if options.workers <= 1:
        return InProcessExecutor(unit, options.threads)
    return ProcessPoolExecutor(unit, options.workers, options.threads)


def check_local(options: ExecutorOptions) -> None:
    """The local executor takes no cluster address."""
    if options.address is not None:
        raise ExecutorError(f"--address is for --executor ray, got --executor local with address {options.address!r}")
