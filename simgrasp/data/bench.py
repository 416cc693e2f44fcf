"""Dataset generation benchmark: ``python -m simgrasp.bench dataset [--objects SPEC]
[--scenes N] [--workers 1,2] [--out DIR]``.

Generates the same small run once per worker count (fresh output folders, default
GenerateConfig) and prints annotated scenes per hour of wall time, simulated trials per
second (lift pre-checks plus full trials), and the mean stored grasp box.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from simgrasp.data.inspect import dataset_stats
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.data.runner import generate_dataset


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m simgrasp.bench dataset", description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", default="random_urdfs:0-19", help="object spec")
    p.add_argument("--scenes", type=int, default=2, help="scenes per object")
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="keep the outputs here (default: a temp folder)")
    args = p.parse_args(argv)
    root = args.out or Path(tempfile.mkdtemp(prefix="simgrasp-bench-"))
    try:
        print(f"objects {args.objects}, {args.scenes} scenes per object, seed {args.seed}")
        for w in (int(x) for x in args.workers.split(",")):
            out = root / f"workers{w}"
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            s = generate_dataset(args.objects, out, args.scenes, workers=w, seed=args.seed, progress=False)
            wall = time.perf_counter() - t0
            st = dataset_stats(JacquardDataset(out)) if s["scenes_kept"] else None
            box = f"{st['mean_box_w_px']:.1f} x {st['mean_box_h_px']:.1f} px" if st else "n/a"
            print(
                f"workers={w}: {s['scenes_attempted']} scenes ({s['scenes_kept']} kept) in {wall:.1f} s -> "
                f"{3600 * s['scenes_attempted'] / wall:.0f} scenes/h, {3600 * s['scenes_kept'] / wall:.0f} kept "
                f"scenes/h, {s['trials'] / wall:.1f} trials/s ({s['trials']} trials), "
                f"{s['grasps_per_kept_scene']:.1f} grasps per kept scene, mean box {box}",
                flush=True,
            )
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
