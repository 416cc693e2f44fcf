"""The sample type every grasp dataset gives, and the reader contract: what training and
the Jaccard metric read. The model owns it so that it never imports the readers (data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from simgrasp.geometry import GraspRect


def grasps_to_array(grasps: Sequence[GraspRect]) -> np.ndarray:
    """(N, 5) float32 array of ``[x, y, theta_deg, w, h]`` rows."""
    if len(grasps) == 0:
        return np.zeros((0, 5), np.float32)
    return np.stack([g.as_array() for g in grasps]).astype(np.float32)


def array_to_grasps(a: np.ndarray) -> list[GraspRect]:
    """Inverse of :func:`grasps_to_array`."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[1] != 5:
        raise ValueError(f"expected an (N, 5) grasp array, got shape {a.shape}")
    return [GraspRect.from_array(row) for row in a]


@dataclass
class GraspSample:
    """One annotated image. ``rgb`` uint8 (H, W, 3); ``grasps`` (N, 5) float32 rows of
    ``[x, y, theta_deg, w, h]`` in this image's pixels (see ``simgrasp.geometry.rect``);
    ``depth`` float32 (H, W) metres and ``mask`` bool (H, W) when the dataset has them;
    ``object_id`` names the object (splits are made by object); ``scene_id`` the image.

    ``tested`` (M, 5) float32 and ``tested_success`` (M,) bool are the grasps that were
    tried in simulation on this scene, failures included, with their outcome (the
    generator's ``*_candidates.txt`` sidecar); both are empty when the dataset has none
    (Jacquard, Cornell). They let the scorer learn from physics instead of overlap."""

    rgb: np.ndarray
    grasps: np.ndarray
    object_id: str
    scene_id: str
    depth: np.ndarray | None = None
    mask: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    tested: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.float32))
    tested_success: np.ndarray = field(default_factory=lambda: np.zeros((0,), bool))

    def __post_init__(self) -> None:
        if self.rgb.ndim != 3 or self.rgb.shape[2] != 3:
            raise ValueError(f"{self.scene_id}: rgb must be (H, W, 3), got {self.rgb.shape}")
        g = np.asarray(self.grasps, dtype=np.float32)
        if g.ndim != 2 or g.shape[1] != 5:
            raise ValueError(f"{self.scene_id}: grasps must be (N, 5), got {g.shape}")
        self.grasps = g
        t = np.asarray(self.tested, dtype=np.float32)
        t = t.reshape(-1, 5) if t.size else np.zeros((0, 5), np.float32)
        ok = np.asarray(self.tested_success, dtype=bool).reshape(-1)
        if len(ok) != len(t):
            raise ValueError(f"{self.scene_id}: {len(t)} tested grasps but {len(ok)} outcomes")
        self.tested, self.tested_success = t, ok

    def grasp_rects(self) -> list[GraspRect]:
        return array_to_grasps(self.grasps)


@runtime_checkable
class GraspDataset(Protocol):
    """What training and the Jaccard evaluation read: indexable samples with object ids."""

    def __len__(self) -> int: ...

    def __getitem__(self, i: int) -> GraspSample: ...

    def object_ids(self) -> list[str]:
        """The object id of every sample, in index order (for object-wise splits)."""
        ...
