"""Object specs and the object library.

A spec is a comma-separated list of items, each one of:

- a named set: ``random_urdfs`` (pybullet_data's 1000 procedural objects, split by index:
  ``random_urdfs:train`` 000-799, ``:validation`` 800-899, ``:test`` 900-999, or a range
  such as ``random_urdfs:900-999``) or ``pybullet_objects`` (graspable objects pybullet_data
  ships: duck, mug, lego, jenga, cube, sphere, toys, bunny, torus);
- a directory, searched recursively for URDF and raw meshes (OBJ, STL, PLY, OFF, GLB/GLTF),
  so a ShapeNetCore or YCB folder works as it is; a mesh that a URDF of the directory
  names is that URDF's part, every other mesh is an object of its own;
- a single URDF or mesh file;
- ``procedural``: meshes generated from a seed at the gripper's sizes, by kind, with a
  family-wise split (``procedural:train|validation|test``, ``procedural:ring``,
  ``procedural:ring:0-9``; see :mod:`simgrasp.sim.procedural`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

import pybullet_data

from simgrasp.registry import Registry
from simgrasp.sim.entry import ObjectEntry
from simgrasp.sim.mesh import MESH_SUFFIXES, is_collision_file

DATA = Path(pybullet_data.getDataPath())
SPLITS = {"train": (0, 799), "validation": (800, 899), "val": (800, 899), "test": (900, 999)}
OBJECT_SETS: Registry[Callable[[str | None], list["ObjectEntry"]]] = Registry("object set")


def _entry(path: Path, name: str | None = None) -> ObjectEntry:
    kind = "urdf" if path.suffix.lower() == ".urdf" else "mesh"
    return ObjectEntry(name or path.stem, str(path), kind)


@OBJECT_SETS.register("random_urdfs")
def random_urdfs(selector: str | None) -> list[ObjectEntry]:
    """pybullet_data's procedural objects; ``selector`` is a split name or ``A-B`` (inclusive)."""
    if selector is None:
        lo, hi = 0, 999
    elif selector in SPLITS:
        lo, hi = SPLITS[selector]
    else:
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", selector)
        if not m:
            raise ValueError(
                f"random_urdfs selector must be one of {', '.join(SPLITS)} or a range like 900-999, got {selector!r}"
            )
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if not 0 <= lo <= hi <= 999:
        raise ValueError(f"random_urdfs range must lie within 0-999 with start <= end, got {lo}-{hi}")
    return [_entry(DATA / "random_urdfs" / f"{i:03d}" / f"{i:03d}.urdf", f"random_urdfs/{i:03d}") for i in range(lo, hi + 1)]


# Checked to load and to fit a 10 cm opening after scaling; domino (6 mm thin, lies flat)
# the tray, soccer ball and shape sorter (scaled down they become plates) and the teddy (its
# hull compound sinks into the table and rolls away) are left out.
PYBULLET_OBJECTS = {
    "duck": "duck_vhacd.urdf",
    "mug": "objects/mug.urdf",
    "lego": "lego/lego.urdf",
    "jenga": "jenga/jenga.urdf",
    "cube": "cube_small.urdf",
    "sphere": "sphere_small.urdf",
    "toy_cube": "toys/cube.obj",
    "toy_cylinder": "toys/cylinder.obj",
    "toy_prism": "toys/prism.obj",
    "bunny": "bunny.obj",
    "torus": "torus/torus_textured.obj",
}


@OBJECT_SETS.register("pybullet_objects")
def pybullet_objects(selector: str | None) -> list[ObjectEntry]:
    """The named objects above; ``selector`` picks one name."""
    names = list(PYBULLET_OBJECTS) if selector is None else [selector]
    for n in names:
        if n not in PYBULLET_OBJECTS:
            raise ValueError(f"pybullet_objects has {', '.join(PYBULLET_OBJECTS)}; got {n!r}")
    return [_entry(DATA / PYBULLET_OBJECTS[n], f"pybullet_objects/{n}") for n in names]


@OBJECT_SETS.register("procedural")
def procedural(selector: str | None) -> list[ObjectEntry]:
    """Generated meshes (simgrasp.sim.procedural); ``selector``: split, kind and/or range."""
    from simgrasp.sim.procedural import procedural_entries  # imported on use: it builds meshes

    return procedural_entries(selector)


def urdf_meshes(path: Path) -> list[Path]:
    """The mesh files a URDF names (``<mesh filename=...>``), resolved against its folder
    (a ``package://`` or ``file://`` prefix is dropped). ValueError for a file that is not XML."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise ValueError(f"unreadable URDF: {e}") from None
    out = []
    for m in root.iter("mesh"):
        name = re.sub(r"^(package|file)://", "", m.get("filename", ""))
        if name:
            out.append((path.parent / name).resolve())
    return out


def scan_directory(root: Path) -> list[ObjectEntry]:
    """URDFs and raw meshes under ``root``, sorted by path. Meshes a URDF of ``root`` names
    are its parts and are not listed on their own, nor are meshes' convex-parts siblings
    (``X.collision.obj``); every other mesh is an object."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    urdfs = [p for p in files if p.suffix.lower() == ".urdf"]
    parts: set[Path] = set()
    for u in urdfs:
        try:
            parts.update(urdf_meshes(u))
        except ValueError:
            pass  # a broken URDF claims no mesh; the library reports it when loading
    meshes = [p for p in files
              if p.suffix.lower() in MESH_SUFFIXES and p.resolve() not in parts and not is_collision_file(p)]
    out = []
    for p in sorted(urdfs + meshes):
        rel = p.relative_to(root)
        # ShapeNet names every file model_normalized.obj: name objects by their folders.
        name = "/".join(rel.parts[:-1]) if p.stem in ("model_normalized", "model", "textured") and len(rel.parts) > 1 else str(rel.with_suffix(""))
        out.append(_entry(p, f"{root.name}/{name}"))
    return out


def resolve_objects(spec: str) -> list[ObjectEntry]:
    """The objects a spec names, in order. Raises ValueError when it selects nothing,
    saying which formats were looked for where."""
    entries: list[ObjectEntry] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        name, colon, selector = item.partition(":")
        if name in OBJECT_SETS and not Path(item).exists():
            if colon and not selector.strip():  # "random_urdfs:" is a selector left out, not every object
                raise ValueError(
                    f"object spec {spec!r}: {item!r} has an empty selector; expected e.g. {name}:test, "
                    f"or {name} alone for the whole set"
                )
            entries.extend(OBJECT_SETS.get(name)(selector or None))
            continue
        p = Path(item).expanduser()
        if p.is_dir():
            entries.extend(scan_directory(p))
        elif p.is_file() and (p.suffix.lower() == ".urdf" or p.suffix.lower() in MESH_SUFFIXES):
            entries.append(_entry(p))
        elif p.exists():
            raise ValueError(f"object file {p} is not a URDF or a mesh ({', '.join(MESH_SUFFIXES)})")
        else:
            raise ValueError(
                f"object spec item {item!r} is neither a set ({', '.join(OBJECT_SETS.names())}) nor an existing path"
            )
    if not entries:
        formats = ", ".join((".urdf",) + MESH_SUFFIXES)
        raise ValueError(f"object spec {spec!r} selects no objects (looked for {formats} files recursively in the given paths)")
    return entries
