"""Raw meshes (OBJ, STL, PLY, OFF, GLB/GLTF) made ready for PyBullet: read and checked with
trimesh, decomposed into convex parts with pybullet's V-HACD, cached on disk so only the
first run pays for the decomposition.

A mesh ``X.<ext>`` with a sibling ``X.collision.obj`` brings its own decomposition: that
file is the collision shape as it stands, one ``o``/``g`` group per convex part (the format
V-HACD writes; pybullet builds one convex hull per group), and V-HACD is skipped. Each part
must be convex and closed, in the mesh's own frame and units.

Units: a raw mesh's own units are kept here (ShapeNet is about 1 unit wide, YCB is in
metres); the object library scales every object at load."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simgrasp.sim.world import quiet_stdout

MESH_SUFFIXES = (".obj", ".stl", ".ply", ".off", ".glb", ".gltf")
CACHE_VERSION = 1
COLLISION_SUFFIX = ".collision.obj"  # sibling file holding a mesh's own convex parts


class MeshError(ValueError):
    """A mesh that cannot be used: unreadable, empty or degenerate (the message says which)."""


@dataclass(frozen=True)
class PreparedMesh:
    """A mesh ready to load. Paths are OBJ files; ``centre`` (mesh units) is the convex
    hull's centroid, which becomes the body's origin; ``extents`` its axis-aligned sides
    sorted ascending; ``volume`` the convex hull's volume (mesh units cubed)."""

    visual_path: str
    collision_path: str
    centre: tuple[float, float, float]
    extents: tuple[float, float, float]
    volume: float
    rgba: tuple[float, float, float, float]


def collision_sibling(path: str | Path) -> Path:
    """Where the mesh ``path``'s own convex parts live, if it has them: ``X.collision.obj``."""
    p = Path(path)
    return p.with_name(p.name[: -len(p.suffix)] + COLLISION_SUFFIX if p.suffix else p.name + COLLISION_SUFFIX)


def is_collision_file(path: str | Path) -> bool:
    """Whether ``path`` is some mesh's convex-parts sibling (so not an object of its own)."""
    return Path(path).name.lower().endswith(COLLISION_SUFFIX)


def _cache_key(path: Path, vhacd_resolution: int) -> str:
    stats = [path.stat()]
    sibling = collision_sibling(path)
    if sibling.is_file():  # a new or edited decomposition must not reuse the old entry
        stats.append(sibling.stat())
    stamp = "|".join(f"{st.st_size}|{st.st_mtime_ns}" for st in stats)
    raw = f"{path.resolve()}|{stamp}|{vhacd_resolution}|{CACHE_VERSION}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def _read(path: Path):
    """The file as one triangle mesh, or MeshError saying why not."""
    import trimesh

    try:
        mesh = trimesh.load(str(path), force="mesh", process=True)
    except Exception as e:  # trimesh raises many types for bad files
        raise MeshError(f"unreadable: {type(e).__name__}: {e}") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) < 4:
        raise MeshError("empty: no triangles")
    if not np.all(np.isfinite(mesh.vertices)):
        raise MeshError("degenerate: non-finite vertex coordinates")
    ext = np.sort(mesh.extents)
    if ext[2] <= 0 or ext[0] < 1e-3 * ext[2]:
        raise MeshError(f"degenerate: flat or point-like, extents {ext.tolist()}")
    return mesh


def _rgba(mesh) -> tuple[tuple[float, float, float, float], bool]:
    """(mean colour, has a texture). Textured meshes keep their texture (white tint)."""
    v = mesh.visual
    try:
        if v.kind == "texture":
            mat = getattr(v, "material", None)
            if getattr(mat, "image", None) is not None or getattr(mat, "baseColorTexture", None) is not None:
                return (1.0, 1.0, 1.0, 1.0), True
            c = np.asarray(mat.main_color, float) / 255.0
            return tuple(float(x) for x in c[:4]), False  # type: ignore[return-value]
        if v.kind in ("face", "vertex"):
            c = np.asarray(v.face_colors if v.kind == "face" else v.vertex_colors, float).mean(0) / 255.0
            return (float(c[0]), float(c[1]), float(c[2]), 1.0), False
    except Exception:
        pass
    return (0.7, 0.7, 0.7, 1.0), False


def _vhacd(mesh, hull, client, out: Path, vhacd_resolution: int) -> Path:
    """V-HACD's decomposition of ``mesh`` written into ``out``, or its convex hull if that fails."""
    plain = out / "plain.obj"
    mesh.export(str(plain), include_normals=False, include_color=False, include_texture=False)
    collision = out / "collision.obj"
    with quiet_stdout():
        try:
            client.vhacd(str(plain), str(collision), str(out / "vhacd.log"), resolution=vhacd_resolution)
        except Exception:
            pass
    if not collision.is_file() or collision.stat().st_size == 0:
        hull.export(str(collision))  # V-HACD failed: fall back to one convex hull
    return collision


def prepare_mesh(path: str | Path, client, cache_dir: str, vhacd_resolution: int = 50000) -> PreparedMesh:
    """Check ``path`` and build (or reuse from ``cache_dir/meshes``) its visual OBJ and its
    convex decomposition: its :func:`collision_sibling` if that exists, else V-HACD's.
    ``client`` is the BulletClient whose ``vhacd`` runs. Raises
    :class:`MeshError` for a mesh that cannot be used."""
    src = Path(path)
    if not src.is_file():
        raise MeshError(f"unreadable: no such file {src}")
    out = Path(cache_dir) / "meshes" / _cache_key(src, vhacd_resolution)
    meta_path = out / "meta.json"
    if meta_path.is_file():
        try:
            return PreparedMesh(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(meta_path.read_text()).items()})
        except (ValueError, TypeError):
            pass  # a damaged cache entry is rebuilt below
    mesh = _read(src)
    hull = mesh.convex_hull
    rgba, textured = _rgba(mesh)
    out.mkdir(parents=True, exist_ok=True)
    if src.suffix.lower() == ".obj":
        visual = src  # pybullet reads the OBJ's own materials and textures
    else:
        visual = out / "visual.obj"
        mesh.export(str(visual), include_texture=textured)
    collision = collision_sibling(src)
    if not collision.is_file():
        collision = _vhacd(mesh, hull, client, out, vhacd_resolution)
    prepared = PreparedMesh(
        visual_path=str(visual),
        collision_path=str(collision),
        centre=tuple(float(x) for x in hull.centroid),  # type: ignore[arg-type]
        extents=tuple(float(x) for x in np.sort(mesh.extents)),  # type: ignore[arg-type]
        volume=float(abs(hull.volume)),
        rgba=rgba,
    )
    tmp = out / f"meta.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(prepared)))
    tmp.replace(meta_path)
    return prepared
