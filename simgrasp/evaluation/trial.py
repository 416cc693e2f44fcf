"""One trial as a plain, picklable unit of work: ``run_trial(setup, job) -> row``.

A :class:`Worker` holds one backend and one instance of each policy, built once per
process. :func:`run_trial` keeps one worker per process (rebuilt only when the setup
changes), so any executor that can call a picklable function, a local process pool or a
cluster, runs trials the same way and gets the same rows.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from simgrasp.backends import BACKENDS, Backend
from simgrasp.backends.base import INFO_OBJECT, INFO_SCENE, POLICY_ERROR, BackendError, privileged_access
from simgrasp.evaluation.drawing import save_trial_image
from simgrasp.registry import resolve
from simgrasp.policies import Policy, PolicyError, PolicySpec, build_policy, policy_rng, validate_decision
from simgrasp.executors.base import ProcessCache, WorkUnit


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a process needs to run trials: ``backend`` is a registered name or
    ``package.module:attr``; ``backend_options`` its keyword arguments; ``policies`` the
    specs by label; ``record_dir`` where trial images go (None: not recorded)."""

    backend: str
    backend_options: dict[str, Any] = field(default_factory=dict)
    policies: tuple[PolicySpec, ...] = ()
    record_dir: str | None = None


@dataclass(frozen=True)
class TrialJob:
    """Trial ``index`` of the run for policy ``policy`` (a label), in the scene of ``seed``."""

    policy: str
    seed: int
    index: int


def backend_factory(ref: str) -> Callable[..., Backend]:
    """A backend factory from a registered name or ``package.module:attr``."""
    return resolve(ref, BACKENDS)  # type: ignore[return-value]


class Worker:
    """One backend and the policies of a run, living in one process."""

    def __init__(self, setup: WorkerSetup) -> None:
        self.setup = setup
        self.policies: dict[str, Policy] = {s.label: build_policy(s) for s in setup.policies}
        self.backend: Backend | None = None
        self.backend = self._make_backend()

    def _make_backend(self) -> Backend:
        backend = backend_factory(self.setup.backend)(**self.setup.backend_options)
        self._reason = backend.infrastructure_reason
        try:
            self._bind_privileged(backend)
        except BaseException:
            backend.close()
            raise
        return backend

    def _bind_privileged(self, backend: Backend) -> None:
        """Give each policy that declares ``privileged = True`` (the oracle) the backend's
        privileged door; PolicyError when the backend has none. No other policy gets it."""
        for label, policy in self.policies.items():
            if getattr(policy, "privileged", False):
                try:
                    policy.bind(privileged_access(backend, f"policy {label!r}"))  # type: ignore[attr-defined]
                except ValueError as e:
                    raise PolicyError(str(e)) from None

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    def _infra_reason(self) -> str:
        # The backend says how its own faults are labelled (sim_error, robot_error...).
        return self._reason

    def run(self, job: TrialJob) -> dict[str, Any]:
        """Run one trial and return its row (see :func:`empty_row` for the fields)."""
        row = empty_row(job, self.setup.backend)
        if getattr(self.policies[job.policy], "privileged", False):
            row["privileged"] = True  # results and reports mark the policy: it read the simulator
        t0 = time.perf_counter()
        row["started_at"] = time.time()
        timings = row["timings_s"]
        stage = "reset"
        try:
            if self.backend is None:
                self.backend = self._make_backend()
            obs, info = self.backend.reset(job.seed)
            timings["reset"] = time.perf_counter() - t0
            row["object"] = str(info[INFO_OBJECT])
            if INFO_SCENE in info:  # objects held and asked for, names left out, the draw used
                row["scene"] = dict(info[INFO_SCENE])
            stage = "policy"
            t1 = time.perf_counter()
            decision = None
            try:
                decision = self.policies[job.policy].act(obs, policy_rng(job.seed))
                h, w = obs.rgb.shape[:2]
                decision = validate_decision(decision, w, h)
                row["image_grasp"] = _grasp_dict(decision.grasp)
                if getattr(self.policies[job.policy], "privileged", False):
                    row["policy_info"] = dict(decision.info)  # the oracle says whether any grasp worked
                row["candidates"] = [[*_grasp_dict(g).values(), s] for g, s in decision.candidates]
                world = obs.camera.image_to_world(decision.grasp, obs.depth)
                row["world_grasp"] = world.to_dict()
            except Exception as e:  # the policy's fault: recorded, and the run goes on
                row.update(reason=POLICY_ERROR, error=f"{type(e).__name__}: {e}")
                return row
            finally:
                timings["policy"] = time.perf_counter() - t1
                if self.setup.record_dir is not None:  # also when the policy failed: its scene is evidence
                    row["image"] = save_trial_image(Path(self.setup.record_dir), job, obs.rgb, _drawable(decision))
            stage = "execute"
            t2 = time.perf_counter()
            outcome = self.backend.execute(world)
            timings["execute"] = time.perf_counter() - t2
            out = outcome.to_dict()
            for k, v in out.pop("timings_s").items():
                timings[f"backend.{k}"] = float(v)
            row.update(out)
        except BackendError as e:  # the backend can run no more trials: record and stop
            if e.outcome is not None:
                out = e.outcome.to_dict()
                for k, v in out.pop("timings_s").items():
                    timings[f"backend.{k}"] = float(v)
                row.update(out)
            else:
                row.update(reason=self._infra_reason())
            row.update(infrastructure_error=True, success=False, fatal=True)
            row["error"] = f"{stage}: {type(e).__name__}: {e}"
        except Exception as e:  # the backend's fault: kept apart from the policy's record
            row.update(reason=self._infra_reason(), infrastructure_error=True, success=False)
            row["error"] = f"{stage}: {type(e).__name__}: {e}"
            row["traceback"] = traceback.format_exc(limit=6)
            # A backend that raised may be in any state: start the next trial on a fresh one.
            try:
                self.close()
            except Exception:
                self.backend = None
        finally:
            timings["total"] = time.perf_counter() - t0
            row["finished_at"] = time.time()
        return row


def empty_row(job: TrialJob, backend: str) -> dict[str, Any]:
    """A trial row before it runs. Fields: policy, seed, trial, backend, object, image_grasp
    (pixels, degrees), world_grasp (metres, radians), candidates ([x, y, theta_deg, w, h,
    score] rows), the Outcome fields (success, reason, lifted, carried, placed, ...),
    error text, image (path relative to the run folder), timings_s (seconds)."""
    return {
        "policy": job.policy,
        "seed": int(job.seed),
        "trial": int(job.index),
        "backend": backend,
        "object": None,
        "image_grasp": None,
        "world_grasp": None,
        "candidates": [],
        "success": False,
        "reason": None,
        "infrastructure_error": False,
        "lifted": False,
        "carried": False,
        "placed": False,
        "error": None,
        "image": None,
        "timings_s": {},
    }


def _grasp_dict(g: Any) -> dict[str, float]:
    return {"x": float(g.x), "y": float(g.y), "theta_deg": float(g.theta_deg), "w": float(g.w), "h": float(g.h)}


def _drawable(decision: Any) -> Any:
    """``decision`` when it has a grasp that can be drawn, else None (the image alone)."""
    try:
        return decision if decision is not None and all(map(np.isfinite, _grasp_dict(decision.grasp).values())) else None
    except (AttributeError, TypeError, ValueError):
        return None


_workers: ProcessCache[WorkerSetup, Worker] = ProcessCache(Worker)
"""This process's worker (backend and policies), for a run's setup."""


def run_trial(setup: WorkerSetup, job: TrialJob) -> dict[str, Any]:
    """The work unit: run ``job`` with this process's worker for ``setup`` (built on first
    use, rebuilt when the setup changes). Picklable, so any executor can call it."""
    return _workers.get(setup).run(job)


def install_worker(worker: Worker) -> None:
    """Use an already built worker for :func:`run_trial` in this process (the in-process
    executor reuses the one built while validating the run)."""
    _workers.install(worker.setup, worker)


def close_worker() -> None:
    """Close this process's worker, if any."""
    _workers.close()


def job_key(job: TrialJob) -> tuple[str, int]:
    """What names a trial in a run: (policy label, seed). A row is written once per key."""
    return (job.policy, int(job.seed))


#: What every executor runs for an evaluation.
TRIAL: WorkUnit[WorkerSetup, TrialJob] = WorkUnit(run_trial, job_key, close_worker)
