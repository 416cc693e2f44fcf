"""The trial protocol: one lift-move-place grasp per scene, one row per trial.

Trial ``i`` of every policy is the scene of seed ``seed + i``. :func:`run_trial` runs one
job on a worker (reset, the policy's grasp, execute) and returns its row; a policy's
fault is recorded as ``policy_error`` and counts against it, a backend's fault as an
infrastructure error apart from it (run again on resume), and a
:class:`~simgrasp.backends.base.BackendError` stops the run (the row is ``fatal``).
Every figure derives from the last row of each (policy, seed)
(:mod:`simgrasp.protocols.summary`)."""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from simgrasp.backends.base import INFO_OBJECT, INFO_SCENE, POLICY_ERROR, BackendError
from simgrasp.backends.perturb import Draw
from simgrasp.executors.base import WorkUnit
from simgrasp.policies import policy_rng, validate_decision
from simgrasp.protocols.base import Job, Keep, job_key
from simgrasp.protocols.drawing import save_trial_image
from simgrasp.protocols.report import write_report
from simgrasp.protocols.rows import SavedRows, policy_of, policy_seed, trial_order
from simgrasp.protocols.summary import lost_trials, summarize_groups
from simgrasp.protocols.tables import results_table
from simgrasp.protocols.worker import Worker, WorkerSetup, close_worker, worker_for


def run_trial(worker: Worker, job: Job) -> dict[str, Any]:
    """Run one trial on ``worker`` and return its row (see :func:`empty_row` for the fields)."""
    return scene_rows(worker, job)[0]


def scene_rows(worker: Worker, job: Job, draws: Sequence[Draw] | None = None) -> list[dict[str, Any]]:
    """Show the scene of ``job``, let its policy decide once, and execute the grasp: once
    (``draws`` None: one row, as :func:`run_trial`), or once under each of ``draws`` through
    the backend's :class:`~simgrasp.backends.capabilities.Perturbing` capability (one row
    each, ``draw`` its index; the scene's reset and policy timings are in the first row
    only). A policy's fault fails every row; a backend's fault ends the rows with its own
    (the rest are not run)."""
    row = empty_row(job, worker.setup.backend)
    if draws is not None:
        row["draw"] = int(draws[0].index)
    policy = worker.policies[job.policy]
    if worker.is_privileged(job.policy):
        row["privileged"] = True  # results and reports mark the policy: it read the simulator
    t0 = time.perf_counter()
    row["started_at"] = time.time()
    timings = row["timings_s"]
    rows = [row]
    stage = "reset"
    try:
        backend = worker.ensure_backend()
        obs, info = backend.reset(job.seed)
        timings["reset"] = time.perf_counter() - t0
        row["object"] = str(info[INFO_OBJECT])
        if INFO_SCENE in info:  # objects held and asked for, names left out, the draw used
            row["scene"] = dict(info[INFO_SCENE])
        stage = "policy"
        t1 = time.perf_counter()
        decision = None
        try:
            decision = policy.act(obs, policy_rng(job.seed))
            h, w = obs.rgb.shape[:2]
            decision = validate_decision(decision, w, h)
            row["image_grasp"] = _grasp_dict(decision.grasp)
            if worker.is_privileged(job.policy):
                row["policy_info"] = dict(decision.info)  # the oracle says whether any grasp worked
            row["candidates"] = [[*_grasp_dict(g).values(), s] for g, s in decision.candidates]
            world = obs.camera.image_to_world(decision.grasp, obs.depth)
            row["world_grasp"] = world.to_dict()
        except Exception as e:  # the policy's fault: recorded, and the run goes on
            row.update(reason=POLICY_ERROR, error=f"{type(e).__name__}: {e}")
            return _for_each_draw(row, draws)
        finally:
            timings["policy"] = time.perf_counter() - t1
            if worker.setup.record_dir is not None:  # also when the policy failed: its scene is evidence
                row["image"] = save_trial_image(Path(worker.setup.record_dir), job, obs.rgb, _drawable(decision))
        stage = "execute"
        for i, draw in enumerate([None] if draws is None else draws):
            if i:  # the next draw's row: the same scene and decision, its own outcome
                row = {**rows[0], "draw": int(draw.index), "timings_s": {}, "started_at": time.time()}
                rows.append(row)
                timings = row["timings_s"]
            t2 = time.perf_counter()
            outcome = backend.execute(world) if draw is None else backend.execute_perturbed(world, draw)
            timings["execute"] = time.perf_counter() - t2
            out = outcome.to_dict()
            for k, v in out.pop("timings_s").items():
                timings[f"backend.{k}"] = float(v)
            row.update(out)
            row["finished_at"] = time.time()
    except BackendError as e:  # the backend can run no more trials: record and stop
        if e.outcome is not None:
            out = e.outcome.to_dict()
            for k, v in out.pop("timings_s").items():
                timings[f"backend.{k}"] = float(v)
            row.update(out)
        else:
            row.update(reason=worker.infrastructure_reason)
        row.update(infrastructure_error=True, success=False, fatal=True)
        row["error"] = f"{stage}: {type(e).__name__}: {e}"
    except Exception as e:  # the backend's fault: kept apart from the policy's record
        row.update(reason=worker.infrastructure_reason, infrastructure_error=True, success=False)
        row["error"] = f"{stage}: {type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc(limit=6)
        worker.discard_backend()  # a backend that raised may be in any state: the next trial gets a fresh one
    finally:
        rows[0]["timings_s"]["total"] = time.perf_counter() - t0
        row["finished_at"] = time.time()
    return rows


def _for_each_draw(row: dict[str, Any], draws: Sequence[Draw] | None) -> list[dict[str, Any]]:
    """The row of a decision that failed, once for each draw (one row without draws)."""
    if draws is None:
        return [row]
    return [row] + [{**row, "draw": int(d.index), "timings_s": {}, **({} if d.nominal else {"perturbation": d.to_dict()})}
                    for d in draws[1:]]


def empty_row(job: Job, backend: str) -> dict[str, Any]:
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


def trial_job(setup: WorkerSetup, job: Job) -> list[dict[str, Any]]:
    """The work unit: the row of ``job``, run with this process's worker for ``setup``
    (built on first use, rebuilt when the setup changes). Picklable, so any executor can call it."""
    return [run_trial(worker_for(setup), job)]


class TrialProtocol:
    """``--protocol trial``: one grasp per scene (see the module docstring)."""

    name = "trial"
    unit: WorkUnit[WorkerSetup, Job] = WorkUnit(trial_job, job_key, close_worker)
    requires: tuple[tuple[type, str], ...] = ()

    def identity(self) -> dict[str, Any]:
        return {"protocol": self.name}

    def setup(self, worker: WorkerSetup) -> WorkerSetup:
        return worker

    def saved_rows(self, path: Path, keep: Keep | None = None) -> SavedRows:
        """The last row of each (policy, seed), held as its place in the log."""
        return SavedRows(path, keep=keep, group=policy_of, order=trial_order)

    def done(self, saved: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
        """Trials whose last row is an outcome: one ended by an infrastructure error runs again."""
        return {policy_seed(r) for r in saved if not r.get("infrastructure_error")}

    def results(self, saved: SavedRows, labels: Sequence[str], run: dict[str, Any]) -> dict[str, Any]:
        results = {"run": run, **summarize_groups(saved.by_group(), labels)}
        warning = lost_trials(results)
        return {"warning": warning, **results} if warning else results

    def text(self, results: dict[str, Any]) -> str:
        return results_table(results)

    def report(self, path: Path, results: dict[str, Any], saved: SavedRows, run_dir: Path) -> None:
        write_report(path, results, saved, run_dir)


#: The trial protocol (``--protocol trial``, the default).
TRIAL = TrialProtocol()
