"""The rectangle metric of Table I: top-1 Jaccard accuracy with each score of a network."""

from __future__ import annotations

from typing import Any, Sequence


from simgrasp.geometry.iou import jaccard_match_batch
from simgrasp.model.contract import GraspNetwork
from simgrasp.model.detector import SCORES
from simgrasp.model.sample import GraspDataset


def jaccard_accuracy(
    detector: GraspNetwork,
    dataset: GraspDataset,
    limit: int | None = None,
    batch_size: int = 8,
    iou_threshold: float = 0.25,
    angle_threshold_deg: float = 30.0,
    scores: Sequence[str] = SCORES,
) -> dict[str, Any]:
    """Share of images whose best grasp by each of ``scores`` (the paper's network: the
    primary score and the scorer) matches some ground truth (IoU above ``iou_threshold``
    and angle within ``angle_threshold_deg``), in the source image's pixels; an image
    without any grasp counts as a miss. ``limit`` evaluates the first ``limit`` samples
    only. Returns ``{score: acc, ..., "n": count}``."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    hits = {s: 0 for s in scores}
    for start in range(0, n, batch_size):
        samples = [dataset[i] for i in range(start, min(start + batch_size, n))]
        preds = detector.predict_samples(samples)
        for sample, p in zip(samples, preds):
            for score in scores:
                top = p.ranked(score, top_k=1)  # ranked as the prediction's network ranks (scorer_candidates)
                if len(top):
                    best = p.grasps[int(top[0]) : int(top[0]) + 1]
                    hits[score] += bool(jaccard_match_batch(best, sample.grasps, iou_threshold, angle_threshold_deg)[0])
    return {**{s: hits[s] / max(n, 1) for s in scores}, "n": n}
