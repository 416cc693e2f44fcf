"""The backend contract: what the simulator and a real cell both offer.

A backend shows a scene (``reset``) and executes one top-down grasp in it (``execute``).
Nothing here knows about PyBullet or a robot controller; the env, the evaluation loop
and the policies see only this.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from simgrasp.geometry import CameraModel, WorldGrasp
from simgrasp.registry import Registry, resolve

# Failure reasons an Outcome may carry. Policy failures and infrastructure faults are
# kept apart: the latter never count against a policy.
SUCCESS = "success"
APPROACH_COLLISION = "approach_collision"  # the hand hit the object or table on the way down
MISSED = "missed"  # nothing between the jaws after closing
SLIPPED = "slipped_during_lift"  # held at first, not lifted
DROPPED_CARRY = "dropped_during_carry"  # lifted, lost while moving away
DROPPED_PLACE = "dropped_during_place"  # carried, not set down gently at the place location
UNREACHABLE = "unreachable"  # outside the workspace or the gripper's opening
SIM_ERROR = "sim_error"  # simulation fault: penetration, fall-through, NaN poses
ROBOT_ERROR = "robot_error"  # a real cell's fault, lost connection or refusal
POLICY_ERROR = "policy_error"  # the policy raised or returned an invalid grasp

INFRASTRUCTURE_REASONS = frozenset({SIM_ERROR, ROBOT_ERROR})

# The key of ``reset``'s info dict that names the object shown (a str): the trial row's
# ``object`` field is copied from it.
INFO_OBJECT = "object"
# info key of a scene's summary, when the backend builds scenes: {"kind", "asked", "objects",
# "left_out", "draw"} (objects held and asked for, names left out, the draw of the seed used)
INFO_SCENE = "scene_summary"


@dataclass(frozen=True)
class SkippedObject:
    """An object file a backend could not use: its ``path`` and the ``reason`` (one line)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass
class Observation:
    """What a camera gives: ``rgb`` uint8 (H, W, 3), ``depth`` float32 (H, W) in metres
    along the optical axis (None when the cell has no depth), and the camera model that
    maps image grasps to the world. Nothing else of the scene: policies see only this."""

    rgb: np.ndarray
    depth: np.ndarray | None
    camera: CameraModel

    def __post_init__(self) -> None:
        if self.rgb.ndim != 3 or self.rgb.shape[2] != 3 or self.rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be uint8 (H, W, 3), got {self.rgb.dtype} {self.rgb.shape}")
        if self.depth is not None and self.depth.shape != self.rgb.shape[:2]:
            raise ValueError(f"depth must be {self.rgb.shape[:2]}, got {self.depth.shape}")


@dataclass
class Outcome:
    """The result of one executed grasp. ``success`` is the lift-move-place criterion:
    lifted, carried away and put back down without being dropped. In a scene of several
    objects it applies to the object the hand closed on, named by ``taken`` ("" when the
    hand closed on nothing); ``displacement_m`` is that object's horizontal displacement
    (with none taken, the largest of any object) and ``pushed_m`` the largest horizontal
    displacement of the others (metres, trial start to end)."""

    success: bool
    reason: str
    approach_collision: bool = False
    lifted: bool = False
    carried: bool = False
    placed: bool = False
    displacement_m: float = 0.0
    taken: str = ""
    pushed_m: float = 0.0
    steps: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    # the draw of perturbed physics and calibration the trial ran under (simgrasp.backends.perturb's
    # Draw.to_dict); None: unperturbed, and left out of the dict
    perturbation: dict[str, float] | None = None

    @property
    def infrastructure_error(self) -> bool:
        """True when the trial failed for a reason that is not the policy's."""
        return self.reason in INFRASTRUCTURE_REASONS

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["infrastructure_error"] = self.infrastructure_error
        if d["perturbation"] is None:
            del d["perturbation"]
        return d


class BackendError(RuntimeError):
    """A backend can run no more trials: a robot fault, a lost connection, a refusal.

    ``outcome`` is the interrupted trial, already labelled (reason ``ROBOT_ERROR`` or
    ``SIM_ERROR``), so the caller can record it before stopping the run."""

    def __init__(self, message: str, outcome: "Outcome | None" = None) -> None:
        super().__init__(message)
        self.outcome = outcome


@runtime_checkable
class Backend(Protocol):
    """A scene source and grasp executor: the simulator or a real cell.

    ``infrastructure_reason``: the reason (``SIM_ERROR`` or ``ROBOT_ERROR``) under which
    an unexpected exception of this backend is recorded, apart from policy failures.
    ``reset_options``: the keys ``reset``'s ``options`` may hold (any other key is a
    ``ValueError``)."""

    infrastructure_reason: str
    reset_options: frozenset[str]

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) in pixels of every observation's images, known before any reset
        (so an env can build its spaces without showing a scene or moving an arm)."""
        ...

    def reset(self, seed: int, options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        """Set up a new scene chosen by ``seed`` (int >= 0; the same seed gives the same
        scene) and return its observation and an info dict for bookkeeping; the info is for
        logs, not policies, and always holds ``info[INFO_OBJECT]``, the object's name (str).
        A scene that cannot be served (no usable object, the object out of view) raises;
        the caller records it as an infrastructure error."""
        ...

    def execute(self, grasp: WorldGrasp) -> Outcome:
        """Run one lift-move-place trial with ``grasp`` in the current scene."""
        ...

    def skipped_objects(self) -> tuple[SkippedObject, ...]:
        """The object files this backend could not use so far, with the reason, in the
        order found (empty for a backend without object files)."""
        ...

    def close(self) -> None:
        """Release the simulator or the robot connection. Safe to call twice."""
        ...


@runtime_checkable
class PrivilegedAccess(Protocol):
    """The one door through which a privileged policy (the ``oracle``, a benchmark's
    ceiling) reads a simulator: a backend that has one offers it as ``privileged()``
    (the capability :class:`~simgrasp.backends.capabilities.Privileged`).
    Every other policy sees only the Observation."""

    max_opening_m: float  # the gripper's full opening (m)
    jaw_m: float  # the gripper's plate size across the opening (m)

    def try_grasp(self, grasp: WorldGrasp) -> Outcome:
        """Run the full trial of ``grasp`` on a copy of the current scene (the scene shown
        is unchanged afterwards)."""
        ...

    def segmentation_mask(self) -> np.ndarray:
        """int (H, W) object labels of the current scene: 0 for the table, i + 1 for object i."""
        ...


# What a camera gives and a policy reads (``CameraStreams.camera_streams``, a policy's
# ``reads``): the colour image, a depth image registered to it, and a pinhole camera model
# (what the plate check projects footprints with; a table homography is not one).
COLOR = "color"
DEPTH = "depth"
PINHOLE = "pinhole"
STREAMS = (COLOR, DEPTH, PINHOLE)


@runtime_checkable
class CameraStreams(Protocol):
    """A backend that says what its camera gives in every observation: a subset of
    :data:`STREAMS`. Runs check it against what each policy reads before anything moves."""

    camera_streams: frozenset[str]


def camera_streams(backend: Any) -> frozenset[str] | None:
    """What ``backend``'s camera gives (its ``camera_streams``), or None when it does not say."""
    streams = getattr(backend, "camera_streams", None)
    return None if streams is None else frozenset(streams)


def check_seed(seed: Any) -> int:
    """``seed`` as an int, or ValueError unless it is a non-negative integer (bools refused)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def check_reset_options(backend: Backend, options: dict[str, Any] | None) -> dict[str, Any]:
    """``options`` (None: empty) after checking every key is in ``backend.reset_options``;
    ValueError naming the accepted keys otherwise."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(backend.reset_options))
    if unknown:
        accepted = ", ".join(sorted(backend.reset_options)) or "none"
        raise ValueError(f"{type(backend).__name__}.reset got unknown options {unknown}; accepted: {accepted}")
    return options


BACKENDS: Registry[Callable[..., Backend]] = Registry("backend")


def make_backend(name: str, **kwargs: Any) -> Backend:
    """Build a backend by registered name (``sim``, ``fanuc``...) or ``package.module:attr``."""
    return resolve(name, BACKENDS)(**kwargs)
