"""Statistics of a grasp dataset and a montage of its images with the grasps drawn."""

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


def format_stats(stats: dict[str, Any]) -> str:
    """Human-readable lines for :func:`dataset_stats`."""
    return "\n".join(
        [
            f"scenes: {stats['scenes']}  objects: {stats['objects']}  "
            f"(scenes per object: {stats['scenes_per_object_mean']:.1f})",
            f"grasps: {stats['grasps']}  per scene: mean {stats['grasps_per_scene_mean']:.1f}, "
            f"min {stats['grasps_per_scene_min']}, max {stats['grasps_per_scene_max']}",
            f"mean grasp box w x h: {stats['mean_box_w_px']:.1f} x {stats['mean_box_h_px']:.1f} px",
            f"dropped samples: {stats['dropped']}",
        ]
    )
