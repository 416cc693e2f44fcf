"""How a scene looks: colours, procedural textures, light, camera height and depth noise.

A look is drawn once per scene (after the object has settled, so the physics never depends
on it) by the appearance mode named in ``AppearanceConfig.mode``, stored in the scene's
record as an :class:`Appearance`, and applied again from that record when the scene is
rebuilt, so a rebuilt scene renders the same pixels. ``fixed`` draws nothing and leaves
today's renders untouched.

Textures need texture coordinates: a one-link object made of meshes without them
(``random_urdfs``, most raw meshes) is textured through a skin (simgrasp.sim.skin); any
other object without them gets a plain colour instead."""

from __future__ import annotations

import colorsys
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import pybullet

from simgrasp.config import check_config
from simgrasp.registry import Registry
from simgrasp.sim.config import AppearanceConfig, CameraConfig, SimConfig
from simgrasp.sim.depth_noise import noisy_depth
from simgrasp.sim.skin import build_skin, can_skin
from simgrasp.sim.textures import TextureSpec, load_texture
from simgrasp.sim.world import World

TABLE_SKIN_LIFT_M = 1e-4  # the textured table patch floats this far above the table (no z-fighting)

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Light:
    """TinyRenderer's light: ``direction`` towards the light (world frame, unit), its RGB
    colour, the ambient / diffuse / specular coefficients and whether shadows are cast."""

    direction: RGB
    color: RGB
    ambient: float
    diffuse: float
    specular: float
    shadow: bool

    def render_kwargs(self) -> dict:
        """Keyword arguments of ``getCameraImage``."""
        return {
            "lightDirection": list(self.direction), "lightColor": list(self.color),
            "lightAmbientCoeff": self.ambient, "lightDiffuseCoeff": self.diffuse,
            "lightSpecularCoeff": self.specular, "shadow": int(self.shadow),
        }


@dataclass(frozen=True)
class DepthNoise:
    """The stereo-like noise of the observed depth (simgrasp.sim.depth_noise), seeded."""

    seed: int
    sigma_m: float
    edge_dropout: float

    def apply(self, depth: np.ndarray) -> np.ndarray:
        """The observed depth (metres) of a perfect depth image."""
        return noisy_depth(depth, np.random.default_rng(self.seed), self.sigma_m, self.edge_dropout)


@dataclass(frozen=True)
class Appearance:
    """One scene's look. Colours RGBA in [0, 1]; a texture, when present, replaces the colour."""

    object_rgba: tuple[float, float, float, float]
    table_rgba: tuple[float, float, float, float]
    light: Light
    depth_noise: DepthNoise
    object_texture: TextureSpec | None = None
    table_texture: TextureSpec | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Appearance":
        light = dict(d["light"])
        for k in ("direction", "color"):
            light[k] = tuple(map(float, light[k]))
        tex = {k: TextureSpec.from_dict(d[k]) if d.get(k) else None for k in ("object_texture", "table_texture")}
        return cls(
            tuple(map(float, d["object_rgba"])), tuple(map(float, d["table_rgba"])),  # type: ignore[arg-type]
            Light(**light), DepthNoise(**d["depth_noise"]), **tex,
        )


# mode -> (config, rng, the object can be textured) -> (camera height m, look or None)
Draw = Callable[[SimConfig, np.random.Generator, bool], tuple[float, "Appearance | None"]]
APPEARANCE_MODES: Registry[Draw] = Registry("appearance mode")


@APPEARANCE_MODES.register("fixed")
def fixed(cfg: SimConfig, rng: np.random.Generator, texturable: bool) -> tuple[float, Appearance | None]:
    """Every scene alike: nothing is drawn (the renders of the fixed cell)."""
    return cfg.camera.height_m, None


def _span(rng: np.random.Generator, r: tuple[float, float]) -> float:
    return float(rng.uniform(r[0], r[1]))


def draw_color(rng: np.random.Generator, a: AppearanceConfig, table: np.ndarray) -> RGB:
    """An object colour over the whole range: greys from black to white, colours close to
    the ``table`` RGB (hard to see, as in real cells), or any hue, saturation and value."""
    u = rng.uniform()
    if u < a.grey_p:
        rgb = np.full(3, rng.uniform(0.03, 1.0))
    elif u < a.grey_p + a.near_table_p:
        rgb = np.clip(table + rng.normal(0.0, a.near_table_sigma, 3), 0.0, 1.0)
    else:
        rgb = np.array(colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(), rng.uniform(0.1, 1.0)))
    return tuple(float(x) for x in rgb)  # type: ignore[return-value]


def _texture(rng: np.random.Generator, a: AppearanceConfig, rgb_a: RGB, rgb_b: RGB, px: int) -> TextureSpec:
    kind = a.textures[int(rng.integers(len(a.textures)))]
    return TextureSpec(kind, int(rng.integers(2**31)), rgb_a, rgb_b, px)


@APPEARANCE_MODES.register("randomized")
def randomized(cfg: SimConfig, rng: np.random.Generator, texturable: bool) -> tuple[float, Appearance | None]:
    """Every look drawn from ``rng`` within ``cfg.appearance``'s ranges."""
    a = cfg.appearance
    height = cfg.camera.height_m + float(rng.uniform(-1, 1)) * a.camera_height_jitter_m
    table = np.array(colorsys.hsv_to_rgb(rng.uniform(), _span(rng, a.table_saturation), _span(rng, a.table_value)))
    obj = draw_color(rng, a, table)
    table_tex = obj_tex = None
    if rng.uniform() < a.table_texture_p:
        mix = rng.uniform(0.15, 1.0)  # from a subtle grain to a bold pattern
        other = (1 - mix) * table + mix * np.asarray(draw_color(rng, a, table))
        table_tex = _texture(rng, a, tuple(map(float, table)), tuple(map(float, other)), a.table_texture_px)  # type: ignore[arg-type]
    if rng.uniform() < a.object_texture_p and texturable:
        obj_tex = _texture(rng, a, obj, draw_color(rng, a, table), a.object_texture_px)
    elev, azim = np.deg2rad(_span(rng, a.light_elevation_deg)), rng.uniform(0, 2 * np.pi)
    light = Light(
        (float(np.cos(elev) * np.cos(azim)), float(np.cos(elev) * np.sin(azim)), float(np.sin(elev))),
        tuple(float(1.0 - rng.uniform(0, a.light_tint)) for _ in range(3)),  # type: ignore[arg-type]
        _span(rng, a.ambient), _span(rng, a.diffuse), _span(rng, a.specular), bool(rng.uniform() < a.shadow_p),
    )
    noise = DepthNoise(int(rng.integers(2**31)), _span(rng, a.depth_sigma_m), _span(rng, a.depth_edge_dropout))
    look = Appearance(obj + (1.0,), tuple(map(float, table)) + (1.0,), light, noise, obj_tex, table_tex)  # type: ignore[arg-type]
    return float(height), look


def check_appearance(a: AppearanceConfig) -> None:
    """ValueError naming the first field of ``a`` outside its declared range (the modes,
    the texture kinds, probabilities in [0, 1], ordered (low, high) ranges)."""
    check_config(a, prefix="appearance.")
    if a.mode not in APPEARANCE_MODES:
        raise ValueError(f"appearance.mode must be one of {', '.join(APPEARANCE_MODES.names())}, got {a.mode!r}")


def draw_appearance(world: World, body: int, cfg: SimConfig, rng: np.random.Generator) -> tuple[float, Appearance | None]:
    """The camera height (m) and the look of the scene of object ``body``, as
    ``cfg.appearance.mode`` draws them."""
    return APPEARANCE_MODES.get(cfg.appearance.mode)(cfg, rng, has_uvs(world, body) or can_skin(world, body))


@lru_cache(maxsize=256)
def _obj_has_uvs(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return any(line.startswith(b"vt ") for line in f)
    except OSError:
        return False


def has_uvs(world: World, body: int) -> bool:
    """True when every visual of ``body`` has texture coordinates: primitives (TinyRenderer
    maps them) and OBJ meshes with ``vt`` lines. Meshes built from arrays count as without."""
    shapes = world.client.getVisualShapeData(body)
    for s in shapes:
        if s[2] != pybullet.GEOM_MESH:
            continue
        name = s[4].decode() if isinstance(s[4], bytes) else str(s[4])
        if not name.lower().endswith(".obj") or not _obj_has_uvs(name):
            return False
    return bool(shapes)


def table_patch_half_m(cam: CameraConfig, jitter_m: float) -> float:
    """Half side (m) of a square on the table that covers the image at the highest camera."""
    half_y = (cam.height_m + jitter_m) * np.tan(0.5 * np.deg2rad(cam.fov_y_deg))
    return float(1.2 * half_y * max(1.0, cam.width / cam.height))


def _paint(world: World, body: int, rgba, texture: TextureSpec | None, cache_dir: str) -> None:
    """Colour every visual of ``body``, or texture it (white tint, so the texture shows as drawn)."""
    c = world.client
    links = sorted({s[1] for s in c.getVisualShapeData(body)})
    tex = -1 if texture is None else load_texture(c, texture, cache_dir)
    for link in links:
        if tex < 0:
            c.changeVisualShape(body, link, rgbaColor=list(rgba))
        else:
            c.changeVisualShape(body, link, rgbaColor=[1, 1, 1, 1], textureUniqueId=tex)


def apply_appearance(world: World, bodies: Sequence[int], look: Appearance, cfg: SimConfig) -> dict[int, int]:
    """Colour and texture the objects ``bodies`` and the table as ``look`` says; returns
    the skins built (skin id -> the object body its segmentation stands for). A table
    texture goes on a visual-only square patch (no collision, so the physics is the same
    in every mode) lying on the table under the camera, its texture spread once over it."""
    cache = cfg.library.cache_dir
    world.set_table_color(look.table_rgba)
    skins: dict[int, int] = {}
    for body in bodies:
        skin = None
        if look.object_texture is not None and not has_uvs(world, body):
            skin = build_skin(world, body, cfg.appearance.object_texture_m)
            skins[skin] = body
        _paint(world, body if skin is None else skin, look.object_rgba, look.object_texture, cache)
    if look.table_texture is not None:
        s = table_patch_half_m(cfg.camera, cfg.appearance.camera_height_jitter_m)
        c = world.client
        vis = c.createVisualShape(
            pybullet.GEOM_MESH, vertices=[[-s, -s, 0], [s, -s, 0], [s, s, 0], [-s, s, 0]], indices=[0, 1, 2, 0, 2, 3],
            uvs=[[0, 0], [1, 0], [1, 1], [0, 1]], normals=[[0, 0, 1]] * 4, rgbaColor=[1, 1, 1, 1],
        )
        patch = c.createMultiBody(0, -1, vis, [0, 0, TABLE_SKIN_LIFT_M])
        _paint(world, patch, look.table_rgba, look.table_texture, cache)
    return skins
