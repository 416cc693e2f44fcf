"""One PyBullet world: a DIRECT BulletClient of its own, never the global connection.

World frame: z up, the table top at z = 0, the camera above the origin."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Iterator, Sequence

import numpy as np
import pybullet
from pybullet_utils.bullet_client import BulletClient

from simgrasp.sim.config import SceneConfig


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C-level prints (vhacd, URDF warnings) by pointing fd 1 at /dev/null."""
    try:
        fd = os.dup(1)
    except OSError:  # no stdout to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


JITTER_WINDOW_STEPS = 60  # after the settling cap: steps over which a body must stay in place ...
JITTER_MAX_M = 0.002  # ... within this distance ...
JITTER_MAX_DEG = 3.0  # ... and this turn, to count as at rest


TABLE_HALF_M = 1.0  # half side of the table's visible slab
TABLE_SLAB_M = 0.001  # half thickness of the slab, its top at z = 0
SPECK_M = (50.0, 50.0, -1.0)  # with a table backdrop, the table's own visual: a speck no camera here sees


class World:
    """A physics world with a table plane. ``client`` is this world's BulletClient.

    ``table_backdrop``: the table's slab is left out of this world and drawn once per
    camera in a world of its own (:attr:`backdrop`), under the objects of each frame
    (simgrasp.sim.camera.render), which then shades only the objects' pixels. The physics
    is the same (a visual shape never collides); for a table whose look stays as it is and
    light without shadows (the fixed look), where the frames are the same pixels."""

    def __init__(self, scene: SceneConfig | None = None, table_backdrop: bool = False) -> None:
        self.scene = scene or SceneConfig()
        with quiet_stdout():
            self.client = BulletClient(connection_mode=pybullet.DIRECT)
        self.table_id = -1
        self.table_rgba = list(self.scene.table_rgba)
        self.backdrop: Backdrop | None = Backdrop(self.table_rgba) if table_backdrop else None
        self.steps = 0
        # The calls made every step, bound once: BulletClient looks a function up on every call.
        cid = self.client._client
        self._step = functools.partial(pybullet.stepSimulation, physicsClientId=cid)
        self.contacts = functools.partial(pybullet.getContactPoints, physicsClientId=cid)
        self.base_pose = functools.partial(pybullet.getBasePositionAndOrientation, physicsClientId=cid)
        self.base_velocity = functools.partial(pybullet.getBaseVelocity, physicsClientId=cid)
        self.reset()

    @property
    def dt(self) -> float:
        return self.scene.time_step_s

    def reset(self) -> None:
        """Empty the world (bodies, constraints, saved states) and lay the table again, so
        what follows does not depend on what came before (determinism across resets)."""
        c = self.client
        c.resetSimulation()
        self.table_rgba = list(self.scene.table_rgba)
        if self.backdrop is not None:
            self.backdrop.set_color(self.table_rgba)
        c.setGravity(0, 0, -9.81)
        c.setPhysicsEngineParameter(
            fixedTimeStep=self.scene.time_step_s,
            numSolverIterations=self.scene.solver_iterations,
            deterministicOverlappingPairs=1,
        )
        col = c.createCollisionShape(pybullet.GEOM_PLANE)
        # A thin visible slab on top of the infinite collision plane, so its colour can change.
        if self.backdrop is None:
            vis = table_slab(c, self.table_rgba)
        else:  # a body without a visual shape would be drawn as its (infinite) collision plane
            vis = c.createVisualShape(pybullet.GEOM_BOX, halfExtents=[1e-3] * 3, visualFramePosition=list(SPECK_M))
        self.table_id = c.createMultiBody(0, col, vis, [0, 0, 0])
        c.changeDynamics(self.table_id, -1, lateralFriction=0.8)
        self.steps = 0

    def step(self, n: int = 1) -> None:
        step = self._step
        for _ in range(n):
            step()
        self.steps += n

    def set_table_color(self, rgba: tuple[float, float, float, float] | list[float]) -> None:
        self.table_rgba = list(rgba)
        if self.backdrop is not None:
            self.backdrop.set_color(self.table_rgba)
        else:
            self.client.changeVisualShape(self.table_id, -1, rgbaColor=self.table_rgba)

    def pose(self, body: int) -> tuple[np.ndarray, np.ndarray]:
        """Base position (m) and quaternion (x, y, z, w) of ``body`` in the world frame."""
        p, q = self.client.getBasePositionAndOrientation(body)
        return np.asarray(p), np.asarray(q)

    def velocity(self, body: int) -> tuple[np.ndarray, np.ndarray]:
        """Linear (m/s) and angular (rad/s) base velocity of ``body``."""
        v, w = self.client.getBaseVelocity(body)
        return np.asarray(v), np.asarray(w)

    def aabb(self, body: int) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounds (m) of ``body``'s base collision shape in the world frame."""
        lo, hi = self.client.getAABB(body, -1)
        return np.asarray(lo), np.asarray(hi)

    def in_contact(self, a: int, b: int, link_a: int | None = None) -> bool:
        """True when bodies ``a`` and ``b`` touch (optionally only link ``link_a`` of ``a``)."""
        if link_a is None:
            return len(self.client.getContactPoints(bodyA=a, bodyB=b)) > 0
        return len(self.client.getContactPoints(bodyA=a, bodyB=b, linkIndexA=link_a)) > 0

    def settle(self, body: int | Sequence[int]) -> tuple[bool, int]:
        """Step until ``body`` (one id or several) rests (every speed under the thresholds
        for ``rest_checks`` consecutive checks 10 steps apart) or ``settle_max_steps`` pass;
        at the cap, bodies that stay in place over a further ``JITTER_WINDOW_STEPS`` (they
        only jitter in their contacts) count as at rest. Returns (rested, steps taken)."""
        s = self.scene
        bodies = [body] if isinstance(body, (int, np.integer)) else list(body)
        calm, taken = 0, 0
        while taken < s.settle_max_steps:
            self.step(10)
            taken += 10
            if all(self.at_rest(b) for b in bodies):
                calm += 1
                if calm >= s.rest_checks:
                    return True, taken
            else:
                calm = 0
        # At the cap: a body that only jitters in its contacts (numerically, in place) is at
        # rest as far as any scene is concerned; one that still travels is not.
        before = [self.pose(b) for b in bodies]
        self.step(JITTER_WINDOW_STEPS)
        taken += JITTER_WINDOW_STEPS
        return all(self._stayed(b, p, q) for b, (p, q) in zip(bodies, before)), taken

    def _stayed(self, body: int, p0: np.ndarray, q0: np.ndarray) -> bool:
        """True when ``body`` is within ``JITTER_MAX_M`` and ``JITTER_MAX_DEG`` of pose (p0, q0)."""
        p1, q1 = self.pose(body)
        turn = 2.0 * np.degrees(np.arccos(min(1.0, abs(float(np.dot(q0, q1))))))
        return bool(np.linalg.norm(p1 - p0) < JITTER_MAX_M and turn < JITTER_MAX_DEG)

    def at_rest(self, body: int) -> bool:
        """True when ``body`` moves slower than the scene's rest thresholds."""
        v, w = self.velocity(body)
        return bool(np.linalg.norm(v) < self.scene.rest_linear_mps and np.linalg.norm(w) < self.scene.rest_angular_radps)

    def save(self) -> int:
        """An in-memory snapshot (bodies, velocities, contacts) to return to with :meth:`restore`."""
        return self.client.saveState()

    def restore(self, state_id: int) -> None:
        self.client.restoreState(stateId=state_id)

    def close(self) -> None:
        """Disconnect; safe to call twice."""
        if self.backdrop is not None:
            self.backdrop.close()
        if self.client is not None:
            try:
                self.client.disconnect()
            except pybullet.error:
                pass
            self.client = None  # type: ignore[assignment]

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def table_slab(client: BulletClient, rgba: list[float]) -> int:
    """The visual shape of the table's slab (its top at z = 0) in ``client``."""
    return client.createVisualShape(
        pybullet.GEOM_BOX, halfExtents=[TABLE_HALF_M, TABLE_HALF_M, TABLE_SLAB_M],
        visualFramePosition=[0, 0, -TABLE_SLAB_M], rgbaColor=list(rgba),
    )


class Backdrop:
    """The table alone, in a world of its own, rendered once per view and light (frames
    kept by ``key``, at most ``keep``): what a frame shows where no object is."""

    def __init__(self, rgba: list[float], keep: int = 8) -> None:
        self.client: BulletClient | None = None
        self.rgba = list(rgba)
        self.keep = keep
        self.frames: dict[tuple, tuple] = {}

    def set_color(self, rgba: list[float]) -> None:
        if list(rgba) != self.rgba:
            self.rgba = list(rgba)
            self.frames.clear()
            if self.client is not None:
                self.client.changeVisualShape(0, -1, rgbaColor=self.rgba)

    def frame(self, key: tuple, draw) -> tuple:
        """The frame of ``key`` (any hashable naming view, size and light), drawn by
        ``draw(client)`` in the table's world the first time."""
        got = self.frames.get(key)
        if got is None:
            if self.client is None:
                with quiet_stdout():
                    self.client = BulletClient(connection_mode=pybullet.DIRECT)
                self.client.createMultiBody(0, -1, table_slab(self.client, self.rgba), [0, 0, 0])
            if len(self.frames) >= self.keep:
                self.frames.pop(next(iter(self.frames)))
            got = self.frames[key] = draw(self.client)
        return got

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.disconnect()
            except pybullet.error:
                pass
            self.client = None
