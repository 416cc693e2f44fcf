"""One object of an object spec: the record every object set, scene and row names it by
(a leaf: the object sets in simgrasp.sim.objects and simgrasp.sim.procedural both build it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ObjectEntry:
    """One object: a display ``name``, its file ``path``, its ``kind`` (urdf or mesh) and,
    for files already in metres at a size the gripper takes, the ``fixed_scale`` to load
    them at instead of the library's fitting rule."""

    name: str
    path: str
    kind: str
    fixed_scale: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "path": self.path, "kind": self.kind}
        if self.fixed_scale is not None:  # absent otherwise, so earlier records stay as they were
            d["fixed_scale"] = self.fixed_scale
        return d
