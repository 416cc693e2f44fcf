"""The executor contract: run many independent jobs and yield each job's result as it ends.

A job is run by a :class:`WorkUnit`: a plain picklable function ``run(setup, job) -> result``
(a row, or the rows of a job of several: a clearing episode) that builds its heavy state
(a simulator, a network) once per process and reuses it, plus ``key(job)`` naming the
job. Evaluation trials and clearing episodes (:mod:`simgrasp.protocols`) and dataset
scenes (:func:`simgrasp.data.runner.annotate_task`) are all work units; an executor only
decides where they run and never looks inside a result. ``--executor NAME`` resolves through :data:`EXECUTORS` (filled by
:mod:`simgrasp.executors`), for ``python -m simgrasp.evaluate`` and for
``python -m simgrasp.dataset generate`` alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Hashable, Iterable, Iterator, Protocol, TypeVar

from simgrasp.registry import Registry

S = TypeVar("S")  # what every job of a run shares (sent to each worker once)
J = TypeVar("J")  # one job
W = TypeVar("W", bound="Closable")  # the heavy state a work unit keeps per process


class ExecutorError(RuntimeError):
    """The executor cannot run the work: unknown, unusable here, or its workers are gone.
    The message is one line meant for the user."""


@dataclass(frozen=True)
class WorkUnit(Generic[S, J]):
    """What an executor runs. All three are module-level functions, so they pickle."""

    run: Callable[[S, J], Any]  # the result of one job (its row or rows); caches its heavy state per process
    key: Callable[[J], Hashable]  # names a job: each key runs, and yields its result, once per run
    release: Callable[[], None] | None = None  # frees this process's cache (the in-process executor's close)


class Closable(Protocol):
    def close(self) -> None: ...


class ProcessCache(Generic[S, W]):
    """The one heavy object (a simulator, a network) a work unit keeps in each process:
    built from the run's setup on first use, reused while the setup stays the same and
    closed and rebuilt when it changes. ``key(setup)`` says what part of the setup the
    object depends on (the whole setup unless given).

    A module-level instance backs a work unit's ``run`` and its ``release`` is
    :meth:`close`; the instance is never pickled, the module functions that use it are."""

    def __init__(self, build: Callable[[S], W], key: Callable[[S], Hashable] | None = None) -> None:
        self._build, self._key = build, key or (lambda setup: setup)
        self._held: W | None = None
        self._held_key: Any = None

    def get(self, setup: S) -> W:
        """This process's object for ``setup``."""
        key = self._key(setup)
        if self._held is None or self._held_key != key:
            self.close()
            self._held = self._build(setup)
            self._held_key = key
        return self._held

    def install(self, setup: S, held: W) -> None:
        """Use ``held``, already built for ``setup``, instead of building one."""
        if held is not self._held:
            self.close()
        self._held, self._held_key = held, self._key(setup)

    @property
    def held(self) -> W | None:
        """The object now kept, if any."""
        return self._held

    def close(self) -> None:
        """Close and forget the object, if any. Safe to call twice."""
        held, self._held, self._held_key = self._held, None, None
        if held is not None:
            held.close()


@dataclass(frozen=True)
class ExecutorOptions:
    """Where and how wide jobs run, whatever the executor."""

    workers: int = 1  # local: processes (1: in this process); Ray: ignored (one task per cluster CPU)
    threads: int = 1  # torch intra-op threads in each worker
    address: str | None = None  # Ray: "auto", "HOST:PORT" or "ray://HOST:10001"; None starts a local instance
    connect_timeout_s: float = 20.0  # Ray: longest wait for a cluster to answer before giving up


class Executor(Protocol):
    """Runs jobs and yields each finished job's result (in any order), one per job key."""

    def run(self, setup: Any, jobs: Iterable[Any]) -> Iterator[Any]: ...

    def close(self) -> None:
        """Stop workers and release what they hold. Safe to call twice."""
        ...


def _fits_anything(options: ExecutorOptions) -> None:
    """Options every executor accepts."""


@dataclass(frozen=True)
class ExecutorKind:
    """One ``--executor`` choice."""

    make: Callable[[WorkUnit, ExecutorOptions], Executor]  # builds the executor for a work unit
    check: Callable[[ExecutorOptions], None] = _fits_anything  # ExecutorError when it cannot run so here


#: ``--executor NAME`` -> its kind (filled by :mod:`simgrasp.executors`).
EXECUTORS: Registry[ExecutorKind] = Registry("executor")


def unique_jobs(jobs: Iterable[J], key: Callable[[J], Hashable]) -> Iterator[J]:
    """``jobs`` in order with repeated keys dropped: a row is never produced twice for one job.
    Lazy: jobs are drawn from ``jobs`` one at a time, so a run of any length needs no job list."""
    seen: set[Hashable] = set()
    for job in jobs:
        k = key(job)
        if k not in seen:
            seen.add(k)
            yield job


def check_executor(kind: str, options: ExecutorOptions) -> None:
    """Fail before any work, with :class:`ExecutorError`, when ``kind`` is not registered,
    the options do not fit it or it cannot run here (its library is missing)."""
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}; known: {', '.join(EXECUTORS.names())}")
    if options.workers < 1:
        raise ExecutorError(f"expected at least one worker, got {options.workers}")
    if options.threads < 1:
        raise ExecutorError(f"expected at least one thread per worker, got {options.threads}")
    if options.connect_timeout_s <= 0:
        raise ExecutorError(f"expected a positive connect timeout, got {options.connect_timeout_s} s")
    EXECUTORS.get(kind).check(options)


def open_executor(kind: str, unit: WorkUnit, options: ExecutorOptions) -> Executor:
    """The ``kind`` executor for ``unit``, checked and, when it reaches a cluster, connected:
    an unreachable cluster fails here (:class:`ExecutorError`), before any job runs."""
    check_executor(kind, options)
    executor = EXECUTORS.get(kind).make(unit, options)
    connect = getattr(executor, "connect", None)  # only cluster executors have one
    if connect is not None:
        try:
            connect()
        except BaseException:
            executor.close()
            raise
    return executor
