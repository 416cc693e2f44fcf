"""Trial images with the chosen grasp drawn, for ``--record`` and the report gallery."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from simgrasp.geometry import GraspRect
from simgrasp.viz import JAW_RGB, draw_grasps

CANDIDATE_RGB = (250, 210, 60)


def draw_grasp(rgb: np.ndarray, grasp: GraspRect, candidates: tuple[tuple[GraspRect, float], ...] = ()) -> np.ndarray:
    """A copy of ``rgb`` (uint8 H x W x 3) with ``grasp`` drawn (pixels): jaws in red,
    opening sides in blue, the other candidates thin in yellow underneath."""
    scale = max(1, round(max(rgb.shape[:2]) / 320))
    img = draw_grasps(rgb, [g for g, _ in candidates[1:]], CANDIDATE_RGB, 1)
    img = draw_grasps(img, [grasp], None, scale)
    cv2.circle(img, (int(round(grasp.x)), int(round(grasp.y))), 2 * scale, JAW_RGB, -1, cv2.LINE_AA)
    return img


def image_name(policy: str, seed: int) -> str:
    """File name of a trial's image, safe for any policy label."""
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', policy)}-{int(seed)}.png"


def save_trial_image(run_dir: Path, job: Any, rgb: np.ndarray, decision: Any) -> str:
    """Write the trial's image with its grasp (none when ``decision`` is None: the policy
    gave no usable grasp) to ``run_dir/images`` and return the path relative to ``run_dir``."""
    rel = Path("images") / image_name(job.policy, job.seed)
    out = run_dir / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    img = rgb if decision is None else draw_grasp(rgb, decision.grasp, decision.candidates)
    if not cv2.imwrite(str(out), cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write trial image {out}")
    return rel.as_posix()


def thumbnail_png(path: Path, max_side_px: int = 200) -> bytes | None:
    """A PNG thumbnail of an image file (None when it cannot be read)."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        return None
    s = max_side_px / max(img.shape[:2])
    if s < 1:
        img = cv2.resize(
            img, (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s))), interpolation=cv2.INTER_AREA
        )
    ok, buf = cv2.imencode(".png", img)
    return buf.tobytes() if ok else None
