"""Top-1 rectangle-metric accuracy of a checkpoint, primary score and scorer side by side
(the paper's Table I), for a checkpoint of any network family (each of its scores: the
paper's network's primary score and scorer, a grasp-map network's quality): the best grasp
of each image counts when it is within 30 degrees of some ground truth and overlaps it with
IoU above 25 %.

``python -m simgrasp.jaccard --checkpoint C --data DIR [--out result.json] [--sgt]``

With ``--sgt`` (generated datasets only) the same top grasps are also re-executed in their
exact rebuilt scenes: the simulated grasp trial criterion of the Jacquard paper, reported
next to the rectangle metric.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Sequence

from tqdm import tqdm

from simgrasp.data.sample import GraspDataset
from simgrasp.geometry import GraspRect
from simgrasp.model.contract import GraspNetwork, load_network
from simgrasp.model.detector import SCORES
from simgrasp.model.metrics import jaccard_accuracy
from simgrasp.train import training_set


def sgt_accuracy(
    detector: GraspNetwork, dataset: GraspDataset, limit: int | None = None, scores: Sequence[str] = SCORES
) -> dict[str, Any]:
    """Share of images whose top grasp, by each of ``scores``, succeeds when re-executed in
    the rebuilt scene (lift-move-place). Needs the scene records the generator writes."""
    from simgrasp.data.sgt import SGTRunner  # the simulator only when asked for

    n = len(dataset) if limit is None else min(limit, len(dataset))
    hits = {s: 0 for s in scores}
    with SGTRunner() as runner:
        for i in tqdm(range(n), desc="SGT", unit="image"):
            sample = dataset[i]
            record = sample.meta.get("scene_record")
            if record is None:
                raise ValueError(f"{sample.scene_id}: no scene record; --sgt needs a dataset made by simgrasp.dataset")
            p = detector.predict_samples([sample])[0]
            for score in scores:
                top = p.ranked(score, top_k=1)  # ranked as the prediction's network ranks
                if len(top):  # an image without any grasp counts as a miss, as in the rectangle metric
                    hits[score] += runner.trial(record, GraspRect.from_array(p.grasps[int(top[0])])).success
    return {**{s: hits[s] / max(n, 1) for s in scores}, "n": n}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.jaccard", description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="a Jacquard-layout folder")
    ap.add_argument("--out", type=Path, default=None, help="JSON file for the result")
    ap.add_argument("--limit", type=int, default=None, help="evaluate the first N images only")
    ap.add_argument("--iou", type=float, default=0.25)
    ap.add_argument("--angle", type=float, default=30.0, help="degrees")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sgt", action="store_true", help="also re-execute the top grasps in the rebuilt scenes")
    ap.add_argument("--depth", default=None, choices=("perfect", "stereo"), help="depth file a depth-reading network gets")
    ap.add_argument(
        "--scorer-candidates", type=int, default=None,
        help="the paper's network: the scorer ranks all grasps (0, default) or the N best by primary score",
    )
    args = ap.parse_args(argv)
    dataset = training_set(args.data, args.depth)
    options = {} if args.scorer_candidates is None else {"scorer_candidates": args.scorer_candidates}
    try:
        detector = load_network(args.checkpoint, args.device, **options)
    except TypeError as e:  # an option the family's detector does not take
        raise SystemExit(f"{args.checkpoint}: --scorer-candidates is an option of the paper's network only ({e})") from None
    scores = detector.score_kinds
    t0 = time.perf_counter()
    acc = jaccard_accuracy(
        detector, dataset, args.limit, iou_threshold=args.iou, angle_threshold_deg=args.angle, scores=scores
    )
    sgt = sgt_accuracy(detector, dataset, args.limit, scores) if args.sgt else None
    seconds = time.perf_counter() - t0
    print(f"{'score':<10}{'family':<11}{'images':>7}{'jaccard':>10}" + (f"{'SGT':>10}" if sgt else ""))
    for score in scores:
        line = f"{score:<10}{detector.family:<11}{acc['n']:>7}{100 * acc[score]:>9.2f}%"
        print(line + (f"{100 * sgt[score]:>9.2f}%" if sgt else ""))
    result = {
        "checkpoint": str(args.checkpoint),
        "data": str(args.data),
        "family": detector.family,
        "score_kinds": list(scores),
        "n": acc["n"],
        **{f"accuracy_{s}": acc[s] for s in scores},
        **{f"sgt_{s}": sgt[s] if sgt else None for s in scores},
        "depth": args.depth,
        "scorer_candidates": detector.ranking_info.get("scorer_candidates"),
        "iou_threshold": args.iou,
        "angle_threshold_deg": args.angle,
        "model": detector.config.to_dict(),
        "seconds": seconds,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
