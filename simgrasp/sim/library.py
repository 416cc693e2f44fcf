"""The object library: loads spec entries into a world at the gripper's scale, and keeps
the list of files it had to skip (with the reason) instead of ending the run. Files are
checked once up front (:meth:`ObjectLibrary.check`), so a spec whose files are all broken
fails before any scene, naming each file and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pybullet

from simgrasp.backends.base import SkippedObject
from simgrasp.sim.config import ObjectConfig
from simgrasp.sim.mesh import MeshError, PreparedMesh, prepare_mesh
from simgrasp.sim.objects import ObjectEntry, resolve_objects, urdf_meshes
from simgrasp.sim.sizing import check_size, object_scale
from simgrasp.sim.world import World, quiet_stdout


@dataclass
class LoadedObject:
    """An object in a world: its body id, entry and the scale it was loaded at."""

    body: int
    entry: ObjectEntry
    scale: float


class ObjectLibrary:
    """Entries resolved from a spec. ``skipped`` lists every file that could not be loaded
    so far, with the reason; ``cached``: keep what clutter sizing measures (``longest_sides``)."""

    def __init__(self, spec: str, cfg: ObjectConfig | None = None, cached: bool = True) -> None:
        self.spec = spec
        self.cfg = cfg or ObjectConfig()
        check_size(self.cfg)
        self.entries = resolve_objects(spec)
        self.skipped: list[SkippedObject] = []
        self._bad: dict[str, str] = {}
        self._meshes: dict[str, PreparedMesh] = {}
        self._scales: dict[str, float] = {}
        # object file -> (its scale here, its longest side (m) loaded unturned): clutter sizing's
        # measure, kept so that later scenes load the object once (None: measured every time)
        self.longest_sides: dict[str, tuple[float, float]] | None = {} if cached else None

    def __len__(self) -> int:
        return len(self.entries)

    def _skip(self, entry: ObjectEntry, reason: str) -> None:
        if entry.path not in self._bad:
            self._bad[entry.path] = reason
            self.skipped.append(SkippedObject(entry.path, reason))

    def check(self, world: World) -> None:
        """Record in ``skipped`` every file that cannot be used (``load`` then refuses it at
        once; ``entries`` keep their indices): a URDF that does not parse or names a missing
        mesh, a raw mesh that does not read (converted and cached now, as its first scene
        would). ValueError, naming each file and its reason, when none is usable."""
        usable = []
        for entry in self.entries:
            try:
                if entry.kind == "urdf":
                    missing = sorted({m for m in urdf_meshes(Path(entry.path)) if not m.is_file()})
                    if missing:
                        raise MeshError(f"the URDF names missing mesh file(s): {', '.join(str(m) for m in missing)}")
                else:
                    self._prepared(world, entry)
            except (MeshError, ValueError) as e:
                self._skip(entry, str(e))
                continue
            usable.append(entry)
        if not usable:
            why = "; ".join(f"{s.path}: {s.reason}" for s in self.skipped)
            raise ValueError(f"no usable object in {self.spec!r}: {why}")
    def load(self, world: World, entry: ObjectEntry, position, orientation, scale: float | None = None) -> LoadedObject:
        """Load ``entry`` at ``position`` (m) and quaternion ``orientation``, at ``scale``
        (default: the entry's ``fixed_scale`` if it has one, else by
        :func:`~simgrasp.sim.sizing.object_scale`). Raises MeshError for a file that cannot be
        used (and records it in ``skipped``)."""
        if entry.path in self._bad:
            raise MeshError(self._bad[entry.path])
        try:
            if entry.kind == "urdf":
                return self._load_urdf(world, entry, position, orientation, scale)
            return self._load_mesh(world, entry, position, orientation, scale)
        except MeshError as e:
            self._skip(entry, str(e))
            raise
        except pybullet.error as e:
            self._skip(entry, f"unreadable: pybullet: {e}")
            raise MeshError(f"unreadable: pybullet: {e}") from None

    def _load_urdf(self, world: World, entry: ObjectEntry, position, orientation, scale: float | None) -> LoadedObject:
        c = world.client
        scale = entry.fixed_scale if scale is None else scale
        if scale is None:
            if entry.path not in self._scales:
                with quiet_stdout():
                    b = c.loadURDF(entry.path, [0, 0, 1.0])
                lo, hi = _body_aabb(c, b)
                c.removeBody(b)
                self._scales[entry.path] = object_scale(hi - lo, self.cfg, entry.name, entry.path)
            scale = self._scales[entry.path]
        with quiet_stdout():
            body = c.loadURDF(entry.path, list(position), list(orientation), globalScaling=scale)
        return LoadedObject(body, entry, float(scale))

    def _prepared(self, world: World, entry: ObjectEntry) -> PreparedMesh:
        m = self._meshes.get(entry.path)
        if m is None:
            m = prepare_mesh(entry.path, world.client, self.cfg.cache_dir, self.cfg.vhacd_resolution)
            self._meshes[entry.path] = m
        return m

    def _load_mesh(self, world: World, entry: ObjectEntry, position, orientation, scale: float | None) -> LoadedObject:
        c = world.client
        m = self._prepared(world, entry)
        scale = entry.fixed_scale if scale is None else scale
        s = object_scale(np.array(m.extents), self.cfg, entry.name, entry.path) if scale is None else scale
        offset = [-s * x for x in m.centre]  # the body's origin at the hull centroid
        with quiet_stdout():
            col = c.createCollisionShape(
                pybullet.GEOM_MESH, fileName=m.collision_path, meshScale=[s] * 3, collisionFramePosition=offset
            )
            vis = c.createVisualShape(
                pybullet.GEOM_MESH, fileName=m.visual_path, meshScale=[s] * 3, visualFramePosition=offset,
                rgbaColor=list(m.rgba),
            )
        if col < 0 or vis < 0:
            raise MeshError(f"unreadable: pybullet could not build shapes from {m.collision_path}")
        lo_m, hi_m = self.cfg.mass_range_kg
        mass = float(np.clip(self.cfg.density_kg_m3 * m.volume * s**3, lo_m, hi_m))
        body = c.createMultiBody(mass, col, vis, list(position), list(orientation))
        c.changeDynamics(body, -1, lateralFriction=self.cfg.lateral_friction, rollingFriction=self.cfg.rolling_friction)
        return LoadedObject(body, entry, float(s))


def _body_aabb(client, body: int) -> tuple[np.ndarray, np.ndarray]:
    """World AABB (m) over all links of ``body``."""
    boxes = [client.getAABB(body, link) for link in range(-1, client.getNumJoints(body))]
    lo = np.min([b[0] for b in boxes], axis=0)
    hi = np.max([b[1] for b in boxes], axis=0)
    return lo, hi


def body_aabb(world: World, body: int) -> tuple[np.ndarray, np.ndarray]:
    """World AABB (m) over all links of ``body``."""
    return _body_aabb(world.client, body)
