"""Clutter benchmark: CPU seconds per trial and per clearing episode, by scene kind.

    python -m simgrasp.bench clutter [--objects random_urdfs:test] [--trials 20] [--episodes 5]
                                     [--kinds single,pile:5,packed:5]

Each trial is a new scene (drop, settle, rebuild, render), the heuristic's grasp and one
lift-move-place trial; each clearing episode is a new scene cleared by the heuristic
(the rules of simgrasp.protocols.clear). CPU time of this process (``time.process_time``), so other
load on the machine does not count; the share of physics steps says where the time goes.
"""

from __future__ import annotations

import argparse
import time

from simgrasp.protocols.clear import ClearingConfig, run_episode
from simgrasp.policies import make_policy, policy_rng
from simgrasp.sim.backend import SimBackend
from simgrasp.sim.world import World


class StepTimer:
    """Counts the CPU seconds spent in ``World.step`` while active (wraps the method)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._step = World.step

    def __enter__(self) -> "StepTimer":
        original = self._step

        def timed(world: World, n: int = 1) -> None:
            t = time.process_time()
            original(world, n)
            self.seconds += time.process_time() - t

        World.step = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        World.step = self._step  # type: ignore[method-assign]


def trial_costs(objects: str, kind: str, trials: int) -> tuple[float, float, int]:
    """(CPU s per trial, share in physics steps, successes) of the heuristic on ``kind`` scenes."""
    policy = make_policy("heuristic")
    wins = 0
    with SimBackend(objects, scene=kind) as b, StepTimer() as steps:
        t = time.process_time()
        for seed in range(trials):
            obs, _ = b.reset(seed)
            out = b.execute(obs.camera.image_to_world(policy.act(obs, policy_rng(seed)).grasp, obs.depth))
            wins += out.success
        cpu = time.process_time() - t
    return cpu / trials, steps.seconds / cpu, wins


def episode_costs(objects: str, kind: str, episodes: int) -> tuple[float, float]:
    """(CPU s per clearing episode, mean grasps per episode) of the heuristic on ``kind`` scenes."""
    policy = make_policy("heuristic")
    grasps = 0
    with SimBackend(objects, scene=kind) as b:
        t = time.process_time()
        for seed in range(episodes):
            grasps += len(list(run_episode(b, policy, seed, ClearingConfig())))
        cpu = time.process_time() - t
    return cpu / episodes, grasps / episodes


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench clutter")
    ap.add_argument("--objects", default="random_urdfs:test")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--episodes", type=int, default=5)
    ap.add_argument("--kinds", default="single,pile:5,packed:5")
    args = ap.parse_args(argv)
    for kind in args.kinds.split(","):
        per, share, wins = trial_costs(args.objects, kind, args.trials)
        print(f"{kind:>9}: {1 / per:6.1f} trials/s on one core ({per * 1000:.0f} ms CPU each, "
              f"{share:.0%} in physics steps), heuristic {wins}/{args.trials}", flush=True)
        if kind != "single":
            ep, grasps = episode_costs(args.objects, kind, args.episodes)
            print(f"{kind:>9}: clearing episode {ep:.2f} s CPU ({grasps:.1f} grasps)", flush=True)
