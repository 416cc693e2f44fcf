"""Top-1 rectangle-metric accuracy of a checkpoint, primary score and scorer side by side
(the paper's Table I): the best grasp of each image counts when it is within 30 degrees
of some ground truth and overlaps it with IoU above 25 %.

``python -m simgrasp.jaccard --checkpoint C --data DIR [--out result.json]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from simgrasp.model.detector import Detector
from simgrasp.model.metrics import jaccard_accuracy
from simgrasp.train import open_dataset


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.jaccard", description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="a Jacquard-layout folder")
    ap.add_argument("--out", type=Path, default=None, help="JSON file for the result")
    ap.add_argument("--limit", type=int, default=None, help="evaluate the first N images only")
    ap.add_argument("--iou", type=float, default=0.25)
    ap.add_argument("--angle", type=float, default=30.0, help="degrees")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    dataset = open_dataset(args.data)
    detector = Detector.from_checkpoint(args.checkpoint, args.device)
    t0 = time.perf_counter()
    acc = jaccard_accuracy(detector, dataset, args.limit, iou_threshold=args.iou, angle_threshold_deg=args.angle)
    seconds = time.perf_counter() - t0
    cfg = detector.config
    print(f"{'score':<10}{'backbone':<11}{'images':>7}{'accuracy':>10}")
    for score in ("primary", "scorer"):
        print(f"{score:<10}{cfg.backbone:<11}{acc['n']:>7}{100 * acc[score]:>9.2f}%")
    result = {
        "checkpoint": str(args.checkpoint),
        "data": str(args.data),
        "n": acc["n"],
        "accuracy_primary": acc["primary"],
        "accuracy_scorer": acc["scorer"],
        "iou_threshold": args.iou,
        "angle_threshold_deg": args.angle,
        "model": cfg.to_dict(),
        "seconds": seconds,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
