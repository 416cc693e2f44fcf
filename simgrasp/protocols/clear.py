"""The clearing protocol (VGN's and GIGA's declutter experiment), in one place: its rules,
one episode into rows, rows into results and its table.

An episode repeats grasps on one scene until the table is clear, or ``max_failures``
grasps in a row failed, or ``attempts_per_object`` x the objects at the start were made.
A successful grasp's object is put away; objects pushed out of view are removed and not
counted as cleared. The backend must offer the capability
:class:`~simgrasp.backends.capabilities.Clearing` (the sim backend does; a real cell does
not, and is refused before anything moves).

Episode ``i`` of every policy is the scene of seed ``seed + i`` (paired). An episode is
one job: its rows (one per grasp: ``episode`` = the scene's seed, ``attempt`` from 0) are
appended together once it ends, so an interrupted run loses at most the episodes under
way and a resume runs them again, as it does an episode ended by an infrastructure error;
the rows of an episode's last run count (it starts again at attempt 0). The metrics derive
from the rows only: grasp success rate (successful grasps / grasps), percent cleared
(objects cleared / objects at the start, over all episodes) and grasps per cleared object,
the rates with Wilson 95 % intervals on the pooled counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from simgrasp.backends.base import POLICY_ERROR, BackendError, Observation, Outcome
from simgrasp.backends.capabilities import Clearing
from simgrasp.executors.base import WorkUnit
from simgrasp.policies import Policy, policy_rng, validate_decision
from simgrasp.protocols.base import Job, Keep, job_key
from simgrasp.protocols.report import html_table, page
from simgrasp.protocols.rows import SavedRows, policy_of, policy_seed, trial_order
from simgrasp.protocols.summary import rate
from simgrasp.protocols.tables import ci, pct, render
from simgrasp.protocols.worker import Worker, WorkerSetup, close_worker, worker_for


@dataclass(frozen=True)
class ClearingConfig:
    """When an episode stops."""

    max_failures: int = 2  # consecutive failed grasps that end the episode (VGN: 2)
    attempts_per_object: float = 2.0  # at most this many grasps per object at the start


def max_attempts(n_objects: int, cfg: ClearingConfig) -> int:
    """The grasp budget of an episode that starts with ``n_objects`` objects."""
    return max(1, int(round(cfg.attempts_per_object * n_objects)))


@dataclass
class EpisodeState:
    """Bookkeeping of one clearing episode: objects at the start, grasps, failures in a row."""

    n_objects: int
    attempts: int = 0
    cleared: int = 0
    failures_in_row: int = 0
    objects_left: int = 0

    @classmethod
    def start(cls, info: dict[str, Any]) -> "EpisodeState":
        """The state of an episode whose scene ``reset`` described in ``info``."""
        n = len(info.get("objects", [info.get("object")]))
        return cls(n, objects_left=n)

    def record(self, success: bool, objects_left: int) -> None:
        """Count one grasp and the objects left after it."""
        self.attempts += 1
        self.cleared += int(success)
        self.failures_in_row = 0 if success else self.failures_in_row + 1
        self.objects_left = objects_left

    def why_done(self, cfg: ClearingConfig) -> str:
        """Why the episode is over ("" while it goes on): clear, failures or attempts."""
        if self.objects_left == 0:
            return "clear"
        if self.failures_in_row >= cfg.max_failures:
            return "failures"
        if self.attempts >= max_attempts(self.n_objects, cfg):
            return "attempts"
        return ""


def next_scene(backend: Clearing, state: EpisodeState, outcome: Outcome) -> tuple[Observation, dict[str, Any]]:
    """After one executed grasp: put away what it took, count it in ``state`` and return
    the scene that is left (its observation and info)."""
    obs, info = backend.keep_going()
    state.record(outcome.success, len(info["objects"]))
    return obs, info


def episode_rng(seed: int, attempt: int) -> np.random.Generator:
    """The policy's generator for grasp ``attempt`` of the episode of ``seed``."""
    return policy_rng(seed * 1000 + attempt)


def run_episode(backend: Any, policy: Policy, seed: int, cfg: ClearingConfig,
                rng_for: Callable[[int, int], np.random.Generator] = episode_rng) -> Iterator[dict[str, Any]]:
    """Run one clearing episode of ``policy`` on the scene of ``seed``; yields one row per
    grasp. ``rng_for(seed, attempt)`` gives the policy's generator for each grasp. A policy
    that raises or returns an invalid grasp has that grasp recorded as ``policy_error``
    (a failure; nothing moves) and the episode goes on."""
    obs, info = backend.reset(seed)
    state = EpisodeState.start(info)
    h, w = obs.rgb.shape[:2]
    while not state.why_done(cfg):
        removed: list[str] = []
        try:
            decision = validate_decision(policy.act(obs, rng_for(seed, state.attempts)), w, h)
            grasp = obs.camera.image_to_world(decision.grasp, obs.depth)
        except Exception as e:  # the policy's fault: a failed grasp, the scene unchanged
            outcome = Outcome(False, POLICY_ERROR, detail=f"{type(e).__name__}: {e}")
            state.record(False, state.objects_left)
        else:
            outcome = backend.execute(grasp)
            obs, info = next_scene(backend, state, outcome)
            removed = info.get("removed", [])
        row = {"episode": seed, "attempt": state.attempts - 1, "objects_at_start": state.n_objects,
               "objects_left": state.objects_left, "removed": removed, **outcome.to_dict()}
        row["episode_done"] = state.why_done(cfg)
        yield row


def episode_rows(worker: Worker, job: Job, cfg: ClearingConfig) -> list[dict[str, Any]]:
    """The rows of one episode on ``worker``. A backend fault ends it with an
    infrastructure-error row (a BackendError's is ``fatal``: the run stops)."""
    rows: list[dict[str, Any]] = []
    head = {"policy": job.policy, "seed": int(job.seed), "trial": int(job.index)}
    try:
        for row in run_episode(worker.ensure_backend(), worker.policies[job.policy], job.seed, cfg):
            rows.append({**head, **row})
    except Exception as e:  # the backend's fault: the episode counts for no policy
        rows.append({**head, "episode": int(job.seed), "attempt": len(rows), "success": False,
                     "reason": worker.infrastructure_reason, "infrastructure_error": True, "episode_done": "error",
                     "error": f"{type(e).__name__}: {e}", "objects_at_start": rows[0]["objects_at_start"] if rows else 0,
                     **({"fatal": True} if isinstance(e, BackendError) else {})})
        worker.discard_backend()
    if worker.is_privileged(job.policy):  # results and reports mark the policy: it read the simulator
        rows = [{**r, "privileged": True} for r in rows]
    return rows


@dataclass(frozen=True)
class ClearSetup:
    """What every worker gets for clearing episodes: the run's worker setup and the rules."""

    worker: WorkerSetup
    rules: ClearingConfig = ClearingConfig()


def clear_job(setup: ClearSetup, job: Job) -> list[dict[str, Any]]:
    """The work unit: the rows of the episode ``job``, run with this process's worker."""
    return episode_rows(worker_for(setup.worker), job, setup.rules)


def clearing_summary(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of one policy's grasp rows (``episode``, ``success``, ``objects_at_start``,
    ``infrastructure_error``), read once; an episode with an infrastructure error is left
    out whole."""
    episodes: dict[int, list[int]] = {}  # episode -> [grasps, successes, objects at start, infrastructure errors]
    for r in rows:
        e = episodes.setdefault(int(r["episode"]), [0, 0, int(r.get("objects_at_start", 0)), 0])
        e[0], e[1], e[3] = e[0] + 1, e[1] + bool(r.get("success")), e[3] + bool(r.get("infrastructure_error"))
    valid = [e for e in episodes.values() if not e[3]]
    grasps, successes, objects = (sum(e[i] for e in valid) for i in range(3))
    return {
        "episodes": len(valid),
        "episodes_with_errors": len(episodes) - len(valid),
        "grasps": grasps,
        "grasp_success": rate(successes, grasps),
        "cleared": rate(successes, objects),
        "grasps_per_cleared_object": grasps / successes if successes else None,
    }


def clearing_table(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and one row per policy: episodes, grasps, grasp success, percent cleared, grasps per object."""
    head = ["policy", "episodes", "grasps", "grasp success", "95% CI", "cleared", "95% CI", "grasps/object", "errors"]
    rows = []
    for name, s in results["policies"].items():
        g, c, per = s["grasp_success"], s["cleared"], s["grasps_per_cleared_object"]
        rows.append([f"{name} (privileged)" if s["privileged"] else name, s["episodes"], s["grasps"], pct(g["rate"]),
                     ci(g["ci95"]), pct(c["rate"]), ci(c["ci95"]), "-" if per is None else f"{per:.2f}",
                     s["episodes_with_errors"]])
    return head, rows


def _starts_a_run(row: dict[str, Any]) -> bool:
    return int(row["attempt"]) == 0


class ClearProtocol:
    """``--protocol clear``: grasps on one scene until it is clear (see the module docstring)."""

    name = "clear"
    unit: WorkUnit[ClearSetup, Job] = WorkUnit(clear_job, job_key, close_worker)
    requires: tuple[tuple[type, str], ...] = ((Clearing, "protocol 'clear'"),)

    def __init__(self, rules: ClearingConfig = ClearingConfig()) -> None:
        self.rules = rules

    def identity(self) -> dict[str, Any]:
        return {"protocol": self.name, "clearing": asdict(self.rules)}

    def setup(self, worker: WorkerSetup) -> ClearSetup:
        return ClearSetup(worker, self.rules)

    def saved_rows(self, path: Path, keep: Keep | None = None) -> SavedRows:
        """The rows of the last run of each (policy, episode), in episode then attempt order."""
        return SavedRows(path, keep=keep, starts=_starts_a_run, group=policy_of, order=trial_order)

    def done(self, saved: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
        """Episodes whose last run came to its end without an infrastructure error."""
        ended, faulty = set(), set()
        for r in saved:
            key = policy_seed(r)
            if r.get("infrastructure_error"):
                faulty.add(key)
            elif r.get("episode_done"):
                ended.add(key)
        return ended - faulty

    def results(self, saved: SavedRows, labels: Sequence[str], run: dict[str, Any]) -> dict[str, Any]:
        """Per policy the :func:`clearing_summary`; ``success`` is the grasp success rate,
        so suite bounds read it as they read a trial run's."""
        policies = {}
        groups = saved.by_group()
        for label in [p for p in labels if p in groups]:
            marks = _Privileged(groups[label])
            summary = clearing_summary(marks)
            policies[label] = {**summary, "success": summary["grasp_success"], "privileged": marks.seen}
        return {"run": {**run, "episodes": run.get("trials")}, "policies": policies, "paired": []}

    def text(self, results: dict[str, Any]) -> str:
        return render(*clearing_table(results))

    def report(self, path: Path, results: dict[str, Any], saved: SavedRows, run_dir: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(page("clearing", "<h1>Clearing</h1>" + html_table(*clearing_table(results))), encoding="utf-8")
        tmp.replace(path)


class _Privileged:
    """Rows passed through once, noting whether any was marked privileged."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows, self.seen = rows, False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for r in self.rows:
            self.seen = self.seen or bool(r.get("privileged"))
            yield r


#: The clearing protocol with VGN's rules (``--protocol clear``).
CLEAR = ClearProtocol()
