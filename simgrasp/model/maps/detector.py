"""A grasp-map network behind the network contract (:class:`simgrasp.model.contract.GraspNetwork`).

Stages: letterbox each image (and its depth) into the network input and normalise it
(:mod:`.inputs`), one batched forward pass, decode each image's maps into grasps
(:mod:`.decode`), map them back to the source pixels and rank them by quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from simgrasp.config import override
from simgrasp.geometry import GraspRect, grasps_in_image
from simgrasp.geometry.affine import invert_affine, resize_affine, transform_grasps
from simgrasp.model.detector import as_depths, as_images
from simgrasp.model.inputs import MODALITIES
from simgrasp.model.maps.decode import DecodeConfig, decode_maps
from simgrasp.model.maps.inputs import network_view
from simgrasp.model.maps.network import MapNetwork

QUALITY = "quality"
"""The one score of a grasp-map network: its quality map at the grasp's centre."""


def _check_score(score: str) -> None:
    if score != QUALITY:
        raise ValueError(f"score must be {QUALITY!r} (a grasp-map network's only score), got {score!r}")


@dataclass
class MapPrediction:
    """The grasps of one image: ``grasps`` (K, 5) ``[x, y, theta_deg, w, h]`` in the source
    image's pixels, best first, and their ``quality`` (K,)."""

    grasps: np.ndarray
    quality: np.ndarray

    def scores(self, score: str = QUALITY) -> np.ndarray:
        """The (K,) qualities (``score`` must be ``"quality"``)."""
        _check_score(score)
        return self.quality

    def ranked(
        self, score: str = QUALITY, image_size: tuple[int, int] | None = None, top_k: int | None = None
    ) -> np.ndarray:
        """Indices of the grasps best first by quality; with ``image_size = (width, height)``
        only those executable in that image (:func:`simgrasp.geometry.grasps_in_image`)."""
        _check_score(score)
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be positive or None, got {top_k}")
        candidates = np.arange(len(self.quality))
        if image_size is not None:
            candidates = np.flatnonzero(grasps_in_image(self.grasps, *image_size))
        return candidates[np.argsort(-self.quality[candidates], kind="stable")][:top_k]


class MapDetector:
    """A trained grasp-map network ready to propose grasps.

    ``decode``: a :class:`DecodeConfig` or a dict of its fields (released values by
    default); ``jaw_px``: the jaw size ``h`` of the rectangles in the source image's pixels
    (None: the network's ``config.jaw_px``, in network-input pixels, scaled back with the
    grasp); ``batch_size``: images per forward pass."""

    score_kinds: tuple[str, ...] = (QUALITY,)

    def __init__(
        self,
        model: MapNetwork,
        batch_size: int = 8,
        decode: DecodeConfig | dict[str, Any] | None = None,
        jaw_px: float | None = None,
    ) -> None:
        if isinstance(decode, dict):
            decode = override(DecodeConfig(), decode, "decode")
        if decode is not None and not isinstance(decode, DecodeConfig):
            got = type(decode).__name__
            raise ValueError(f"decode must be a DecodeConfig, a dict of its fields or None, got {got}")
        if jaw_px is not None and not (isinstance(jaw_px, (int, float)) and jaw_px > 0):
            raise ValueError(f"jaw_px must be a positive number of pixels or None, got {jaw_px!r}")
        if not (isinstance(batch_size, int) and batch_size >= 1):
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.model = model.eval()
        self.config = model.config
        self.decode = decode or DecodeConfig()
        self.jaw_px = None if jaw_px is None else float(jaw_px)
        self.batch_size = batch_size
        self.device = next(model.parameters()).device

    @property
    def family(self) -> str:
        return self.model.family

    @property
    def modality(self) -> str:
        return self.config.input

    @property
    def needs_depth(self) -> bool:
        return MODALITIES.get(self.config.input).depth

    @property
    def ranking_info(self) -> dict[str, Any]:
        """What a trial's log records: which network (the card holds the decoding)."""
        return {"network": self.config.describe()}

    @torch.no_grad()
    def output_maps(
        self, images: np.ndarray | Sequence[np.ndarray], depths: np.ndarray | Sequence[np.ndarray] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The raw output maps (B, 4, S, S) of the images (as :meth:`predict` takes them) and
        each image's letterbox map (2x3, source pixels -> network pixels)."""
        imgs = as_images(images)
        deps = as_depths(depths, imgs, self.config.input)
        size = self.config.input_size
        maps = [resize_affine(im.shape[:2], size) for im in imgs]
        out = []
        for start in range(0, len(imgs), self.batch_size):
            chunk = range(start, min(start + self.batch_size, len(imgs)))
            batch = np.stack([network_view(imgs[i], deps[i], maps[i], size, self.config.input) for i in chunk])
            x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2)
            out.append(self.model(x).stacked().cpu().numpy())
        return np.concatenate(out), maps

    def predict(
        self, images: np.ndarray | Sequence[np.ndarray], depths: np.ndarray | Sequence[np.ndarray] | None = None
    ) -> list[MapPrediction]:
        """The decoded grasps of every image, best first (see :class:`MapPrediction`);
        ``depths``: one (H, W) depth image in metres per image when :attr:`needs_depth`."""
        outputs, maps = self.output_maps(images, depths)
        results = []
        for out, m in zip(outputs, maps):
            grasps, quality = decode_maps(out, self.config.width_scale_px, self.config.jaw_px, self.decode)
            grasps = transform_grasps(grasps, invert_affine(m))
            if self.jaw_px is not None:
                grasps[:, 4] = self.jaw_px
            results.append(MapPrediction(grasps, quality))
        return results

    def predict_samples(self, samples: Sequence[Any]) -> list[MapPrediction]:
        """:meth:`predict` on dataset samples (anything with ``rgb`` and ``depth``)."""
        depths = [s.depth for s in samples] if self.needs_depth else None
        return self.predict([s.rgb for s in samples], depths)

    def detect(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        score: str = QUALITY,
        top_k: int | None = None,
        depths: np.ndarray | Sequence[np.ndarray] | None = None,
    ) -> list[list[tuple[GraspRect, float]]]:
        """Grasps of each image best first as ``(GraspRect in its pixels, quality)``."""
        _check_score(score)
        out = []
        for p in self.predict(images, depths):
            order = p.ranked(score, top_k=top_k)
            out.append([(GraspRect.from_array(p.grasps[j]), float(p.quality[j])) for j in order])
        return out
