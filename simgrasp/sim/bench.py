"""Simulation benchmark: trials per second in one process, isolated objects.

Each trial is a new scene (reset: drop, settle, rebuild, render) and one lift-move-place
trial with a grasp across the object's short side, found from the segmentation mask
(:func:`simgrasp.geometry.minor_axis_grasp`). Prints the rate, the
milliseconds per stage and the heuristic's success rate.

    python -m simgrasp.bench sim [--objects random_urdfs:test] [--trials 50] [--repeat 1]
                                 [--appearance fixed|randomized] [--looks 20] [--cold-start]

``--against REF`` instead runs workloads here and in a reference checkout or commit side by
side and prints the CPU per trial of each and the ratio (simgrasp.evaluation.against_bench);
``--looks N`` also times the reset and the render of N scenes in every appearance mode;
``--cold-start`` times a backend's start on an empty cache (generating procedural files,
preparing every mesh), e.g. ``--objects procedural:train --cold-start --trials 1``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter

from simgrasp.geometry import minor_axis_grasp
from simgrasp.sim import HELD_OUT_OBJECTS
from simgrasp.sim.appearance import APPEARANCE_MODES
from simgrasp.sim.backend import SimBackend
from simgrasp.sim.config import ObjectConfig, SimConfig
from simgrasp.sim.scene import render_scene


def appearance_costs(objects: str, scenes: int, renders: int = 5) -> dict[str, tuple[float, float]]:
    """Per appearance mode: (ms per reset, ms per render incl. depth noise) over seeds 0..scenes-1."""
    costs = {}
    for mode in APPEARANCE_MODES.names():
        backend = SimBackend(objects, appearance=mode)
        t_reset = t_render = 0.0
        try:
            for seed in range(scenes):
                t0 = time.perf_counter()
                backend.reset(seed)
                t1 = time.perf_counter()
                for _ in range(renders):
                    render_scene(backend.world, backend.scene, backend.config)
                t_reset, t_render = t_reset + t1 - t0, t_render + (time.perf_counter() - t1) / renders
        finally:
            backend.close()
        costs[mode] = (1e3 * t_reset / scenes, 1e3 * t_render / scenes)
    return costs


def cold_start_s(objects: str) -> tuple[float, int]:
    """(seconds to start a SimBackend on ``objects`` with an empty cache, objects loaded)."""
    saved = os.environ.get("SIMGRASP_CACHE")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["SIMGRASP_CACHE"] = cache  # procedural files are generated there too
        try:
            t0 = time.perf_counter()
            backend = SimBackend(objects, SimConfig(library=ObjectConfig(cache_dir=cache)))
            elapsed, count = time.perf_counter() - t0, len(backend.objects)
            backend.close()
        finally:
            if saved is None:
                del os.environ["SIMGRASP_CACHE"]
            else:
                os.environ["SIMGRASP_CACHE"] = saved
    return elapsed, count


def main(argv: list[str] | None = None) -> None:
    if argv is not None and any(a == "--against" or a.startswith("--against=") for a in argv):
        from simgrasp.evaluation.against_bench import costs_main

        costs_main(argv)
        return
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench sim", description=__doc__.splitlines()[0])
    ap.add_argument("--objects", default=HELD_OUT_OBJECTS, help="object spec")
    ap.add_argument("--trials", type=int, default=50, help="scenes (seeds 0..N-1)")
    ap.add_argument("--repeat", type=int, default=1, help="trials per scene (restored from the saved state)")
    ap.add_argument("--appearance", default="fixed", choices=APPEARANCE_MODES.names(), help="scene looks")
    ap.add_argument("--looks", type=int, default=0, help="also time reset and render of N scenes per appearance")
    ap.add_argument("--cold-start", action="store_true", help="also time the backend's start on an empty cache")
    args = ap.parse_args(argv)
    if args.cold_start:
        seconds, count = cold_start_s(args.objects)
        print(f"objects {args.objects}: cold start (empty cache) {seconds:.1f} s for {count} objects")

    backend = SimBackend(args.objects, appearance=args.appearance)
    reasons: Counter[str] = Counter()
    t_reset = t_render = t_exec = 0.0
    steps = trials = 0
    start = time.perf_counter()
    try:
        for seed in range(args.trials):
            t0 = time.perf_counter()
            obs, _ = backend.reset(seed)
            t1 = time.perf_counter()
            t_reset += t1 - t0
            mask = backend.segmentation_mask()
            rect = minor_axis_grasp(mask) if mask.any() else None
            for _ in range(args.repeat):
                t2 = time.perf_counter()
                if rect is None:
                    reasons["no_object_in_view"] += 1
                    continue
                out = backend.execute(obs.camera.image_to_world(rect, obs.depth))
                t_exec += time.perf_counter() - t2
                reasons[out.reason] += 1
                steps += out.steps
                trials += 1
        # Render cost measured apart: a reset includes one render.
        t3 = time.perf_counter()
        for _ in range(10):
            render_scene(backend.world, backend.scene, backend.config)
        t_render = (time.perf_counter() - t3) / 10
    finally:
        backend.close()
    total = time.perf_counter() - start
    n = max(trials, 1)
    print(f"objects {args.objects}: {args.trials} scenes x {args.repeat} trial(s), one process, {args.appearance} look")
    print(f"  trials per second overall : {n / total:.1f}  (new scene with render every {args.repeat} trial(s))")
    print(f"  trials per second (physics only, saved state restored): {n / max(t_exec, 1e-9):.1f}")
    print(f"  reset (drop, settle, rebuild, render) : {1e3 * t_reset / max(args.trials, 1):.1f} ms/scene")
    print(f"  of which render ({backend.config.camera.width}x{backend.config.camera.height} TinyRenderer): {1e3 * t_render:.1f} ms")
    print(f"  lift-move-place trial : {1e3 * t_exec / n:.1f} ms/trial, {steps / n:.0f} steps, "
          f"{1e6 * t_exec / max(steps, 1):.0f} us/step")
    print(f"  minor-axis heuristic success: {reasons['success'] / n:.1%} of {n}; reasons: {dict(reasons)}")
    print(f"  skipped objects: {len(backend.skipped_objects())}")
    if args.looks > 0:
        for mode, (reset_ms, render_ms) in appearance_costs(args.objects, args.looks).items():
            print(f"  appearance {mode:<10}: reset {reset_ms:.1f} ms/scene, render {render_ms:.1f} ms (over {args.looks} scenes)")


if __name__ == "__main__":
    main()
