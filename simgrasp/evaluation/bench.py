"""End-to-end evaluation throughput: ``python -m simgrasp.bench evaluate [--trials N]
[--workers 1,2] [--policies random,scorer] [--backend sim] [--objects SPEC]``.

For each policy and worker count, runs a fresh evaluation in a temporary folder and prints
trials per second two ways: over the whole wall time (process start-up, model loading and
all), and over the time trials were running (from the rows, the steady rate). Targets on
this 2-core machine: >= 10 trials/s with the scorer on a CPU-sized backbone, and >= 1.8x
from one to two workers. A policy whose weights are missing is reported and skipped."""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from simgrasp.evaluation.runner import RunConfig, RunError, run_evaluation
from simgrasp.policies import PolicyError, resolve_policy
from simgrasp.sim import HELD_OUT_OBJECTS


def measure(cfg: RunConfig) -> tuple[float, float, float]:
    """``(wall trials/s, steady trials/s, success rate)`` of one run of ``cfg``."""
    with tempfile.TemporaryDirectory(prefix="simgrasp-bench-") as d:
        t0 = time.perf_counter()
        out = run_evaluation(cfg, Path(d) / "run", progress=False, notify=lambda m: None)
        wall = time.perf_counter() - t0
    n = len(out.rows)
    (summary,) = out.results["policies"].values()
    steady = summary["throughput"]["trials_per_s"] or float("nan")
    return n / wall, steady, summary["success"]["rate"] or 0.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=60, help="trials per run (default 60)")
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated (default 1,2)")
    ap.add_argument("--policies", default="random,scorer", help="policies, comma-separated (default random,scorer)")
    ap.add_argument("--backend", default="sim")
    ap.add_argument("--objects", default=HELD_OUT_OBJECTS)
    ap.add_argument(
        "--checkpoint", help="weights for scorer/primary instead of their cards' (e.g. a fresh network, for speed only)"
    )
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="simgrasp-bench-cards-") as cards:
        run_all(args, Path(cards))


def card_for(policy: str, checkpoint: str | None, cards: Path) -> str:
    """The ``--policy`` value to benchmark: a temporary card when ``checkpoint`` replaces
    a network policy's weights, else the name itself."""
    if checkpoint is None or policy not in ("scorer", "primary"):
        return policy
    card = cards / f"{policy}.toml"
    card.write_text(f'name = "{policy}"\nimplementation = "{policy}"\ncheckpoint = "{Path(checkpoint).resolve()}"\n')
    return str(card)


def run_all(args: argparse.Namespace, cards: Path) -> None:
    workers = [int(w) for w in args.workers.split(",")]
    base = RunConfig(backend=args.backend, objects=args.objects, trials=args.trials, seed=0)
    print(
        f"{args.trials} trials per run on {args.backend} ({args.objects}); trials/s over wall time | while trials ran"
    )
    for name in args.policies.split(","):
        policy = card_for(name, args.checkpoint, cards)
        try:
            resolve_policy(policy)
        except PolicyError as e:
            print(f"{name:>10}: skipped: {e}")
            continue
        steady: dict[int, float] = {}
        for w in workers:
            try:
                wall_rate, steady[w], success = measure(replace(base, policies=(policy,), workers=w))
            except RunError as e:
                print(f"{name:>10}: skipped: {e}")
                break
            print(
                f"{name:>10}  workers={w}:  {wall_rate:6.2f} trials/s wall | {steady[w]:6.2f} trials/s steady"
                f" | success {100 * success:.0f}%"
            )
        if 1 in steady and len(steady) > 1:
            for w in sorted(steady)[1:]:
                print(f"{name:>10}  speed-up 1 -> {w} workers (steady): {steady[w] / steady[1]:.2f}x")


if __name__ == "__main__":
    main()
