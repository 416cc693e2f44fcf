"""What one decision costs each policy: ``python -m simgrasp.bench decisions [--scenes 30]
[--policies scorer,zhou,ggcnn2,...] [--objects SPEC] [--threads 1]``.

Every policy decides on the same observations (the scenes of seeds 0..N-1, randomised
looks, rendered once), one after the other in this process, with one torch thread (as
each evaluation worker runs). Prints, per policy, the median and mean time of ``act`` and
the ratio of its mean to the first policy's, measured in the same command: the machine
is shared and drifts, so the ratios are what compare across days. A policy whose weights
are missing is reported and skipped."""

from __future__ import annotations

import argparse
import statistics
import time

from simgrasp.backends import make_backend
from simgrasp.policies import PolicyError, make_policy, policy_rng
from simgrasp.sim import HELD_OUT_OBJECTS

DEFAULT_POLICIES = "scorer,heuristic,primary,zhou,scorer_rgb,ggcnn2,grconvnet,scorer_nojaws,ggcnn2_nojaws"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench decisions", description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", type=int, default=30, help="observations each policy decides on (default 30)")
    ap.add_argument("--policies", default=DEFAULT_POLICIES, help="policies, comma-separated; the first is the reference")
    ap.add_argument("--objects", default=HELD_OUT_OBJECTS, help=f"object spec of the scenes (default {HELD_OUT_OBJECTS})")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as an evaluation worker)")
    args = ap.parse_args(argv)
    if args.scenes < 1:
        raise SystemExit(f"expected --scenes >= 1, got {args.scenes}")
    import torch

    torch.set_num_threads(args.threads)
    backend = make_backend("sim", objects=args.objects, appearance="randomized")
    try:
        observations = [backend.reset(seed)[0] for seed in range(args.scenes)]
    finally:
        backend.close()
    print(f"{args.scenes} observations of {args.objects} (randomised looks), torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"{'policy':<16} {'median ms':>10} {'mean ms':>9} {'x first':>8}")
    reference = None
    for name in [p.strip() for p in args.policies.split(",") if p.strip()]:
        try:
            policy = make_policy(name)
        except PolicyError as e:
            print(f"{name:<16} skipped: {e}")
            continue
        policy.act(observations[0], policy_rng(0))  # the first call builds caches: not timed
        times = []
        for seed, obs in enumerate(observations):
            t0 = time.perf_counter()
            policy.act(obs, policy_rng(seed))
            times.append(time.perf_counter() - t0)
        mean = statistics.fmean(times)
        reference = reference or mean
        print(f"{name:<16} {1000 * statistics.median(times):>10.1f} {1000 * mean:>9.1f} {mean / reference:>8.2f}")
