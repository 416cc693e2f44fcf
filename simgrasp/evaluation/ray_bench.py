"""Ray executor against the local process pool: ``python -m simgrasp.bench ray [--trials N]
[--cpus 2] [--policy heuristic] [--backend sim] [--objects SPEC] [--address auto]``.

Runs the same evaluation with ``--executor local --workers CPUS`` and with ``--executor
ray`` on a Ray instance of CPUS CPUs (started here before timing, or the cluster at
``--address``), and prints trials per second over the wall time and while trials ran (the
steady rate, from the rows), Ray's overhead against the pool (target: under 10 %), the
time Ray took to start, and the round trip of an empty task."""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from typing import Any

from simgrasp.evaluation.bench import measure
from simgrasp.evaluation.runner import RunConfig
from simgrasp.sim import HELD_OUT_OBJECTS


def _noop(setup: Any, job: int) -> dict[str, Any]:
    """An empty work unit: what a task costs beyond its work."""
    return {"job": job}


def task_round_trip_ms(tasks: int = 400) -> float:
    """Milliseconds per empty task through the Ray executor (cluster already running)."""
    from simgrasp.executors import WorkUnit
    from simgrasp.executors.ray import RayExecutor

    executor = RayExecutor(WorkUnit(_noop, int))
    t0 = time.perf_counter()
    n = sum(1 for _ in executor.run(None, list(range(tasks))))
    return 1000.0 * (time.perf_counter() - t0) / n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench ray", description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=60, help="trials per run (default 60)")
    ap.add_argument("--repeats", type=int, default=2, help="runs per executor, interleaved (default 2)")
    ap.add_argument("--cpus", type=int, default=2, help="local workers and Ray CPUs (default 2)")
    ap.add_argument("--policy", default="heuristic", help="policy (default heuristic)")
    ap.add_argument("--backend", default="sim")
    ap.add_argument("--objects", default=HELD_OUT_OBJECTS)
    ap.add_argument("--address", help="an existing Ray cluster (default: start a local one with --cpus CPUs)")
    args = ap.parse_args(argv)

    from simgrasp.executors.ray import import_ray

    ray = import_ray()
    local = RunConfig(
        policies=(args.policy,), backend=args.backend, objects=args.objects, trials=args.trials, seed=0,
        workers=args.cpus,
    )
    t0 = time.perf_counter()
    if args.address:
        ray.init(address=args.address, log_to_driver=False, logging_level="WARNING")
    else:
        ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, log_to_driver=False,
                 logging_level="WARNING")
    started = time.perf_counter() - t0
    try:
        cpus = int(ray.cluster_resources().get("CPU", 0))
        runs = {f"local workers={args.cpus}": local, f"ray cpus={cpus}": replace(local, executor="ray")}
        print(f"{args.trials} trials of {args.policy} on {args.backend} ({args.objects}), runs interleaved;"
              " trials/s over wall | steady")
        rates: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for i in range(args.repeats):
            # Interleaved, so that a load that comes and goes on the machine weighs on both.
            for name, cfg in runs.items():
                wall, steady, success = measure(cfg)
                rates[name].append((wall, steady))
                print(
                    f"  {name:<16} run {i + 1}: {wall:6.2f} wall | {steady:6.2f} steady | success {100 * success:.0f}%"
                )
        (lw, ls), (rw, rs) = (tuple(statistics.median(v) for v in zip(*r)) for r in rates.values())
        print(f"  medians: local {lw:.2f} wall | {ls:.2f} steady; ray {rw:.2f} wall | {rs:.2f} steady")
        print(f"  ray overhead against the pool: {100 * (1 - rw / lw):+.1f}% wall, {100 * (1 - rs / ls):+.1f}% steady"
              " (positive: Ray is slower; the first Ray run builds its workers' simulators, later ones reuse them)")
        print(f"  ray start-up (not in the rates): {started:.1f} s;"
              f" empty task round trip: {task_round_trip_ms():.2f} ms")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
