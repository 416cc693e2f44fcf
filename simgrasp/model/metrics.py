"""The rectangle metric of Table I: top-1 Jaccard accuracy with either score."""

from __future__ import annotations

from typing import Any


from simgrasp.geometry.iou import jaccard_match_batch
from simgrasp.model.detector import SCORES, Detector
from simgrasp.model.sample import GraspDataset


def jaccard_accuracy(
    detector: Detector,
    dataset: GraspDataset,
    limit: int | None = None,
    batch_size: int = 8,
    iou_threshold: float = 0.25,
    angle_threshold_deg: float = 30.0,
) -> dict[str, Any]:
    """Share of images whose best grasp, by the primary score and by the scorer, matches
    some ground truth (IoU above ``iou_threshold`` and angle within
    ``angle_threshold_deg``), in the source image's pixels. ``limit`` evaluates the
    first ``limit`` samples only. Returns ``{"primary": acc, "scorer": acc, "n": count}``."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    hits = {s: 0 for s in SCORES}
    for start in range(0, n, batch_size):
        samples = [dataset[i] for i in range(start, min(start + batch_size, n))]
        preds = detector.predict_samples(samples)
        for sample, p in zip(samples, preds):
            for score in SCORES:
                best = int(p.ranked(score, top_k=1, scorer_candidates=detector.scorer_candidates)[0])
                hits[score] += bool(
                    jaccard_match_batch(p.grasps[best : best + 1], sample.grasps, iou_threshold, angle_threshold_deg)[0]
                )
    return {"primary": hits["primary"] / max(n, 1), "scorer": hits["scorer"] / max(n, 1), "n": n}
