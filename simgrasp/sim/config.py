"""Configuration of the simulated cell: one dataclass per concern, every field defaulted.

Units: metres, kilograms, newtons, seconds, degrees where the name says ``_deg``. Override
any field strictly with :func:`simgrasp.config.override` (a typo raises ``ValueError``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_cache_dir() -> str:
    """``$SIMGRASP_CACHE`` when set, else ``~/.cache/simgrasp``."""
    return os.environ.get("SIMGRASP_CACHE") or str(Path.home() / ".cache" / "simgrasp")


@dataclass(frozen=True)
class CameraConfig:
    """A top-down pinhole camera above the table centre (TinyRenderer)."""

    width: int = 320  # image width in pixels (the network's input)
    height: int = 320  # image height in pixels
    height_m: float = 0.55  # camera above the table; with fov_y_deg=28 the image covers ~0.27 m
    fov_y_deg: float = 28.0  # vertical field of view: a 10 cm object spans ~115 px of 320, 7 anchor cells
    near_m: float = 0.1  # clipping planes of the depth buffer
    far_m: float = 2.0


@dataclass(frozen=True)
class ObjectConfig:
    """How objects are sized, weighed and converted. With ``size = "fit"`` every object,
    URDF or raw mesh, is scaled at load by one rule: its longest side into ``longest_side_m`` and then, if its
    middle side (the shorter horizontal side when it rests on its largest face) is still
    wider than ``middle_side_max_m``, down until it fits a 10 cm opening with margin.
    Entries with a ``fixed_scale`` (the procedural objects, generated at the gripper's
    sizes) are loaded at that scale instead."""

    size: str = "fit"  # fit (below), real (the file's units) or a longest-side range like 8-25cm (simgrasp.sim.sizing)
    longest_side_m: tuple[float, float] = (0.05, 0.15)  # allowed range of the longest side
    middle_side_max_m: float = 0.07  # the side a grasp usually spans must fit the opening
    density_kg_m3: float = 400.0  # raw meshes: mass = density x convex hull volume ...
    mass_range_kg: tuple[float, float] = (0.02, 0.5)  # ... clipped to this range
    lateral_friction: float = 0.8  # raw meshes (URDFs keep their own)
    rolling_friction: float = 0.001  # raw meshes: a can or a rod stops rolling, as on a real table
    vhacd_resolution: int = 50000  # voxel resolution of the convex decomposition
    cache_dir: str = field(default_factory=default_cache_dir)  # decompositions are cached here


@dataclass(frozen=True)
class SceneConfig:
    """The table, the drop and the physics."""

    time_step_s: float = 1.0 / 240.0  # physics step
    solver_iterations: int = 50  # fewer than pybullet's 150 default: 2x faster, grasps still hold
    drop_radius_m: float = 0.05  # object dropped uniformly within this radius of the image centre
    drop_clearance_m: float = 0.01  # gap between the table and the object's lowest point at drop
    rest_linear_mps: float = 0.005  # at rest when slower than this ...
    rest_angular_radps: float = 0.05  # ... and turning slower than this ...
    rest_checks: int = 3  # ... for this many consecutive checks, 10 steps apart
    settle_max_steps: int = 1500  # settling cap
    max_drops: int = 5  # drops (seeded from the scene's seed) until the objects rest in view
    kind: str = "single"  # single, pile:N or packed:N (simgrasp.sim.clutter)
    pile_box_half_m: float = 0.08  # pile: half side of the square box the objects are dropped into
    packed_half_m: float = 0.12  # packed: half side of the square the objects stand in (shrunk to what the camera sees)
    packed_gap_m: float = 0.005  # packed: least gap between two objects' footprints
    packed_tries: int = 60  # packed: positions drawn per object before it is left out
    clutter_longest_max_m: float = 0.10  # pile and packed: objects longer than this are scaled down to it
    clutter_max_objects: int = 8  # pile and packed: the most objects a scene may ask for (the view holds no more)
    table_rgba: tuple[float, float, float, float] = (0.75, 0.72, 0.68, 1.0)  # the table's colour in fixed appearance


@dataclass(frozen=True)
class GripperConfig:
    """The parallel-plate gripper (assets/gripper/parallel_plate.urdf)."""

    max_opening_m: float = 0.10  # distance between the plates fully open
    jaw_m: float = 0.025  # plate size across the opening axis
    plate_height_m: float = 0.05  # plate size along the approach (z)
    tip_below_tcp_m: float = 0.008  # fingertips reach this far below the grasp point
    close_force_n: float = 30.0  # force limit of each finger
    finger_speed_mps: float = 0.2  # closing/opening speed of each finger
    friction: float = 1.0  # lateral friction of the plates (rubber pads)
    hold_force_n: float = 500.0  # force of the constraint that carries the hand


@dataclass(frozen=True)
class TrialConfig:
    """The lift-move-place protocol (the real robot's criterion)."""

    opening_margin_m: float = 0.02  # pre-grasp opening = requested opening + margin (clipped to max)
    pregrasp_height_m: float = 0.12  # start of the descent above the grasp point
    approach_speed_mps: float = 0.5  # descent speed
    lift_m: float = 0.15  # lift height
    move_m: float = 0.20  # sideways carry distance
    move_direction_deg: float = 90.0  # carry direction about world z (90 = +y, image up)
    max_speed_mps: float = 1.0  # peak speed of lift/move/lower (an industrial arm's pick-and-place pace)
    max_accel_mps2: float = 5.0  # peak acceleration of the min-jerk profiles
    close_max_s: float = 0.4  # cap on the closing time
    release_s: float = 0.1  # time to open at the place location
    place_clearance_m: float = 0.005  # release this far above the grasp height
    place_tolerance_m: float = 0.04  # placed when resting this close to the place location
    workspace_radius_m: float = 0.25  # grasp centres farther from the table centre are unreachable
    held_min_rise_m: float = 0.05  # the object counts as lifted when it rose this much


@dataclass(frozen=True)
class AppearanceConfig:
    """How a scene looks. ``mode`` names a registered appearance (simgrasp.sim.appearance):
    ``fixed`` renders every scene alike (the table colour, the object's own colour,
    TinyRenderer's default light, the nominal camera height, perfect depth); ``randomized``
    draws every look below per scene from the scene's seed and records it. Probabilities
    in [0, 1]; ranges are (low, high) drawn uniformly."""

    mode: str = "fixed"  # "fixed" or "randomized"
    grey_p: float = 0.25  # object colour: probability of a grey (black through white) ...
    near_table_p: float = 0.15  # ... or of a colour close to the table's ...; else any hue, saturation, value
    near_table_sigma: float = 0.06  # spread (RGB, 0-1) of colours close to the table's
    table_value: tuple[float, float] = (0.15, 0.95)  # brightness (HSV value) of the table's colour
    table_saturation: tuple[float, float] = (0.0, 0.6)  # saturation of the table's colour
    object_texture_p: float = 0.4  # probability of a procedural texture on the object
    table_texture_p: float = 0.5  # probability of a procedural texture on the table
    textures: tuple[str, ...] = ("stripes", "checker", "noise", "wood")  # texture kinds drawn from
    object_texture_px: int = 64  # side of an object's texture image (pixels)
    object_texture_m: float = 0.05  # objects without UVs: the texture repeats every this many metres
    table_texture_px: int = 256  # side of the table's texture image, spread over the patch the camera sees
    light_elevation_deg: tuple[float, float] = (35.0, 90.0)  # light direction above the horizon (azimuth uniform)
    ambient: tuple[float, float] = (0.35, 0.8)  # TinyRenderer ambient coefficient (default 0.6)
    diffuse: tuple[float, float] = (0.15, 0.6)  # diffuse coefficient (default 0.35)
    specular: tuple[float, float] = (0.0, 0.4)  # specular coefficient (default 0.05)
    light_tint: float = 0.1  # light colour: each channel 1 - U(0, tint), a slightly warm or cold light
    shadow_p: float = 0.3  # probability of cast shadows
    camera_height_jitter_m: float = 0.02  # camera height: nominal +- U(0, jitter) (the observation's camera follows)
    depth_sigma_m: tuple[float, float] = (0.001, 0.004)  # depth noise at 1 m (grows with depth squared)
    depth_edge_dropout: tuple[float, float] = (0.2, 0.7)  # fraction of depth-edge pixels lost (holes, depth 0)


@dataclass(frozen=True)
class SimConfig:
    """Everything the simulated backend needs."""

    camera: CameraConfig = field(default_factory=CameraConfig)
    library: ObjectConfig = field(default_factory=ObjectConfig)  # how objects are sized and converted
    scene: SceneConfig = field(default_factory=SceneConfig)
    gripper: GripperConfig = field(default_factory=GripperConfig)
    trial: TrialConfig = field(default_factory=TrialConfig)
    appearance: AppearanceConfig = field(default_factory=AppearanceConfig)  # fixed or randomised looks
