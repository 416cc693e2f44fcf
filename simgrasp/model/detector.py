"""The detector API that policies call: images in, scored grasps in those images' pixels out.

Stages: rescale each image (and its height above the table, for a network that reads
depth; :mod:`simgrasp.model.inputs`) to the network input (letterbox,
:mod:`simgrasp.geometry.affine`), one batched forward pass giving every grasp with its
primary and scorer probabilities, then map the grasps back to the source pixels and rank
them (:func:`rank`, :meth:`Prediction.ranked`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import torch

from simgrasp.geometry import GraspRect, grasps_in_image
from simgrasp.geometry.affine import invert_affine, resize_affine, transform_grasps
from simgrasp.model.augment import apply_affine
from simgrasp.model.checkpoint import load_model
from simgrasp.model.config import ModelConfig
from simgrasp.model.contract import PAPER_FAMILY
from simgrasp.model.inputs import MODALITIES, height_above_table, stack_channels
from simgrasp.model.network import GraspNet

Score = Literal["scorer", "primary"]
SCORES: tuple[str, ...] = ("scorer", "primary")
_NO_GRASPS = np.zeros((0, 5), np.float32)
_IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _check_ranking(score: str, top_k: int | None) -> None:
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be positive or None, got {top_k}")


@dataclass
class Prediction:
    """Every grasp of one image: ``grasps`` (N, 5) ``[x, y, theta_deg, w, h]`` in the
    source image's pixels (angles in [-90, 90)), and both success probabilities (N,).
    ``scorer_candidates``: the :func:`rank` setting :meth:`ranked` uses unless told
    otherwise (the detector's), so that it ranks as the contract's ``ranked(score,
    image_size, top_k)`` is asked to (:mod:`simgrasp.model.contract`)."""

    grasps: np.ndarray
    primary: np.ndarray
    scorer: np.ndarray
    scorer_candidates: int = 0

    def scores(self, score: Score) -> np.ndarray:
        """The (N,) probabilities named by ``score`` (``"scorer"`` or ``"primary"``)."""
        _check_ranking(score, None)
        return self.scorer if score == "scorer" else self.primary

    def ranked(
        self,
        score: Score = "scorer",
        image_size: tuple[int, int] | None = None,
        top_k: int | None = None,
        scorer_candidates: int | None = None,
    ) -> np.ndarray:
        """Indices of the grasps, best first by ``score`` (ties keep the network's order;
        ``scorer_candidates`` as in :func:`rank`, None: this prediction's own setting).
        ``image_size = (width, height)`` in pixels
        keeps only grasps executable in that image (:func:`simgrasp.geometry.grasps_in_image`,
        the policies' validator); ``top_k`` keeps the best ones only."""
        _check_ranking(score, top_k)
        if scorer_candidates is None:
            scorer_candidates = self.scorer_candidates
        candidates = np.arange(len(self.primary))
        if image_size is not None:  # anchors near the border can regress outside the image
            candidates = np.flatnonzero(grasps_in_image(self.grasps, *image_size))
        order = rank(self.primary[candidates], self.scorer[candidates], score, scorer_candidates)
        return candidates[order][:top_k]


def as_images(images: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """A list of uint8 (H, W, 3) colour images from one image or a sequence, each checked."""
    if isinstance(images, np.ndarray) and images.ndim == 3:
        images = [images]
    out = list(images)
    for i, im in enumerate(out):
        if not isinstance(im, np.ndarray) or im.ndim != 3 or im.shape[2] != 3 or im.dtype != np.uint8:
            got = f"{im.dtype} {im.shape}" if isinstance(im, np.ndarray) else type(im).__name__
            raise ValueError(f"image {i}: expected a uint8 (H, W, 3) array, got {got}")
    return out


def as_depths(depths: np.ndarray | Sequence[np.ndarray] | None, images: list[np.ndarray], modality: str) -> list:
    """One depth image (H, W) in metres per colour image, checked against the colour
    images' sizes; ``[None, ...]`` when the network reads no depth."""
    if not MODALITIES.get(modality).depth:
        return [None] * len(images)
    if depths is None:
        raise ValueError(f"this network reads input {modality!r}: expected a depth image (H, W) in metres with each colour image, got none")
    if isinstance(depths, np.ndarray) and depths.ndim == 2:
        depths = [depths]
    out = list(depths)
    if len(out) != len(images):
        raise ValueError(f"expected one depth image per colour image ({len(images)}), got {len(out)}")
    for i, (d, im) in enumerate(zip(out, images)):
        if d is None or np.shape(d) != im.shape[:2]:
            got = "None" if d is None else str(np.shape(d))
            raise ValueError(f"depth {i}: expected a depth image of shape {im.shape[:2]} in metres, got {got}")
    return out


def rank(primary: np.ndarray, scorer: np.ndarray, score: Score = "scorer", scorer_candidates: int = 0) -> np.ndarray:
    """Indices of grasps best first. ``score="primary"`` ranks by the primary score;
    ``"scorer"`` by the scorer over all grasps (``scorer_candidates=0``, the paper's test-time
    rule) or over the ``scorer_candidates`` best by primary score only (the grasps it sees
    in training, where the top T by primary score are the ones it learns on); the others
    follow in primary order. Ties keep index order."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    if scorer_candidates < 0:
        raise ValueError(f"scorer_candidates must be 0 (all) or a positive count, got {scorer_candidates}")
    if score == "primary":
        return np.argsort(-primary, kind="stable")
    if scorer_candidates == 0 or scorer_candidates >= len(scorer):
        return np.argsort(-scorer, kind="stable")
    by_primary = np.argsort(-primary, kind="stable")
    head = by_primary[:scorer_candidates]
    return np.concatenate([head[np.argsort(-scorer[head], kind="stable")], by_primary[scorer_candidates:]])


class Detector:
    """A trained network ready to detect grasps.

    ``Detector(model, config)`` wraps a network; :meth:`from_checkpoint` loads one.
    ``scorer_candidates``: see :func:`rank` (0: the scorer ranks every grasp). The paper's
    family of the network contract (:class:`simgrasp.model.contract.GraspNetwork`)."""

    family = PAPER_FAMILY
    score_kinds: tuple[str, ...] = SCORES

    def __init__(
        self, model: GraspNet, config: ModelConfig | None = None, batch_size: int = 8, scorer_candidates: int = 0
    ) -> None:
        self.model = model.eval()
        self.config = config or model.config
        self.batch_size = batch_size
        self.scorer_candidates = int(scorer_candidates)
        self.device = next(model.parameters()).device
        rank(np.zeros(1), np.zeros(1), "scorer", self.scorer_candidates)  # a bad count fails here

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", scorer_candidates: int = 0) -> "Detector":
        model, _ = load_model(path, device)
        # Weights in channels-last order, the order the images come in (HWC, permuted): the
        # same outputs for ~5 % less CPU per forward pass on one thread (measured, 2 cores).
        model = model.to(memory_format=torch.channels_last)
        return cls(model, model.config, scorer_candidates=scorer_candidates)

    @property
    def needs_depth(self) -> bool:
        """Whether the network reads a depth image (input ``"rgbd"`` or ``"depth"``)."""
        return MODALITIES.get(self.config.input).depth

    @property
    def modality(self) -> str:
        """The input modality of the network (``config.input``)."""
        return self.config.input

    @property
    def ranking_info(self) -> dict[str, Any]:
        """What a trial's log records of the ranking: ``scorer_candidates``."""
        return {"scorer_candidates": self.scorer_candidates}

    def _network_input(self, rgb: np.ndarray, depth: np.ndarray | None, m: np.ndarray) -> np.ndarray:
        """One image's (S, S, C) network input through the letterbox map ``m``."""
        size = self.config.input_size
        # An image of the input's size maps by the identity, which the warp copies exactly: used as it is.
        warp = (lambda im: im) if rgb.shape[:2] == (size, size) and np.array_equal(m, _IDENTITY) else (
            lambda im: apply_affine(im, _NO_GRASPS, m, size)[0])
        height = None
        if depth is not None:
            height = warp(height_above_table(depth))
        return stack_channels(warp(rgb), height, self.config.input)

    @torch.no_grad()
    def predict(
        self, images: np.ndarray | Sequence[np.ndarray], depths: np.ndarray | Sequence[np.ndarray] | None = None
    ) -> list[Prediction]:
        """Every grasp of every image with both scores, unsorted (see :class:`Prediction`).
        ``depths``: one depth image (H, W) in metres per image, needed when the network
        reads depth (:attr:`needs_depth`) and ignored otherwise."""
        imgs = as_images(images)
        deps = as_depths(depths, imgs, self.config.input)
        size = self.config.input_size
        results: list[Prediction] = []
        for start in range(0, len(imgs), self.batch_size):
            chunk, dchunk = imgs[start : start + self.batch_size], deps[start : start + self.batch_size]
            maps = [resize_affine(im.shape[:2], size) for im in chunk]
            batch = np.stack([self._network_input(im, d, m) for im, d, m in zip(chunk, dchunk, maps)])
            x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2)
            grasps, primary, scored = self.model.predict(x)
            for i, m in enumerate(maps):
                g = transform_grasps(grasps[i].cpu().numpy(), invert_affine(m))
                p, s = primary[i].cpu().numpy(), scored[i].cpu().numpy()
                results.append(Prediction(g, p, s, self.scorer_candidates))
        return results

    def predict_samples(self, samples: Sequence[Any]) -> list[Prediction]:
        """:meth:`predict` on dataset samples (anything with ``rgb`` and ``depth``, such as
        :class:`simgrasp.data.sample.GraspSample`), passing their depth when the network reads it."""
        depths = [s.depth for s in samples] if self.needs_depth else None
        return self.predict([s.rgb for s in samples], depths)

    def detect(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        score: Score = "scorer",
        top_k: int | None = None,
        depths: np.ndarray | Sequence[np.ndarray] | None = None,
    ) -> list[list[tuple[GraspRect, float]]]:
        """Grasps of each image, best first by ``score`` (``"scorer"`` or ``"primary"``,
        see :func:`rank` and ``scorer_candidates``), as ``(GraspRect in that image's pixels,
        probability)``; ``top_k`` keeps the best ones only (None: all). A single (H, W, 3)
        image gives a list of one result. ``depths`` as in :meth:`predict`."""
        _check_ranking(score, top_k)  # before the forward pass, not after it
        out = []
        for p in self.predict(images, depths):
            s = p.scores(score)
            order = p.ranked(score, top_k=top_k, scorer_candidates=self.scorer_candidates)
            out.append([(GraspRect.from_array(p.grasps[j]), float(s[j])) for j in order])
        return out

