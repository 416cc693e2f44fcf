"""A uniformly random grasp over the image: the floor every policy must clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from simgrasp.backends.base import Observation
from simgrasp.geometry import GraspRect
from simgrasp.policies.base import Decision, register_policy


@register_policy("random")
@dataclass
class RandomPolicy:
    """Centre uniform over the image, angle uniform in [-90, 90) degrees, opening uniform
    between ``min_width_frac`` and ``max_width_frac`` of the image width (pixels), jaw size
    ``jaw_frac`` of the opening. All draws come from the trial's ``rng``."""

    reads: ClassVar[frozenset[str]] = frozenset()  # only the image's size
    min_width_frac: float = 0.05
    max_width_frac: float = 0.3
    jaw_frac: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.min_width_frac <= self.max_width_frac:
            raise ValueError(
                f"expected 0 < min_width_frac <= max_width_frac, got {self.min_width_frac}, {self.max_width_frac}"
            )

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        h, w = observation.rgb.shape[:2]
        x, y = rng.uniform(0, w - 1), rng.uniform(0, h - 1)  # pixel centres: x in [0, W-1], y in [0, H-1]
        theta = rng.uniform(-90.0, 90.0)
        opening = rng.uniform(self.min_width_frac, self.max_width_frac) * w
        return Decision(GraspRect(float(x), float(y), float(theta), float(opening), float(self.jaw_frac * opening)))
