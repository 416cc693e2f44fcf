"""Benchmarks against a reference checkout (simgrasp.evaluation.against).

    python -m simgrasp.bench sim --against REF [--cases single,pile:5,scorer:1,scorer:2,platecheck]
        [--rounds 1] [--trials 40] [--pile-trials 12] [--eval-trials 60] [--scenes 30] [--objects SPEC]
    python -m simgrasp.bench agreement --against REF [--seeds 500] [--kinds single,pile:5,packed:5]
        [--policies heuristic,oracle] [--first 0] [--jobs 2] [--objects SPEC] [--rows FILE]

``REF`` is a checkout folder or a commit of this repository. The first prints the CPU
time per trial (or per decision) of each workload on both sides and their ratio; the second,
per scene kind and policy, the share of seeds whose success agrees trial by trial, both
success rates and whether this side's lies in the reference's Wilson 95 % interval.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from simgrasp.evaluation.against import (
    AgainstError, agreement_rows, agreement_table, cases, checkout, compare_costs,
)
from simgrasp.sim import HELD_OUT_OBJECTS

DEFAULT_CASES = "single,pile:5,scorer:1,scorer:2,platecheck"


def _exit_on_terminate() -> None:
    """SIGTERM unwinds like Ctrl-C: the running probe is killed and a temporary worktree removed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def costs_main(argv: list[str] | None = None) -> None:
    """``python -m simgrasp.bench sim --against REF ...``: CPU per unit of work, side by side."""
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench sim --against", description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="reference: a checkout folder or a commit")
    ap.add_argument("--cases", default=DEFAULT_CASES, help=f"workloads, comma-separated (default {DEFAULT_CASES})")
    ap.add_argument("--rounds", type=int, default=1, help="runs of every case on each side, alternating (median kept)")
    ap.add_argument("--trials", type=int, default=40, help="single-object trials per run (seeds 0..N-1)")
    ap.add_argument("--pile-trials", type=int, default=12, help="trials per run of a pile or packed case")
    ap.add_argument("--eval-trials", type=int, default=60, help="trials per evaluation of a scorer case")
    ap.add_argument("--scenes", type=int, default=30, help="decisions of the plate check case")
    ap.add_argument("--objects", default=HELD_OUT_OBJECTS, help="object spec")
    args = ap.parse_args(argv)
    _exit_on_terminate()
    chosen = cases(args.cases.split(","), args.objects, args.trials, args.pile_trials, args.eval_trials, args.scenes)
    try:
        with checkout(args.against) as ref:
            compare_costs(ref, chosen, args.rounds)
    except AgainstError as e:
        raise SystemExit(f"simgrasp.bench: error: {e}") from None


def main(argv: list[str] | None = None) -> None:
    """``python -m simgrasp.bench agreement --against REF ...``: outcomes trial by trial."""
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench agreement", description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="reference: a checkout folder or a commit")
    ap.add_argument("--seeds", type=int, default=500, help="seeds per scene kind")
    ap.add_argument("--first", type=int, default=0, help="first seed")
    ap.add_argument("--kinds", default="single,pile:5,packed:5", help="scene kinds, comma-separated")
    ap.add_argument("--policies", default="heuristic,oracle", help="policies, comma-separated")
    ap.add_argument("--objects", default=HELD_OUT_OBJECTS, help="object spec")
    ap.add_argument("--jobs", type=int, default=2, help="probes run at once")
    ap.add_argument("--rows", help="also write every outcome of both sides to this JSON file")
    args = ap.parse_args(argv)
    _exit_on_terminate()
    t0 = time.perf_counter()
    try:
        with checkout(args.against) as ref:
            print(f"agreement of {args.policies} on {args.objects}, seeds {args.first}..{args.first + args.seeds - 1}, "
                  f"against {ref}", flush=True)
            rows = agreement_rows(ref, args.objects, args.kinds.split(","), args.policies.split(","), args.first,
                                  args.seeds, args.jobs, log=lambda m: print(m, flush=True))
    except AgainstError as e:
        raise SystemExit(f"simgrasp.bench: error: {e}") from None
    if args.rows:
        Path(args.rows).write_text(json.dumps(rows))
    print(f"{'kind':<10} {'policy':<10} {'seeds':>6} {'agree':>7} {'this':>7} {'ref':>7}  ref 95% interval")
    for r in agreement_table(rows):
        lo, hi = r["ref_interval"]
        print(f"{r['kind']:<10} {r['policy']:<10} {r['seeds']:>6} {100 * r['agreement']:6.1f}% {100 * r['rate']:6.1f}% "
              f"{100 * r['ref_rate']:6.1f}%  [{100 * lo:.1f}, {100 * hi:.1f}] {'in' if r['within'] else 'OUT'}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
