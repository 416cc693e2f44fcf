"""The clearing protocol (VGN's and GIGA's declutter experiment): one episode repeats grasps
on one scene until the table is clear, or ``max_failures`` grasps in a row failed, or
``max_attempts`` were made. A successful grasp's object is put away; objects pushed out of
view are removed and not counted as cleared. The backend must offer ``keep_going()``
(the sim backend does).

One row per grasp (``episode`` = the scene's seed, ``attempt`` from 0); the metrics derive
from the rows only: grasp success rate (successful grasps / grasps), percent cleared
(objects cleared / objects at the start, over all episodes) and grasps per cleared object,
the rates with Wilson 95 % intervals on the pooled counts.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

from simgrasp.backends.base import POLICY_ERROR, Outcome

from simgrasp.env.clearing import ClearingConfig, EpisodeState
from simgrasp.evaluation.results import rate
from simgrasp.policies import validate_decision


def clearing_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of one policy's grasp rows (``episode``, ``attempt``, ``success``,
    ``objects_at_start``, ``infrastructure_error``); an episode with an infrastructure
    error is left out whole."""
    episodes: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        episodes.setdefault(int(r["episode"]), []).append(r)
    valid = {e: rs for e, rs in episodes.items() if not any(r.get("infrastructure_error") for r in rs)}
    grasps = [r for rs in valid.values() for r in rs]
    successes = sum(bool(r.get("success")) for r in grasps)
    objects = sum(int(rs[0]["objects_at_start"]) for rs in valid.values())
    return {
        "episodes": len(valid),
        "episodes_with_errors": len(episodes) - len(valid),
        "grasps": len(grasps),
        "grasp_success": rate(successes, len(grasps)),
        "cleared": rate(successes, objects),
        "grasps_per_cleared_object": len(grasps) / successes if successes else None,
    }


def run_episode(backend: Any, policy: Any, seed: int, cfg: ClearingConfig, rng_for: Any) -> Iterator[dict[str, Any]]:
    """Run one clearing episode of ``policy`` on the scene of ``seed``; yields one row per
    grasp. ``rng_for(seed, attempt)`` gives the policy's generator for each grasp. A policy
    that raises or returns an invalid grasp has that grasp recorded as ``policy_error``
    (a failure; nothing moves) and the episode goes on."""
    obs, info = backend.reset(seed)
    state = EpisodeState(len(info.get("objects", [info.get("object")])))
    state.objects_left = state.n_objects
    h, w = obs.rgb.shape[:2]
    while not state.why_done(cfg):
        removed: list[str] = []
        try:
            decision = validate_decision(policy.act(obs, rng_for(seed, state.attempts)), w, h)
            grasp = obs.camera.image_to_world(decision.grasp, obs.depth)
        except Exception as e:  # the policy's fault: a failed grasp, the scene unchanged
            outcome = Outcome(False, POLICY_ERROR, detail=f"{type(e).__name__}: {e}")
            left = state.objects_left
        else:
            outcome = backend.execute(grasp)
            obs, info = backend.keep_going()
            left, removed = len(info["objects"]), info.get("removed", [])
        state.record(outcome.success, left)
        row = {"episode": seed, "attempt": state.attempts - 1, "objects_at_start": state.n_objects,
               "objects_left": left, "removed": removed, **outcome.to_dict()}
        row["episode_done"] = state.why_done(cfg)
        yield row


def last_episode_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the last run of each (policy, episode): an episode run again on resume
    starts anew at attempt 0, and its earlier rows no longer count."""
    keep: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        key = (str(r["policy"]), int(r["episode"]))
        if int(r["attempt"]) == 0:
            keep[key] = []
        keep.setdefault(key, []).append(r)
    return [r for rs in keep.values() for r in rs]
