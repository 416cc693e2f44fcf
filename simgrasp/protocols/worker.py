"""The worker of a run: one backend and one instance of each policy, built once per process.

Every protocol runs its jobs on a :class:`Worker`. :func:`worker_for` keeps one worker per
process (rebuilt only when the setup changes), so any executor that can call a picklable
function, a local process pool or a cluster, runs jobs the same way and gets the same rows,
whichever protocol the jobs belong to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from simgrasp.backends import BACKENDS, Backend
from simgrasp.backends.capabilities import MissingCapability, privileged_access, require
from simgrasp.executors.base import ProcessCache
from simgrasp.policies import Policy, PolicyError, PolicySpec, build_policy
from simgrasp.registry import resolve


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a process needs to run jobs: ``backend`` is a registered name or
    ``package.module:attr``; ``backend_options`` its keyword arguments; ``policies`` the
    specs by label; ``record_dir`` where trial images go (None: not recorded)."""

    backend: str
    backend_options: dict[str, Any] = field(default_factory=dict)
    policies: tuple[PolicySpec, ...] = ()
    record_dir: str | None = None


def backend_factory(ref: str) -> Callable[..., Backend]:
    """A backend factory from a registered name or ``package.module:attr``."""
    return resolve(ref, BACKENDS)  # type: ignore[return-value]


class Worker:
    """One backend and the policies of a run, living in one process. ``requires``: the
    capabilities (:mod:`simgrasp.backends.capabilities`) the backend must offer, each as
    ``(capability, who needs it)``; a backend without one is closed and refused
    (:class:`~simgrasp.backends.capabilities.MissingCapability`) before any job runs."""

    def __init__(self, setup: WorkerSetup, requires: tuple[tuple[type, str], ...] = ()) -> None:
        self.setup, self.requires = setup, requires
        self.policies: dict[str, Policy] = {s.label: build_policy(s) for s in setup.policies}
        self.backend: Backend | None = None
        self.infrastructure_reason = ""  # how the backend's faults are labelled (sim_error, robot_error...)
        self.ensure_backend()

    def ensure_backend(self) -> Backend:
        """The backend, built again when a fault closed it (see :meth:`discard_backend`)."""
        if self.backend is not None:
            return self.backend
        backend = backend_factory(self.setup.backend)(**self.setup.backend_options)
        try:
            for capability, who in self.requires:
                require(backend, capability, who)
            self._bind_privileged(backend)
        except BaseException:
            backend.close()
            raise
        self.backend = backend
        self.infrastructure_reason = backend.infrastructure_reason
        return backend

    def _bind_privileged(self, backend: Backend) -> None:
        """Give each policy that declares ``privileged = True`` (the oracle) the backend's
        privileged door; PolicyError when the backend has none. No other policy gets it."""
        for label, policy in self.policies.items():
            if self.is_privileged(label):
                try:
                    policy.bind(privileged_access(backend, f"policy {label!r}"))  # type: ignore[attr-defined]
                except MissingCapability as e:
                    raise PolicyError(str(e)) from None

    def is_privileged(self, label: str) -> bool:
        """Whether the policy ``label`` reads the simulator (results mark it)."""
        return bool(getattr(self.policies[label], "privileged", False))

    def discard_backend(self) -> None:
        """Close the backend after a fault (it may be in any state): the next job builds a
        fresh one."""
        try:
            self.close()
        except Exception:
            self.backend = None

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None


_workers: ProcessCache[WorkerSetup, Worker] = ProcessCache(Worker)
"""This process's worker (backend and policies), for a run's setup."""


def worker_for(setup: WorkerSetup) -> Worker:
    """This process's worker for ``setup`` (built on first use, rebuilt when it changes)."""
    return _workers.get(setup)


def install_worker(worker: Worker) -> None:
    """Use an already built worker in this process (the in-process executor reuses the one
    built while validating the run)."""
    _workers.install(worker.setup, worker)


def close_worker() -> None:
    """Close this process's worker, if any."""
    _workers.close()
