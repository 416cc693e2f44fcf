"""Configuration of the simulated cell: one dataclass per concern, every field defaulted.

Units: metres, kilograms, newtons, seconds, degrees where the name says ``_deg``. Every
field declares its range with :func:`simgrasp.config.setting`; override any field strictly
with :func:`simgrasp.config.override` (a typo or a value out of range raises ``ValueError``)."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from simgrasp.backends.trial import TrialGeometry, Workspace
from simgrasp.config import (
    FINITE, FRACTION, NAME, NON_NEGATIVE, POSITIVE, POSITIVE_INT, Choice, Number, Parsed, Values, between, pair,
    setting,
)


def default_cache_dir() -> str:
    """``$SIMGRASP_CACHE`` when set, else ``~/.cache/simgrasp``."""
    return os.environ.get("SIMGRASP_CACHE") or str(Path.home() / ".cache" / "simgrasp")


# The grammar of the text fields lives here, where the fields are declared; the names a
# registry holds (scene kinds, appearance modes) are checked where the registry is, when
# the backend is built (before any run file is written). The texture kinds' module does
# not import this one, so their names are read from it directly.
UNITS_M = {"m": 1.0, "cm": 0.01, "mm": 0.001}


def parse_size_range(text: str) -> tuple[float, float] | None:
    """``"8-25cm"`` -> (0.08, 0.25) metres; None when ``text`` is not a range; ValueError for a bad one."""
    m = re.fullmatch(r"\s*([\d.]+)\s*-\s*([\d.]+)\s*(m|cm|mm)\s*", text)
    if not m:
        return None
    lo, hi = float(m.group(1)) * UNITS_M[m.group(3)], float(m.group(2)) * UNITS_M[m.group(3)]
    if not 0 < lo <= hi:
        raise ValueError(f"object size range must be 0 < A <= B, got {text!r}")
    return lo, hi


def _object_size(text: str) -> None:
    if text not in ("fit", "real") and parse_size_range(text) is None:
        raise ValueError(f"object size must be fit, real or a range such as 8-25cm, got {text!r}")


def split_scene_kind(text: str) -> tuple[str, int]:
    """``"pile:5"`` -> ("pile", 5), ``"single"`` -> ("single", 1): the grammar NAME or
    NAME:N (N >= 1; ``single`` takes no N). ValueError otherwise."""
    m = re.fullmatch(r"([a-z]+)(?::(\d+))?", str(text).strip())
    n = int(m.group(2) or 1) if m else 0
    if not m or n < 1 or (m.group(1) == "single" and m.group(2) is not None):
        raise ValueError(f"scene kind must be one of single, pile:N, packed:N (N >= 1), got {text!r}")
    return m.group(1), n


def _texture_kinds() -> Iterable[str]:
    from simgrasp.sim.textures import PATTERNS

    return PATTERNS.names()


OPEN_ANGLE = Number(lo=0, hi=180, lo_open=True, hi_open=True)


@dataclass(frozen=True)
class CameraConfig:
    """A top-down pinhole camera above the table centre (TinyRenderer)."""

    width: int = setting(320, POSITIVE_INT)  # image width in pixels (the network's input)
    height: int = setting(320, POSITIVE_INT)  # image height in pixels
    height_m: float = setting(0.55, POSITIVE)  # camera above the table; with fov_y_deg=28 the image covers ~0.27 m
    # vertical field of view: a 10 cm object spans ~115 px of 320, 7 anchor cells
    fov_y_deg: float = setting(28.0, OPEN_ANGLE)
    near_m: float = setting(0.1, POSITIVE)  # clipping planes of the depth buffer
    far_m: float = setting(2.0, POSITIVE)


@dataclass(frozen=True)
class ObjectConfig:
    """How objects are sized, weighed and converted. With ``size = "fit"`` every object,
    URDF or raw mesh, is scaled at load by one rule: its longest side into ``longest_side_m`` and then, if its
    middle side (the shorter horizontal side when it rests on its largest face) is still
    wider than ``middle_side_max_m``, down until it fits a 10 cm opening with margin.
    Entries with a ``fixed_scale`` (the procedural objects, generated at the gripper's
    sizes) are loaded at that scale instead."""

    # fit (below), real (the file's units) or a longest-side range like 8-25cm (simgrasp.sim.sizing)
    size: str = setting("fit", Parsed(_object_size, "an object size: fit, real or a longest-side range such as 8-25cm"))
    longest_side_m: tuple[float, float] = setting((0.05, 0.15), pair(POSITIVE))  # allowed range of the longest side
    middle_side_max_m: float = setting(0.07, POSITIVE)  # the side a grasp usually spans must fit the opening
    density_kg_m3: float = setting(400.0, POSITIVE)  # raw meshes: mass = density x convex hull volume ...
    mass_range_kg: tuple[float, float] = setting((0.02, 0.5), pair(POSITIVE))  # ... clipped to this range
    lateral_friction: float = setting(0.8, NON_NEGATIVE)  # raw meshes (URDFs keep their own)
    # raw meshes: a can or a rod stops rolling, as on a real table
    rolling_friction: float = setting(0.001, NON_NEGATIVE)
    vhacd_resolution: int = setting(50000, POSITIVE_INT)  # voxel resolution of the convex decomposition
    cache_dir: str = setting(rule=NAME, factory=default_cache_dir)  # decompositions are cached here


@dataclass(frozen=True)
class SceneConfig:
    """The table, the drop and the physics."""

    time_step_s: float = setting(1.0 / 240.0, POSITIVE)  # physics step
    # fewer than pybullet's 150 default: 2x faster, grasps still hold
    solver_iterations: int = setting(50, POSITIVE_INT)
    # object dropped uniformly within this radius of the image centre
    drop_radius_m: float = setting(0.05, NON_NEGATIVE)
    drop_clearance_m: float = setting(0.01, NON_NEGATIVE)  # gap between the table and the object's lowest point at drop
    rest_linear_mps: float = setting(0.005, POSITIVE)  # at rest when slower than this ...
    rest_angular_radps: float = setting(0.05, POSITIVE)  # ... and turning slower than this ...
    rest_checks: int = setting(3, POSITIVE_INT)  # ... for this many consecutive checks, 10 steps apart
    settle_max_steps: int = setting(1500, POSITIVE_INT)  # settling cap
    max_drops: int = setting(5, POSITIVE_INT)  # drops (seeded from the scene's seed) until the objects rest in view
    # single, pile:N or packed:N (simgrasp.sim.clutter)
    kind: str = setting("single", Parsed(split_scene_kind, "a scene kind: single, pile:N or packed:N (N >= 1)"))
    pile_box_half_m: float = setting(0.08, POSITIVE)  # pile: half side of the square box the objects are dropped into
    # packed: half side of the square the objects stand in (shrunk to what the camera sees)
    packed_half_m: float = setting(0.12, POSITIVE)
    packed_gap_m: float = setting(0.005, NON_NEGATIVE)  # packed: least gap between two objects' footprints
    packed_tries: int = setting(60, POSITIVE_INT)  # packed: positions drawn per object before it is left out
    # pile and packed: objects longer than this are scaled down to it (sized for the scene, as VGN's sets)
    clutter_longest_max_m: float = setting(0.10, POSITIVE)
    # pile and packed: the most objects a scene may ask for (the view holds no more)
    clutter_max_objects: int = setting(8, POSITIVE_INT)
    # the table's colour in fixed appearance
    table_rgba: tuple[float, float, float, float] = setting((0.75, 0.72, 0.68, 1.0), Values(FRACTION, lengths=(4,)))


@dataclass(frozen=True)
class GripperConfig:
    """The parallel-plate gripper (assets/gripper/parallel_plate.urdf)."""

    max_opening_m: float = setting(0.10, POSITIVE)  # distance between the plates fully open
    jaw_m: float = setting(0.025, POSITIVE)  # plate size across the opening axis
    plate_height_m: float = setting(0.05, POSITIVE)  # plate size along the approach (z)
    tip_below_tcp_m: float = setting(0.008, NON_NEGATIVE)  # fingertips reach this far below the grasp point
    close_force_n: float = setting(30.0, POSITIVE)  # force limit of each finger
    finger_speed_mps: float = setting(0.2, POSITIVE)  # closing/opening speed of each finger
    friction: float = setting(1.0, NON_NEGATIVE)  # lateral friction of the plates (rubber pads)
    hold_force_n: float = setting(500.0, POSITIVE)  # force of the constraint that carries the hand


@dataclass(frozen=True)
class TrialConfig:
    """The lift-move-place trial (simgrasp.backends.trial, the protocol every backend runs)
    as the simulator runs it: the waypoints' distances, the workspace box and the speeds."""

    # pre-grasp opening = requested opening + margin (clipped to max)
    opening_margin_m: float = setting(0.02, NON_NEGATIVE)
    pregrasp_height_m: float = setting(0.12, POSITIVE)  # start of the descent above the grasp point
    approach_speed_mps: float = setting(0.5, POSITIVE)  # descent speed
    lift_m: float = setting(0.15, POSITIVE)  # lift height
    move_m: float = setting(0.20, NON_NEGATIVE)  # sideways carry distance
    move_direction_deg: float = setting(90.0, FINITE)  # carry direction about world z (90 = +y, image up)
    # peak speed of lift/move/lower (an industrial arm's pick-and-place pace)
    max_speed_mps: float = setting(1.0, POSITIVE)
    max_accel_mps2: float = setting(5.0, POSITIVE)  # peak acceleration of the min-jerk profiles
    close_max_s: float = setting(0.4, POSITIVE)  # cap on the closing time
    release_s: float = setting(0.1, POSITIVE)  # time to open at the place location
    place_clearance_m: float = setting(0.005, NON_NEGATIVE)  # release this far above the grasp height
    place_tolerance_m: float = setting(0.04, POSITIVE)  # placed when resting this close to the place location
    held_min_rise_m: float = setting(0.05, POSITIVE)  # the object counts as lifted when it rose this much
    # every waypoint of a trial (approach, grasp, lift, carry, place) lies in this box (world frame, m), or nothing moves
    workspace_lo_m: tuple[float, float, float] = setting((-0.3, -0.3, 0.0), Values(FINITE, lengths=(3,)))
    workspace_hi_m: tuple[float, float, float] = setting((0.3, 0.6, 0.7), Values(FINITE, lengths=(3,)))

    def geometry(self) -> TrialGeometry:
        """The trial's waypoints relative to the grasp, as the protocol (simgrasp.backends.trial) takes them."""
        d = math.radians(self.move_direction_deg)
        return TrialGeometry(self.pregrasp_height_m, self.lift_m, (self.move_m * math.cos(d), self.move_m * math.sin(d)),
                             self.place_clearance_m, self.place_tolerance_m)

    def workspace(self) -> Workspace:
        return Workspace(self.workspace_lo_m, self.workspace_hi_m)


@dataclass(frozen=True)
class AppearanceConfig:
    """How a scene looks. ``mode`` names a registered appearance (simgrasp.sim.appearance):
    ``fixed`` renders every scene alike (the table colour, the object's own colour,
    TinyRenderer's default light, the nominal camera height, perfect depth); ``randomized``
    draws every look below per scene from the scene's seed and records it. Probabilities
    in [0, 1]; ranges are (low, high) drawn uniformly."""

    mode: str = setting("fixed", NAME)  # "fixed" or "randomized" (simgrasp.sim.appearance's registry)
    grey_p: float = setting(0.25, FRACTION)  # object colour: probability of a grey (black through white) ...
    # ... or of a colour close to the table's ...; else any hue, saturation, value
    near_table_p: float = setting(0.15, FRACTION)
    near_table_sigma: float = setting(0.06, NON_NEGATIVE)  # spread (RGB, 0-1) of colours close to the table's
    # brightness (HSV value) of the table's colour
    table_value: tuple[float, float] = setting((0.15, 0.95), pair(FRACTION))
    table_saturation: tuple[float, float] = setting((0.0, 0.6), pair(FRACTION))  # saturation of the table's colour
    object_texture_p: float = setting(0.4, FRACTION)  # probability of a procedural texture on the object
    table_texture_p: float = setting(0.5, FRACTION)  # probability of a procedural texture on the table
    # texture kinds drawn from
    textures: tuple[str, ...] = setting(
        ("stripes", "checker", "noise", "wood"), Values(Choice(_texture_kinds), min_length=1)
    )
    object_texture_px: int = setting(64, POSITIVE_INT)  # side of an object's texture image (pixels)
    object_texture_m: float = setting(0.05, POSITIVE)  # objects without UVs: the texture repeats every this many metres
    # side of the table's texture image, spread over the patch the camera sees
    table_texture_px: int = setting(256, POSITIVE_INT)
    # light direction above the horizon (azimuth uniform)
    light_elevation_deg: tuple[float, float] = setting((35.0, 90.0), pair(between(0, 90)))
    # TinyRenderer ambient coefficient (default 0.6)
    ambient: tuple[float, float] = setting((0.35, 0.8), pair(NON_NEGATIVE))
    diffuse: tuple[float, float] = setting((0.15, 0.6), pair(NON_NEGATIVE))  # diffuse coefficient (default 0.35)
    specular: tuple[float, float] = setting((0.0, 0.4), pair(NON_NEGATIVE))  # specular coefficient (default 0.05)
    # light colour: each channel 1 - U(0, tint), a slightly warm or cold light
    light_tint: float = setting(0.1, FRACTION)
    shadow_p: float = setting(0.3, FRACTION)  # probability of cast shadows
    # camera height: nominal +- U(0, jitter) (the observation's camera follows)
    camera_height_jitter_m: float = setting(0.02, NON_NEGATIVE)
    # depth noise at 1 m (grows with depth squared)
    depth_sigma_m: tuple[float, float] = setting((0.001, 0.004), pair(NON_NEGATIVE))
    # fraction of depth-edge pixels lost (holes, depth 0)
    depth_edge_dropout: tuple[float, float] = setting((0.2, 0.7), pair(FRACTION))


@dataclass(frozen=True)
class SimConfig:
    """Everything the simulated backend needs."""

    camera: CameraConfig = field(default_factory=CameraConfig)
    library: ObjectConfig = field(default_factory=ObjectConfig)  # how objects are sized and converted
    scene: SceneConfig = field(default_factory=SceneConfig)
    gripper: GripperConfig = field(default_factory=GripperConfig)
    trial: TrialConfig = field(default_factory=TrialConfig)
    appearance: AppearanceConfig = field(default_factory=AppearanceConfig)  # fixed or randomised looks
