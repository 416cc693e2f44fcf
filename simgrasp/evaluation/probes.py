"""Workloads that a side-by-side benchmark runs in two checkouts (simgrasp.evaluation.against).

This file is run as a script (``python -P probes.py CASE ARGS``, this checkout's file) with
``PYTHONPATH`` set to either checkout, so it uses only what both have: ``SimBackend``, ``minor_axis_grasp``,
``run_evaluation``, the policy registry and ``executable_grasps``. Each case prints one JSON
line: the CPU seconds of this process (``time.process_time``) over its timed part, those
of its finished children (worker processes), and the units of work done.

Cases (``ARGS`` after the case name):

- ``trials OBJECTS KIND FIRST N``: N scenes of ``KIND`` (seeds FIRST..FIRST+N-1), each
  reset, the minor-axis grasp of its mask and one trial; unit: a trial;
- ``evaluate OBJECTS POLICY WORKERS N``: one evaluation of ``POLICY`` (N trials) end to
  end: the CPU of the whole process from its start (imports, model loading) and of its
  worker processes; unit: a trial;
- ``platecheck OBJECTS POLICY FIRST N``: the plate check of a network card alone on the
  ranked predictions of N scenes (prepared untimed); unit: a decision;
- ``outcomes OBJECTS KIND POLICIES FIRST N``: per seed, one reset and each policy's grasp
  executed; one JSON line per (seed, policy) with ``success`` and ``reason`` (for the
  agreement check, untimed).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _report(cpu_s: float, children_s: float, units: int, **extra: object) -> None:
    print(json.dumps({"cpu_s": cpu_s, "children_cpu_s": children_s, "units": units, **extra}), flush=True)


def trials(objects: str, kind: str, first: str, n: str) -> None:
    from simgrasp.geometry import minor_axis_grasp
    from simgrasp.sim.backend import SimBackend

    backend = SimBackend(objects, scene=kind)
    done = wins = 0
    t0 = time.process_time()
    for seed in range(int(first), int(first) + int(n)):
        try:
            obs, _ = backend.reset(seed)
        except RuntimeError:  # no scene for this seed (SceneError): counted, nothing executed
            continue
        mask = backend.segmentation_mask()
        if mask.any():
            wins += backend.execute(obs.camera.image_to_world(minor_axis_grasp(mask), obs.depth)).success
        done += 1
    _report(time.process_time() - t0, 0.0, int(n), executed=done, successes=wins)
    backend.close()


def evaluate(objects: str, policy: str, workers: str, n: str) -> None:
    from simgrasp.evaluation.runner import RunConfig, run_evaluation

    cfg = RunConfig(policies=(policy,), backend="sim", objects=objects, trials=int(n), seed=0, workers=int(workers))
    with tempfile.TemporaryDirectory(prefix="simgrasp-probe-") as d:
        out = run_evaluation(cfg, Path(d) / "run", progress=False, notify=lambda m: None)
        rows = list(out.rows)  # read from the run folder, so before it is removed
    wins = sum(bool(r.get("success")) for r in rows)
    _stop_fork_server()
    _report(time.process_time(), _children_cpu_s(), len(rows), successes=wins)


def _stop_fork_server() -> None:
    """End this process's multiprocessing fork server, if it started one, so that its CPU
    (and that of the workers it forked and reaped) is counted in the children's."""
    try:
        from multiprocessing import forkserver

        forkserver._forkserver._stop()
    except (ImportError, AttributeError, OSError):
        pass


def platecheck(objects: str, policy: str, first: str, n: str) -> None:
    from simgrasp.geometry.clearance import executable_grasps
    from simgrasp.policies import build_policy, resolve_policy
    from simgrasp.sim.backend import SimBackend

    net = build_policy(resolve_policy(policy))
    backend = SimBackend(objects)
    cases = []
    for seed in range(int(first), int(first) + int(n)):
        obs, _ = backend.reset(seed)
        depth = [obs.depth] if net.detector.needs_depth else None
        pred = net.detector.predict([obs.rgb], depth)[0]
        h, w = obs.rgb.shape[:2]
        # Older checkouts pass the scorer's candidate count to ranked(); the network contract keeps it in the detector.
        extra = (net.scorer_candidates,) if hasattr(net, "scorer_candidates") else ()
        order = pred.ranked(net.score, (w, h), None, *extra)
        cases.append((order, pred.grasps, obs.camera, obs.depth))
    backend.close()
    keep = max(1, net.keep_candidates)
    kept = 0
    t0 = time.process_time()
    for order, grasps, camera, depth in cases:
        kept += len(executable_grasps(order, grasps, camera, depth, net.max_opening_m, net.jaws, keep)[0])
    _report(time.process_time() - t0, 0.0, len(cases), kept=kept)


def outcomes(objects: str, kind: str, policies: str, first: str, n: str) -> None:
    from simgrasp.policies import make_policy, policy_rng
    from simgrasp.sim.backend import SimBackend

    backend = SimBackend(objects, scene=kind)
    made = {name: make_policy(name) for name in policies.split(",")}
    for policy in made.values():
        if getattr(policy, "privileged", False):
            policy.bind(backend.privileged())
    for seed in range(int(first), int(first) + int(n)):
        try:
            obs, _ = backend.reset(seed)
        except RuntimeError as e:  # SceneError: no scene for this seed, for every policy alike
            for name in made:
                print(json.dumps({"kind": kind, "policy": name, "seed": seed, "success": False,
                                  "reason": "sim_error", "error": str(e)}), flush=True)
            continue
        for name, policy in made.items():
            row = {"kind": kind, "policy": name, "seed": seed}
            try:
                grasp = policy.act(obs, policy_rng(seed)).grasp
                out = backend.execute(obs.camera.image_to_world(grasp, obs.depth))
                row.update(success=bool(out.success), reason=out.reason)
            except Exception as e:  # the policy's fault, as an evaluation records it
                row.update(success=False, reason="policy_error", error=f"{type(e).__name__}: {e}")
            print(json.dumps(row), flush=True)
    backend.close()


CASES = {"trials": trials, "evaluate": evaluate, "platecheck": platecheck, "outcomes": outcomes}

if __name__ == "__main__":
    CASES[sys.argv[1]](*sys.argv[2:])
