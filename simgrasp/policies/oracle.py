"""The oracle: the ceiling of a benchmark level, privileged and simulation-only.

It reads the simulator through one explicit door (``backend.privileged()``, see
:class:`~simgrasp.backends.base.PrivilegedAccess`), bound by the runner through
:meth:`OraclePolicy.bind` because the policy declares ``privileged = True``. For each
object, highest first (by the observed depth), it proposes the minor-axis grasp and
antipodal candidates from the object's true silhouette (simgrasp.data.candidates), tries
them on the saved scene and returns the first that succeeded there. When none did, it
returns the first candidate and says so in its info (``found: false``): the scene, or the
object, is then ungraspable as far as these candidates go. Every results table marks it
as privileged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from simgrasp.backends.base import Observation, PrivilegedAccess
from simgrasp.data.candidates import CandidateConfig, antipodal_candidates
from simgrasp.geometry import GraspRect, WorldGrasp
from simgrasp.policies.base import Decision, register_policy
from simgrasp.policies.heuristic import height_above_table, minor_axis_grasp


@register_policy("oracle")
@dataclass
class OraclePolicy:
    """Tries candidates in the simulator and picks one that worked (privileged)."""

    privileged: ClassVar[bool] = True
    reads: ClassVar[frozenset[str]] = frozenset()  # the simulator's door; depth, when given, orders the objects
    antipodal: int = 12  # antipodal candidates per object
    max_tries: int = 40  # full trials tried per decision, over all objects
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    _door: PrivilegedAccess | None = field(default=None, init=False, repr=False)

    def bind(self, door: PrivilegedAccess) -> None:
        """Give the oracle its door into the simulator (the runner calls this)."""
        self._door = door

    def _proposals(self, observation: Observation, labels: np.ndarray, rng: np.random.Generator) -> list[GraspRect]:
        assert self._door is not None
        cam = observation.camera
        g = cam.world_to_image(WorldGrasp(0.0, 0.0, 0.0, 0.0, self._door.max_opening_m, self._door.jaw_m))
        max_px, jaw_px = float(g.w), float(g.h)
        ids = [i for i in np.unique(labels) if i > 0]
        if observation.depth is not None:
            height = height_above_table(observation.depth)
            ids.sort(key=lambda i: -float(height[labels == i].max()))
        out: list[GraspRect] = []
        for i in ids:
            mask = labels == i
            out.append(minor_axis_grasp(mask))
            out += [GraspRect.from_array(a) for a in antipodal_candidates(mask, rng, self.antipodal, max_px, jaw_px,
                                                                          self.candidates)]
        return out

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        if self._door is None:
            raise RuntimeError("the oracle is privileged: bind it to a backend's privileged() door before act()")
        proposals = self._proposals(observation, self._door.segmentation_mask(), rng)
        if not proposals:
            raise ValueError("no object in the scene")
        for k, rect in enumerate(proposals[: self.max_tries]):
            if self._door.try_grasp(observation.camera.image_to_world(rect, observation.depth)).success:
                return Decision(rect, info={"privileged": True, "found": True, "tries": k + 1})
        return Decision(proposals[0], info={"privileged": True, "found": False, "tries": min(len(proposals), self.max_tries)})
