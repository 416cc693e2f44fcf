"""Grasp datasets from the command line.

    python -m simgrasp.dataset inspect DIR [--format jacquard|cornell] [--montage PNG]
    python -m simgrasp.dataset generate --objects SPEC --scenes-per-object N --out DIR
                                        [--workers W] [--seed S] [--resume] [--noisy-depth]
                                        [--appearance fixed|randomized] [--scene pile:N]
                                        [--executor local|ray] [--address auto]
    python -m simgrasp.dataset sgt --data DIR --predictions FILE [--out JSONL]
    python -m simgrasp.dataset tryout --checkpoint PT --data DIR[,DIR...] [--depth stereo]
                                      [--workers W] [--by-scorer N] [--by-primary N] [--sampled N]

``inspect`` prints statistics (scenes, objects, grasps per scene, mean grasp box; for
generated data the tried grasps: positives, negatives, reasons, sources, openings) and
writes a montage with the grasps drawn; ``generate`` annotates scenes by simulated grasp
trials in the Jacquard layout; ``sgt`` re-executes predicted grasps in the rebuilt
scenes (the Jacquard paper's simulated grasp trial criterion); ``tryout`` re-executes a
trained network's own grasps in the rebuilt scenes and adds their outcomes to the
scenes' tried-grasps sidecars (labels for a scorer taught by simulation).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from PIL import Image

from simgrasp.executors import EXECUTORS, ExecutorOptions


def _inspect_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", type=Path, help="dataset folder")
    p.add_argument("--format", default=None, help="dataset format (default: detected)")
    p.add_argument("--montage", type=Path, default=None, help="montage PNG (default: ROOT/montage.png)")
    p.add_argument("--count", type=int, default=16, help="images in the montage")
    p.add_argument("--seed", type=int, default=0, help="which images go in the montage")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")


def _inspect(args: argparse.Namespace) -> int:
    from simgrasp.data.formats import open_dataset
    from simgrasp.data.inspect import dataset_stats, format_stats, montage

    ds = open_dataset(args.root, args.format)
    stats = dataset_stats(ds)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    for path, reason, _ in getattr(ds, "dropped", [])[:20]:
        print(f"dropped {path}: {reason}", file=sys.stderr)
    if len(ds):
        out = args.montage or args.root / "montage.png"
        Image.fromarray(montage(ds, n=args.count, seed=args.seed)).save(out)
        print(f"montage: {out}")
    return 0


def _generate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--objects", required=True, help="object set spec of the simulator (e.g. random_urdfs:0-99)")
    p.add_argument("--scenes-per-object", type=int, default=5, help="scenes (drops) per object")
    p.add_argument("--out", type=Path, required=True, help="output folder (Jacquard layout)")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each with its own simulator")
    p.add_argument("--seed", type=int, default=0, help="dataset seed; per-scene seeds derive from it")
    p.add_argument("--resume", action="store_true", help="keep finished scenes in OUT and do the rest")
    p.add_argument("--noisy-depth", action="store_true", help="also write a noisy 'stereo' depth image")
    p.add_argument("--scene", default=None,
                   help="scene kind: single (default), pile:N or packed:N (several objects, grasps on any of them)")
    p.add_argument("--appearance", choices=("fixed", "randomized"), default=None,
                   help="scene looks (default randomized: colours, textures, light, camera height, depth noise)")
    p.add_argument("--config", type=Path, default=None, help="TOML overriding GenerateConfig fields")
    p.add_argument("--limit-objects", type=int, default=None, help="use only the first N objects of the set")
    p.add_argument("--executor", default="local", help=f"{' or '.join(EXECUTORS.names())}: local processes or Ray tasks")
    p.add_argument("--address", default=None, help="with --executor ray: the cluster (auto: the running one; "
                   "default: start a local one); OUT must then be storage every node shares")
    p.add_argument("--connect-timeout", type=float, default=ExecutorOptions.connect_timeout_s,
                   help="with --address: seconds to wait for the cluster to answer")


def _generate(args: argparse.Namespace) -> int:
    from simgrasp.data.runner import run_cli

    return run_cli(args)


def _sgt_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="generated dataset folder (with *_scene.json records)")
    p.add_argument("--predictions", type=Path, required=True, help='JSONL rows {"scene_id": ..., "grasp": [x,y,t,w,h]}')
    p.add_argument("--out", type=Path, default=None, help="JSONL of outcomes (default: stdout summary only)")


def _sgt(args: argparse.Namespace) -> int:
    from simgrasp.data.sgt import run_predictions

    return run_predictions(args.data, args.predictions, args.out)


def _tryout_args(p: argparse.ArgumentParser) -> None:
    from simgrasp.data.tryout import TryoutConfig

    d = TryoutConfig()
    p.add_argument("--checkpoint", type=Path, required=True, help="the trained network whose grasps are tried")
    p.add_argument("--data", required=True, help="generated dataset folder(s), comma-separated")
    p.add_argument("--depth", default=None, choices=("perfect", "stereo"), help="depth file a depth-reading network gets")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled grasps")
    p.add_argument("--by-scorer", type=int, default=d.by_scorer, help="best grasps by the scorer, per scene")
    p.add_argument("--by-primary", type=int, default=d.by_primary, help="best grasps by the primary score, per scene")
    p.add_argument("--sampled", type=int, default=d.sampled, help=f"grasps drawn among the --pool ({d.pool}) best by primary")
    p.add_argument("--pool", type=int, default=d.pool)
    p.add_argument("--max-opening-m", type=float, default=d.max_opening_m, help="widest grasp the gripper makes")
    p.add_argument(
        "--check-jaws", action=argparse.BooleanOptionalAction, default=d.check_jaws,
        help="only grasps whose plates come down clear in the depth image (as the shipped policy cards)",
    )
    p.add_argument("--tag", default=d.tag, help="names this round's rows (sources TAG:scorer, ...)")
    p.add_argument("--limit", type=int, default=None, help="first N scenes of each folder only")
    p.add_argument("--no-progress", action="store_true")


def _tryout(args: argparse.Namespace) -> int:
    from simgrasp.data.tryout import TryoutConfig, run_tryout

    cfg = TryoutConfig(args.by_scorer, args.by_primary, args.sampled, args.pool, args.max_opening_m, args.check_jaws, args.tag)
    summary = run_tryout(args.checkpoint, args.data.split(","), args.depth, cfg, args.seed, args.workers, args.limit,
                         progress=not args.no_progress)
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0


# name -> (add arguments, run); an unknown name is argparse's error listing the valid ones
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "inspect": (_inspect_args, _inspect),
    "generate": (_generate_args, _generate),
    "sgt": (_sgt_args, _sgt),
    "tryout": (_tryout_args, _tryout),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simgrasp.dataset", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add_args, _) in COMMANDS.items():
        add_args(sub.add_parser(name))
    args = parser.parse_args(argv)
    from simgrasp.executors import ClusterError  # no Ray import: only the error type

    try:
        return COMMANDS[args.command][1](args)
    except (ValueError, FileNotFoundError) as e:  # bad input: one clear line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ClusterError as e:  # the cluster went away mid-run: the scenes it finished are kept
        print(f"error: {e}; finished scenes are saved, continue with --resume", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
