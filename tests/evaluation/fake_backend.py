"""A pure-numpy backend for tests: a coloured ellipse (a flat-topped object) on a grey table
seen by a top-down pinhole camera, with a grasp rule simple enough to reason about.

A grasp succeeds when its centre is on the ellipse, its opening axis is within 30 degrees
of the ellipse's minor axis, and its opening spans the ellipse's width in that direction
without exceeding the gripper's. Everything follows from the seed."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from simgrasp.backends.base import (
    APPROACH_COLLISION,
    COLOR,
    DEPTH,
    MISSED,
    PINHOLE,
    SIM_ERROR,
    SLIPPED,
    SUCCESS,
    UNREACHABLE,
    BackendError,
    Observation,
    Outcome,
    SkippedObject,
    check_reset_options,
    check_seed,
)
from simgrasp.geometry import Intrinsics, PinholeCamera, WorldGrasp, look_down_pose

CAMERA_HEIGHT_M = 0.6
OBJECT_HEIGHT_M = 0.04
MAX_OPENING_M = 0.12


def parse_objects(spec: str) -> list[str]:
    """``"fake:0-9"`` -> ["fake_000", ..., "fake_009"]; raises on a spec naming none."""
    name, _, rng = spec.partition(":")
    if not name.strip() or not rng:
        raise ValueError(f"object spec {spec!r} names no objects; expected e.g. 'fake:0-9'")
    lo, _, hi = rng.partition("-")
    ids = range(int(lo), int(hi or lo) + 1)
    if len(ids) == 0:
        raise ValueError(f"object spec {spec!r} names no objects")
    return [f"{name}_{i:03d}" for i in ids]


class FakeBackend:
    """Backend contract over an analytic scene. ``size_px``: image side; ``fail_seeds``:
    seeds whose execute raises (a simulator fault); ``fatal_seeds``: seeds whose execute
    raises BackendError (the backend can go on no more); ``delay_s``: sleep per trial."""

    infrastructure_reason = SIM_ERROR
    reset_options: frozenset[str] = frozenset()

    def __init__(
        self,
        objects: str = "fake:0-9",
        size_px: int = 96,
        fail_seeds: tuple[int, ...] = (),
        fatal_seeds: tuple[int, ...] = (),
        delay_s: float = 0.0,
        depth: bool = True,
    ) -> None:
        self.objects = parse_objects(objects)
        self.camera = PinholeCamera(
            Intrinsics.from_fov(size_px, size_px, 30.0), look_down_pose(0.0, 0.0, CAMERA_HEIGHT_M)
        )
        self.fail_seeds, self.fatal_seeds = set(fail_seeds), set(fatal_seeds)
        self.delay_s, self.use_depth = delay_s, depth
        self.camera_streams = frozenset({COLOR, PINHOLE} | ({DEPTH} if depth else set()))
        # A Ctrl-C at this seed's execute; from the environment, as it is no part of the run.
        self.interrupt_seed = int(os.environ.get("FAKE_INTERRUPT_SEED", "-1"))
        self.closed = False
        self._scene: dict[str, Any] | None = None

    @property
    def image_shape(self) -> tuple[int, int]:
        return self.camera.height, self.camera.width

    def reset(self, seed: int, options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        seed = check_seed(seed)
        check_reset_options(self, options)
        rng = np.random.default_rng(seed)
        name = self.objects[int(rng.integers(len(self.objects)))]
        a, b = rng.uniform(0.035, 0.06), rng.uniform(0.015, 0.03)  # semi-axes, metres
        scene = {
            "seed": seed,
            "object": name,
            "c": rng.uniform(-0.03, 0.03, 2),
            "a": a,
            "b": b,
            "phi": rng.uniform(-np.pi, np.pi),
        }
        colour = rng.integers(120, 255, 3).astype(np.uint8)
        self._scene = scene
        k = self.camera.intrinsics
        v, u = np.mgrid[0 : k.height, 0 : k.width].astype(np.float64) + 0.5
        # Look-down camera: image right = world +x, image down = world -y.
        wx = (u - k.cx) / k.fx * (CAMERA_HEIGHT_M - OBJECT_HEIGHT_M)
        wy = -(v - k.cy) / k.fy * (CAMERA_HEIGHT_M - OBJECT_HEIGHT_M)
        inside = self._inside(wx, wy)
        rgb = np.full((k.height, k.width, 3), 90, np.uint8)
        rgb[inside] = colour
        depth = np.where(inside, CAMERA_HEIGHT_M - OBJECT_HEIGHT_M, CAMERA_HEIGHT_M).astype(np.float32)
        obs = Observation(rgb, depth if self.use_depth else None, self.camera)
        return obs, {"object": name, "seed": seed}

    def _local(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[Any, Any]:
        s = self._scene
        dx, dy = x - s["c"][0], y - s["c"][1]
        cp, sp = np.cos(s["phi"]), np.sin(s["phi"])
        return dx * cp + dy * sp, -dx * sp + dy * cp

    def _inside(self, x: Any, y: Any) -> Any:
        lx, ly = self._local(x, y)
        return (lx / self._scene["a"]) ** 2 + (ly / self._scene["b"]) ** 2 <= 1.0

    def execute(self, grasp: WorldGrasp) -> Outcome:
        if self._scene is None:
            raise RuntimeError("execute before reset")
        s = self._scene
        t0 = time.perf_counter()
        if self.delay_s:
            time.sleep(self.delay_s)
        if s["seed"] == self.interrupt_seed:
            raise KeyboardInterrupt
        if s["seed"] in self.fail_seeds:
            raise RuntimeError(f"simulated fault at seed {s['seed']}")
        if s["seed"] in self.fatal_seeds:
            raise BackendError(f"connection lost at seed {s['seed']}")
        u = np.array([np.cos(grasp.yaw_rad - s["phi"]), np.sin(grasp.yaw_rad - s["phi"])])  # opening axis, object frame
        span = 2 * np.hypot(s["a"] * u[0], s["b"] * u[1])  # width of the ellipse along the opening
        across_deg = np.degrees(np.arccos(min(1.0, abs(u[1]))))  # 0 when along the minor axis
        timing = {"execute": time.perf_counter() - t0}
        if grasp.opening_m > MAX_OPENING_M:
            return Outcome(False, UNREACHABLE, timings_s=timing)
        if not self._inside(grasp.x_m, grasp.y_m):
            return Outcome(False, MISSED, timings_s=timing)
        if grasp.opening_m < span:
            return Outcome(False, APPROACH_COLLISION, approach_collision=True, timings_s=timing)
        if across_deg > 30.0:
            return Outcome(False, SLIPPED, timings_s=timing)
        return Outcome(True, SUCCESS, lifted=True, carried=True, placed=True, steps=100, timings_s=timing)

    def skipped_objects(self) -> tuple[SkippedObject, ...]:
        return ()

    def privileged(self) -> "FakePrivilegedAccess":
        """The oracle's door: grasps tried by the analytic rule, the ellipse's labels."""
        return FakePrivilegedAccess(self)

    def close(self) -> None:
        self.closed = True


class FakePrivilegedAccess:
    """PrivilegedAccess over FakeBackend."""

    max_opening_m = MAX_OPENING_M
    jaw_m = 0.02

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend
        self.tries = 0

    def try_grasp(self, grasp: WorldGrasp) -> Outcome:
        self.tries += 1
        return self.backend.execute(grasp)

    def segmentation_mask(self) -> np.ndarray:
        k = self.backend.camera.intrinsics
        v, u = np.mgrid[0 : k.height, 0 : k.width].astype(np.float64) + 0.5
        wx = (u - k.cx) / k.fx * (CAMERA_HEIGHT_M - OBJECT_HEIGHT_M)
        wy = -(v - k.cy) / k.fy * (CAMERA_HEIGHT_M - OBJECT_HEIGHT_M)
        return self.backend._inside(wx, wy).astype(np.int32)


class FakePileBackend(FakeBackend):
    """The fake backend with a pile: a scene of ``pile`` ellipses, shown one at a time (the
    top one first). It declares clearing: after a successful grasp ``keep_going`` puts the
    ellipse away and shows the next; after a failed one the scene stays as it was.
    ``FAKE_INTERRUPT_SEED`` and ``fail_seeds`` name pile seeds."""

    def __init__(self, pile: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 1 <= pile <= 16:
            raise ValueError(f"expected 1 <= pile <= 16, got {pile}")
        self.pile = pile
        self.executed = 0  # grasps executed in this backend's life
        self._seed, self._left, self._last = 0, [], None

    def reset(self, seed: int, options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        self._seed = check_seed(seed)
        self._left = list(range(self.pile))
        obs, info = self._show()
        return obs, {**info, "objects": self._names()}

    def _show(self) -> tuple[Observation, dict[str, Any]]:
        obs, info = FakeBackend.reset(self, self._seed * 16 + self._left[0])
        self._scene["seed"] = self._seed  # faults and interrupts are named by the pile's seed
        return obs, info

    def _names(self) -> list[str]:
        return [f"pile_{self._seed}_{k}" for k in self._left]

    def execute(self, grasp: WorldGrasp) -> Outcome:
        if not self._left:
            raise RuntimeError("the scene is empty: every object was cleared")
        self.executed += 1
        out = super().execute(grasp)
        if out.success:
            out.taken = self._names()[0]
        self._last = out
        return out

    def keep_going(self) -> tuple[Observation, dict[str, Any]]:
        """Put away what the last grasp took; show what is left (a bare table when nothing is)."""
        if self._last is None:
            raise RuntimeError("call reset() and execute() before keep_going()")
        taken = self._last.taken if self._last.success else ""
        self._last = None
        if taken:
            self._left.pop(0)
        if self._left:
            obs, _ = self._show()
        else:
            k = self.camera.intrinsics
            obs = Observation(np.full((k.height, k.width, 3), 90, np.uint8),
                              np.full((k.height, k.width), CAMERA_HEIGHT_M, np.float32) if self.use_depth else None,
                              self.camera)
        return obs, {"object": f"pile_{self._seed}", "objects": self._names(), "removed": [], "taken": taken}
