"""The detector API that policies call: images in, scored grasps in those images' pixels out.

Stages: rescale each image to the network input (letterbox, :mod:`simgrasp.geometry.affine`),
one batched forward pass giving every grasp with its primary and scorer probabilities,
then map the grasps back to the source pixels and sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import torch

from simgrasp.geometry import GraspRect, grasps_in_image
from simgrasp.geometry.affine import invert_affine, resize_affine, transform_grasps
from simgrasp.model.augment import apply_affine
from simgrasp.model.checkpoint import load_model
from simgrasp.model.config import ModelConfig
from simgrasp.model.network import GraspNet

Score = Literal["scorer", "primary"]
SCORES: tuple[str, ...] = ("scorer", "primary")
_NO_GRASPS = np.zeros((0, 5), np.float32)


def _check_ranking(score: str, top_k: int | None) -> None:
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be positive or None, got {top_k}")


@dataclass
class Prediction:
    """Every grasp of one image: ``grasps`` (N, 5) ``[x, y, theta_deg, w, h]`` in the
    source image's pixels (angles in [-90, 90)), and both success probabilities (N,)."""

    grasps: np.ndarray
    primary: np.ndarray
    scorer: np.ndarray

    def scores(self, score: Score) -> np.ndarray:
        """The (N,) probabilities named by ``score`` (``"scorer"`` or ``"primary"``)."""
        _check_ranking(score, None)
        return self.scorer if score == "scorer" else self.primary

    def ranked(
        self, score: Score = "scorer", image_size: tuple[int, int] | None = None, top_k: int | None = None
    ) -> np.ndarray:
        """Indices of the grasps, best first by ``score`` (ties keep the network's order).
        ``image_size = (width, height)`` in pixels keeps only grasps executable in that
        image (:func:`simgrasp.geometry.grasps_in_image`, the policies' validator); ``top_k`` keeps the best ones only."""
        _check_ranking(score, top_k)
        s = self.scores(score)
        candidates = np.arange(len(s))
        if image_size is not None:  # anchors near the border can regress outside the image
            candidates = np.flatnonzero(grasps_in_image(self.grasps, *image_size))
        return candidates[np.argsort(-s[candidates], kind="stable")][:top_k]


def _as_list(images: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(images, np.ndarray) and images.ndim == 3:
        images = [images]
    out = list(images)
    for i, im in enumerate(out):
        if not isinstance(im, np.ndarray) or im.ndim != 3 or im.shape[2] != 3 or im.dtype != np.uint8:
            got = f"{im.dtype} {im.shape}" if isinstance(im, np.ndarray) else type(im).__name__
            raise ValueError(f"image {i}: expected a uint8 (H, W, 3) array, got {got}")
    return out


class Detector:
    """A trained network ready to detect grasps.

    ``Detector(model, config)`` wraps a network; :meth:`from_checkpoint` loads one."""

    def __init__(self, model: GraspNet, config: ModelConfig | None = None, batch_size: int = 8) -> None:
        self.model = model.eval()
        self.config = config or model.config
        self.batch_size = batch_size
        self.device = next(model.parameters()).device

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> "Detector":
        model, _ = load_model(path, device)
        return cls(model, model.config)

    @torch.no_grad()
    def predict(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]:
        """Every grasp of every image with both scores, unsorted (see :class:`Prediction`)."""
        imgs = _as_list(images)
        size = self.config.input_size
        results: list[Prediction] = []
        for start in range(0, len(imgs), self.batch_size):
            chunk = imgs[start : start + self.batch_size]
            maps = [resize_affine(im.shape[:2], size) for im in chunk]
            batch = np.stack([apply_affine(im, _NO_GRASPS, m, size)[0] for im, m in zip(chunk, maps)])
            x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)
            grasps, primary, scored = self.model.predict(x)
            for i, m in enumerate(maps):
                g = transform_grasps(grasps[i].cpu().numpy(), invert_affine(m))
                results.append(Prediction(g, primary[i].cpu().numpy(), scored[i].cpu().numpy()))
        return results

    def detect(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        score: Score = "scorer",
        top_k: int | None = None,
    ) -> list[list[tuple[GraspRect, float]]]:
        """Grasps of each image, best first by ``score`` (``"scorer"`` or ``"primary"``),
        as ``(GraspRect in that image's pixels, probability)``; ``top_k`` keeps the best
        ones only (None: all). A single (H, W, 3) image gives a list of one result."""
        _check_ranking(score, top_k)  # before the forward pass, not after it
        out = []
        for p in self.predict(images):
            s = p.scores(score)
            out.append([(GraspRect.from_array(p.grasps[j]), float(s[j])) for j in p.ranked(score, top_k=top_k)])
        return out

