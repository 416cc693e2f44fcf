"""Run evaluations and dataset generation on a Ray cluster (``--executor ray``).

``python -m simgrasp.evaluate`` and ``python -m simgrasp.dataset generate`` take
``--executor ray``. Without ``--address`` they start a private Ray instance on this
machine (all its cores) and stop it at the end; ``--address auto`` joins the cluster
running on this machine's network, ``--address ray://HOST:10001`` a remote one.
A cluster that does not answer within ``--connect-timeout`` seconds (default 20) stops
the command with one line of error before anything is written.

1. On every node: ``pip install 'simgrasp[ray]'`` (the same simgrasp, Ray and Python
   versions everywhere).
2. On the head node: ``ray start --head --port=6379``.
3. On each other node: ``ray start --address=HEAD_IP:6379``. ``ray status`` lists the
   nodes and CPUs the cluster has.
4. On the head node::

       python -m simgrasp.evaluate --executor ray --address auto \\
           --policy scorer,heuristic --trials 5000 --out runs/big
       python -m simgrasp.dataset generate --executor ray --address auto \\
           --objects random_urdfs:0-899 --scenes-per-object 60 --out /shared/sim-jacquard

5. ``ray stop`` on each node when done.

Every node needs simgrasp installed and the same object files, policy cards and
checkpoints at the same paths: a task carries paths, not files, and opens them where it
runs. Files that tasks write themselves (generated scenes, ``--record`` images) land on
the node that ran the task, so ``--out`` must be storage every node mounts at the same
path; the row logs (``trials.jsonl``, ``generation.jsonl``) are written by the driver.

One task per CPU; each Ray worker process builds its simulator and network once and
reuses them for every later task (``--workers`` is ignored). The same seeds give the same
rows and files as the local executor. A task whose worker dies is resubmitted (up to
``max_retries`` times) and its row is written once; on Ctrl-C or a lost driver every
finished row is saved and ``--resume`` finishes the run, on the cluster or locally.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Generic, Iterable, Iterator, TypeVar

from simgrasp.executors.base import ExecutorError, ExecutorOptions, WorkUnit, unique_jobs

INSTALL_HINT = "pip install 'simgrasp[ray]'"

S = TypeVar("S")  # what every task of a run shares (sent to the cluster once)
J = TypeVar("J")  # one job


class ClusterError(ExecutorError):
    """The cluster cannot run the work: unreachable, or a task lost for good."""


class RayUnavailable(ClusterError):
    """Ray is not installed here."""


def import_ray() -> ModuleType:
    """The ``ray`` module, or :class:`RayUnavailable` with the install command."""
    try:
        return importlib.import_module("ray")
    except ImportError as e:
        raise RayUnavailable(
            f"--executor ray needs Ray, which is not importable ({e}); install it: {INSTALL_HINT}"
        ) from None


@dataclass(frozen=True)
class RayOptions:
    """Where and how tasks run."""

    address: str | None = None  # "auto", "HOST:PORT" or "ray://HOST:10001"; None: start a local instance
    num_cpus: int | None = None  # CPUs of a local instance started here (None: all of this machine's)
    max_retries: int = 3  # resubmissions of a task whose worker process or node died
    in_flight_per_cpu: int = 2  # tasks queued per cluster CPU: workers never idle, Ctrl-C cancels little
    threads: int = 1  # torch intra-op threads in each task (one task per CPU)
    connect_timeout_s: float = 20.0  # longest wait for the cluster at ``address`` to answer


def _call(work: Callable[[Any, Any], Any], threads: int, setup: Any, job: Any) -> Any:
    """Body of every Ray task: ``work(setup, job)`` with ``threads`` torch threads.

    Ray reuses a worker process for many tasks, so the per-process caches of the work
    units (one simulator, one network per process) survive from one task to the next."""
    os.environ["OMP_NUM_THREADS"] = str(threads)  # for a torch imported by this task
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return work(setup, job)


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``HOST:PORT`` or ``ray://HOST:PORT`` address (None for "auto")."""
    rest = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]") or "127.0.0.1", int(port)


def _probe(address: str, timeout_s: float) -> None:
    """Fail fast when nothing listens at ``address``: Ray itself keeps retrying for minutes."""
    hp = _host_port(address)
    if hp is None:
        return
    try:
        socket.create_connection(hp, timeout=timeout_s).close()
    except OSError as e:
        why = f"no answer within {timeout_s:g} s" if isinstance(e, TimeoutError) else (e.strerror or type(e).__name__)
        raise ClusterError(
            f"cannot reach the Ray cluster at {address!r}: {why.lower()} (is `ray start` running there?)"
        ) from None


def _init_within(ray: ModuleType, timeout_s: float, where: str, **kwargs: Any) -> None:
    """``ray.init(**kwargs)``, given up after ``timeout_s`` seconds: a port that accepts
    connections but never speaks Ray's protocol would otherwise hold the caller forever."""
    failure: list[BaseException] = []

    def attempt() -> None:
        try:
            ray.init(**kwargs)
        except BaseException as e:  # handed to the caller's thread
            failure.append(e)

    thread = threading.Thread(target=attempt, name="ray-connect", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise ClusterError(f"cannot reach {where}: no answer within {timeout_s:g} s (--connect-timeout)")
    if failure:
        e = failure[0]
        if isinstance(e, (ConnectionError, RuntimeError, ValueError, TimeoutError)):
            raise ClusterError(f"cannot start or reach {where}: {_first_line(e)}") from None
        raise e


class RayExecutor(Generic[S, J]):
    """Runs ``unit.run(setup, job)`` for each job as a Ray task and yields each row as soon
    as its task finishes (in any order). ``unit.key(job)`` names a job: each key is
    submitted, and its row yielded, once; a task retried after its worker died is still
    one task.

    The connection is made by :meth:`connect` (or the first :meth:`run`), bounded by
    ``options.connect_timeout_s``; a Ray instance this executor started is stopped by
    :meth:`close`, one that was already running (``ray.init`` by the caller, or a
    cluster) is left running."""

    def __init__(self, unit: WorkUnit[S, J], options: RayOptions | None = None) -> None:
        self.unit = unit
        self.options = options or RayOptions()
        o = self.options
        if o.max_retries < 0 or o.in_flight_per_cpu < 1 or o.threads < 1 or o.connect_timeout_s <= 0:
            raise ValueError(
                f"expected max_retries >= 0, in_flight_per_cpu >= 1, threads >= 1 and connect_timeout_s > 0, got {o}"
            )
        self._ray: ModuleType | None = None
        self._owned = False  # whether close() stops the Ray instance

    def connect(self) -> ModuleType:
        """Join (or start) the Ray instance; returns the ``ray`` module."""
        if self._ray is not None:
            return self._ray
        ray = import_ray()
        if not ray.is_initialized():
            opts = self.options
            quiet = dict(log_to_driver=False, logging_level="WARNING")  # workers' chatter stays in Ray's logs
            if opts.address is None:
                # "local": a fresh instance even if a cluster runs here; asked for by leaving --address out.
                # Starting one takes as long as it takes: no timeout.
                try:
                    ray.init(address="local", num_cpus=opts.num_cpus, include_dashboard=False, **quiet)
                except (ConnectionError, RuntimeError, ValueError) as e:
                    raise ClusterError(f"cannot start a local Ray instance: {_first_line(e)}") from None
            else:
                _probe(opts.address, opts.connect_timeout_s)
                where = f"the Ray cluster at {opts.address!r}"
                # Ray warns that a connecting thread cannot set its signal handlers: only errors here.
                _init_within(ray, opts.connect_timeout_s, where, address=opts.address, **{**quiet, "logging_level": "ERROR"})
            self._owned = True
        self._ray = ray
        return ray

    def cluster_cpus(self) -> int:
        """CPUs the cluster has now (at least 1)."""
        return max(1, int(self.connect().cluster_resources().get("CPU", 1)))

    def run(self, setup: S, jobs: Iterable[J]) -> Iterator[Any]:
        """Yield the row of each job once, as tasks finish. Tasks still queued when the
        caller stops iterating (Ctrl-C, a fatal row) are cancelled."""
        ray = self.connect()
        opts = self.options
        task = ray.remote(_call).options(num_cpus=1, max_retries=opts.max_retries, retry_exceptions=False)
        setup_ref = ray.put(setup)  # sent once, not with every task
        queue = unique_jobs(jobs, self.unit.key)  # one task per key: one row per job; drawn lazily
        limit = opts.in_flight_per_cpu * self.cluster_cpus()
        pending: dict[Any, J] = {}  # task ref -> its job
        try:
            more = True
            while more or pending:
                while more and len(pending) < limit:
                    job = next(queue, None)
                    if job is None:
                        more = False
                        break
                    pending[task.remote(self.unit.run, opts.threads, setup_ref, job)] = job
                if not pending:
                    break
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    yield self._result(ray, ref, pending.pop(ref))
        finally:
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # already finished or its node is gone: nothing to stop
                    pass

    def _result(self, ray: ModuleType, ref: Any, job: J) -> Any:
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as e:
            # The work unit's own exception, re-raised as the local executors would.
            raise e.as_instanceof_cause() from None
        except ray.exceptions.RayError as e:
            raise ClusterError(
                f"{job} was lost after {self.options.max_retries} retries: {type(e).__name__}: {_first_line(e)}"
            ) from None

    def close(self) -> None:
        """Stop the Ray instance if this executor started it. Safe to call twice."""
        if self._ray is not None and self._owned:
            self._ray.shutdown()
        self._ray, self._owned = None, False


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def ray_executor(unit: WorkUnit, options: ExecutorOptions) -> RayExecutor:
    """``--executor ray``: tasks on the Ray instance at ``options.address`` (None: a local
    one started here). Ray decides the parallelism (one task per cluster CPU), so
    ``options.workers`` does not apply."""
    return RayExecutor(unit, RayOptions(address=options.address, threads=options.threads,
                                        connect_timeout_s=options.connect_timeout_s))


def check_ray(options: ExecutorOptions) -> None:
    """Ray must be importable here (:class:`RayUnavailable` names the install command)."""
    import_ray()
