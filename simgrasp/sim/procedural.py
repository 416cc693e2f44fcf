"""The procedural object family: meshes generated from a seed, at the gripper's sizes, as
an object set (``--objects procedural...``) usable wherever an object spec is.

Object ``(kind, index)`` is drawn from ``np.random.default_rng([crc32(kind), index])`` by
the kind's builder (:mod:`simgrasp.sim.shapes`, :mod:`simgrasp.sim.outlines`), so it is the
same on every machine; ``PER_KIND`` indices per kind. Its OBJ file is written once, when a
spec first names it, to ``<cache>/procedural/v<VERSION>/<kind>/<index>.obj`` (``<cache>``:
``$SIMGRASP_CACHE`` or ``~/.cache/simgrasp``) with its exact convex parts beside it
(``<index>.collision.obj``, see :mod:`simgrasp.sim.mesh`: no V-HACD), and loaded through
the normal mesh path at scale 1: procedural objects keep their generated size.

Split, by family, so that whole kinds are held out:

- ``train``: the training kinds, indices whose last digit is 0-8;
- ``validation``: the training kinds' indices ending in 9 (unseen objects of seen kinds)
  and every object of the validation kinds, which no training run sees (unseen kinds):
  frame (ring: a hole; u_shape: bars around a gap), dumbbell (hammer: heads on a handle;
  capsule: a round rod), bottle (cylinder: a round body; cup: a revolved profile). Model
  and recipe choices are made here, on both kinds of novelty;
- ``test``: only the test kinds, which neither training nor model selection sees. Each
  held-out kind has training siblings with its geometric feature, so the test asks for
  generalisation across families: torus (ring: a hole), mug (cup: a hollow body; hammer:
  a part sticking out), cross (t_shape, l_shape: concave arms), wrench (spatula: a flat
  tool on a narrow handle; u_shape: an open jaw).

Spec: ``procedural[:PART[:PART...]]``, each part one of a split (``train``,
``validation`` or ``val``, ``test``), a kind, or an index range ``A-B`` (inclusive) or
``A``, at most one of each: ``procedural:test``, ``procedural:ring``,
``procedural:ring:validation``, ``procedural:train:0-19``. Objects come index by index,
every selected kind at each index, so any first N of them mixes the kinds."""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgrasp.sim import outlines as _outlines  # noqa: F401  (registers its kinds)
from simgrasp.sim.config import default_cache_dir
from simgrasp.sim.convex import parts_obj
from simgrasp.sim.mesh import collision_sibling
from simgrasp.sim.entry import ObjectEntry
from simgrasp.sim.shapes import BUILDERS, Shape

PER_KIND = 80  # indices 0..79 of every kind
VERSION = 2  # bump when a builder changes what it draws or writes: the files move to a new folder
VALIDATION_DIGIT = 9  # training kinds' indices ending in this digit form the validation split
SPLITS = ("train", "validation", "test")
SPLIT_ALIASES = {"val": "validation"}


@dataclass(frozen=True)
class Kind:
    """A family of shapes: what it teaches; for a held-out family, the split that holds all
    of it (``validation`` or ``test``) and the training kinds that share its feature
    (``siblings``, empty for training kinds)."""

    feature: str
    siblings: tuple[str, ...] = ()
    split: str = "train"

    def __post_init__(self) -> None:
        if self.split not in SPLITS or bool(self.siblings) != (self.split != "train"):
            raise ValueError(f"a held-out kind names its split (validation or test) and its training siblings, a "
                             f"training kind neither; got split {self.split!r}, siblings {self.siblings}")

    @property
    def held_out(self) -> bool:
        return self.split != "train"


KINDS: dict[str, Kind] = {
    "box": Kind("cubes, bars, slabs"),
    "cylinder": Kind("discs, pucks, cans, rods"),
    "capsule": Kind("round-ended rods"),
    "ellipsoid": Kind("smooth convex, no flat face"),
    "blob": Kind("smooth lumps and dents"),
    "prism": Kind("convex polygons, 3-8 sides"),
    "star": Kind("concave outline"),
    "notched": Kind("concave notches in a bar"),
    "ring": Kind("hole in the middle (washers, nuts)"),
    "l_shape": Kind("two arms at a right angle"),
    "t_shape": Kind("bar on a stem"),
    "u_shape": Kind("open jaw between two arms"),
    "plate": Kind("thin (3-8 mm) flat parts"),
    "cup": Kind("hollow body, open top"),
    "hammer": Kind("round handle, heavy head"),
    "spatula": Kind("narrow handle, thin blade"),
    "frame": Kind("rectangular hole in a rectangle", ("ring", "u_shape"), "validation"),
    "dumbbell": Kind("round bar between two heads", ("hammer", "capsule"), "validation"),
    "bottle": Kind("round body with a narrow neck", ("cylinder", "cup"), "validation"),
    "torus": Kind("round tube around a hole", ("ring",), "test"),
    "mug": Kind("hollow body with a handle", ("cup", "hammer"), "test"),
    "cross": Kind("four concave arms", ("t_shape", "l_shape"), "test"),
    "wrench": Kind("flat tool, open jaws", ("spatula", "u_shape"), "test"),
}


def split_of(kind: str, index: int) -> str:
    """The split object ``(kind, index)`` belongs to."""
    if KINDS[kind].held_out:
        return KINDS[kind].split
    return "validation" if index % 10 == VALIDATION_DIGIT else "train"


def generate(kind: str, index: int) -> Shape:
    """Object ``index`` of ``kind``, drawn afresh (no file is read or written)."""
    if kind not in KINDS:
        raise ValueError(f"procedural kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not 0 <= index < PER_KIND:
        raise ValueError(f"procedural index must lie in 0-{PER_KIND - 1}, got {index}")
    rng = np.random.default_rng([zlib.crc32(kind.encode()), index])
    return BUILDERS.get(kind)(rng)


def object_path(kind: str, index: int, cache_dir: str | None = None) -> Path:
    """Where object ``(kind, index)``'s OBJ file lives in ``cache_dir`` (default: the cache)."""
    return Path(cache_dir or default_cache_dir()) / "procedural" / f"v{VERSION}" / kind / f"{index:03d}.obj"


def _write_atomic(path: Path, text: str) -> None:
    """``text`` into ``path`` through a renamed temporary file, so a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def ensure_file(kind: str, index: int, cache_dir: str | None = None) -> Path:
    """The OBJ file of ``(kind, index)``, generated first if missing, with its convex parts
    in the sibling :func:`~simgrasp.sim.mesh.collision_sibling`. Both writes are atomic and
    the parts come first, so workers generating the same object at once are safe and a
    present mesh always has its parts."""
    path = object_path(kind, index, cache_dir)
    if path.is_file() and collision_sibling(path).is_file():
        return path
    import trimesh

    shape = generate(kind, index)
    _write_atomic(collision_sibling(path), parts_obj(shape.convex_parts()))
    _write_atomic(path, trimesh.exchange.obj.export_obj(shape.mesh, include_normals=False, include_color=False,
                                                        include_texture=False, digits=7))
    return path


def parse_selector(selector: str | None) -> tuple[str | None, str | None, range]:
    """(split or None, kind or None, index range) of the part after ``procedural:``."""
    split, kind, indices = None, None, None
    for part in (selector.split(":") if selector else []):
        part = SPLIT_ALIASES.get(part, part)
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if part in SPLITS and split is None:
            split = part
        elif part in KINDS and kind is None:
            kind = part
        elif m and indices is None:
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if not 0 <= lo <= hi < PER_KIND:
                raise ValueError(f"procedural range must lie within 0-{PER_KIND - 1} with start <= end, got {part}")
            indices = range(lo, hi + 1)
        else:
            raise ValueError(
                f"procedural selector parts are a split ({', '.join(SPLITS)}), a kind ({', '.join(KINDS)}) or a "
                f"range like 0-9, at most one of each; got {part!r} in {selector!r}"
            )
    return split, kind, indices if indices is not None else range(PER_KIND)


def procedural_entries(selector: str | None, cache_dir: str | None = None) -> list[ObjectEntry]:
    """The objects ``procedural:<selector>`` names, their files generated into the cache
    if missing, index by index (every selected kind at index 0, then at 1, ...)."""
    split, kind, indices = parse_selector(selector)
    kinds = [kind] if kind else list(KINDS)
    out = [
        ObjectEntry(f"procedural/{k}/{i:03d}", str(ensure_file(k, i, cache_dir)), "mesh", fixed_scale=1.0)
        for i in indices for k in kinds if split is None or split_of(k, i) == split
    ]
    if not out:
        held = {s: ", ".join(k for k in KINDS if KINDS[k].split == s) for s in ("validation", "test")}
        raise ValueError(f"procedural:{selector} selects no objects (the test split holds only the test kinds: "
                         f"{held['test']}; the validation kinds {held['validation']} are in no other split)")
    return out
