"""Statistics of a grasp dataset and a montage of its images with the grasps drawn.

Datasets holding the grasps tried in simulation (the generator's ``_candidates.txt``) also
get the statistics of those: positives and negatives, outcome reasons, proposal sources
and openings."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from simgrasp.data.sample import GraspDataset
from simgrasp.viz import draw_grasps, tile_images


def dataset_stats(dataset: GraspDataset) -> dict[str, Any]:
    """Scene and object counts, grasps per scene, and the mean grasp box ``w x h`` in
    pixels (the anchor size a rectangle-regression network starts from). Uses the
    reader's ``grasps(i)`` when it has one, so that no image is decoded."""
    read = getattr(dataset, "grasps", None) or (lambda i: dataset[i].grasps)
    counts, ws, hs = [], [], []
    for i in range(len(dataset)):
        g = read(i)
        counts.append(len(g))
        ws.append(g[:, 3])
        hs.append(g[:, 4])
    w = np.concatenate(ws) if ws else np.zeros(0)
    h = np.concatenate(hs) if hs else np.zeros(0)
    c = np.asarray(counts, dtype=np.float64)
    per_object = Counter(dataset.object_ids())
    return {
        "scenes": len(dataset),
        "objects": len(per_object),
        "scenes_per_object_mean": float(np.mean(list(per_object.values()))) if per_object else 0.0,
        "grasps": int(c.sum()),
        "grasps_per_scene_mean": float(c.mean()) if c.size else 0.0,
        "grasps_per_scene_min": int(c.min()) if c.size else 0,
        "grasps_per_scene_max": int(c.max()) if c.size else 0,
        "mean_box_w_px": float(w.mean()) if w.size else 0.0,
        "mean_box_h_px": float(h.mean()) if h.size else 0.0,
        "dropped": len(getattr(dataset, "dropped", [])),
        "tested": tested_stats(dataset),
    }


def _spread(a: np.ndarray) -> dict[str, float]:
    """Mean and percentiles 10, 50, 90 of ``a`` (zeros when empty)."""
    if a.size == 0:
        return {"n": 0, "mean": 0.0, "p10": 0.0, "p50": 0.0, "p90": 0.0}
    p10, p50, p90 = np.percentile(a, [10, 50, 90])
    return {"n": int(a.size), "mean": float(a.mean()), "p10": float(p10), "p50": float(p50), "p90": float(p90)}


def tested_stats(dataset: GraspDataset) -> dict[str, Any] | None:
    """The grasps tried in simulation, over the scenes that have them: counts per scene,
    positives (success), negatives (failure) and rows that are not labels (simulation
    faults), the success rate among labels, counts per reason and per source (with their
    success rate), and the opening ``w`` in pixels of positives and negatives. None when
    the reader offers no ``tried(i)`` or no scene has tried grasps. Reads no image."""
    read = getattr(dataset, "tried", None)
    tried = [t for t in (read(i) for i in range(len(dataset))) if t is not None] if callable(read) else []
    if not tried:
        return None
    success = np.concatenate([t.success for t in tried])
    w = np.concatenate([t.grasps[:, 3] for t in tried])
    sources = [s for t in tried for s in t.sources]
    per_scene = np.array([len(t) for t in tried])
    pos, neg = int((success == 1).sum()), int((success == 0).sum())
    by_source = {}
    for src in sorted(set(sources)):
        sel = np.array([s == src for s in sources]) & (success >= 0)
        by_source[src] = {"tried": int(sum(s == src for s in sources)), "success_rate": float(success[sel].mean())
                          if sel.any() else 0.0}
    return {
        "scenes": len(tried),
        "tried": int(per_scene.sum()),
        "per_scene_mean": float(per_scene.mean()),
        "per_scene_min": int(per_scene.min()),
        "per_scene_max": int(per_scene.max()),
        "positives": pos,
        "negatives": neg,
        "not_labels": int(len(success) - pos - neg),
        "success_rate": pos / (pos + neg) if pos + neg else 0.0,
        "by_reason": dict(Counter(r for t in tried for r in t.reasons).most_common()),
        "by_source": by_source,
        "opening_px_positives": _spread(w[success == 1]),
        "opening_px_negatives": _spread(w[success == 0]),
    }


def montage(dataset: GraspDataset, n: int = 16, columns: int = 4, tile_px: int = 256, seed: int = 0) -> np.ndarray:
    """Up to ``n`` samples picked with ``seed``, grasps drawn, tiled in a uint8 RGB grid."""
    if len(dataset) == 0:
        raise ValueError("cannot make a montage of an empty dataset")
    rng = np.random.default_rng(seed)
    picks = sorted(rng.choice(len(dataset), size=min(n, len(dataset)), replace=False))
    images = []
    for i in picks:
        s = dataset[int(i)]
        # lines one tile pixel thick whatever the image resolution
        thickness = max(1, round(max(s.rgb.shape[:2]) / tile_px))
        images.append(draw_grasps(s.rgb, s.grasps, thickness=thickness))
    return tile_images(images, min(columns, len(images)), tile_px)


def _format_tested(t: dict[str, Any]) -> list[str]:
    spread = lambda d: f"mean {d['mean']:.1f}, p10 {d['p10']:.1f}, p50 {d['p50']:.1f}, p90 {d['p90']:.1f}"  # noqa: E731
    return [
        f"tested grasps: {t['tried']} in {t['scenes']} scenes (per scene: mean {t['per_scene_mean']:.1f}, "
        f"min {t['per_scene_min']}, max {t['per_scene_max']})",
        f"  positives {t['positives']}, negatives {t['negatives']}, not labels {t['not_labels']}; "
        f"success rate {100 * t['success_rate']:.1f} %",
        "  by reason: " + ", ".join(f"{r} {n}" for r, n in t["by_reason"].items()),
        "  by source: " + ", ".join(
            f"{s} {d['tried']} ({100 * d['success_rate']:.1f} % success)" for s, d in t["by_source"].items()
        ),
        f"  opening px, positives: {spread(t['opening_px_positives'])}",
        f"  opening px, negatives: {spread(t['opening_px_negatives'])}",
    ]


def format_stats(stats: dict[str, Any]) -> str:
    """Human-readable lines for :func:`dataset_stats`."""
    tested = _format_tested(stats["tested"]) if stats.get("tested") else []
    return "\n".join(
        [
            f"scenes: {stats['scenes']}  objects: {stats['objects']}  "
            f"(scenes per object: {stats['scenes_per_object_mean']:.1f})",
            f"grasps: {stats['grasps']}  per scene: mean {stats['grasps_per_scene_mean']:.1f}, "
            f"min {stats['grasps_per_scene_min']}, max {stats['grasps_per_scene_max']}",
            f"mean grasp box w x h: {stats['mean_box_w_px']:.1f} x {stats['mean_box_h_px']:.1f} px",
            f"dropped samples: {stats['dropped']}",
            *tested,
        ]
    )
