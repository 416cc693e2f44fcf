"""The Jacquard dataset layout: reader, grasp-file parser and formatter.

Layout (Depierre et al., IROS 2018): one folder per object holding, for each image ``i``
of object ``objid``, the files ``<i>_<objid>_RGB.png``, ``<i>_<objid>_perfect_depth.tiff``,
``<i>_<objid>_stereo_depth.tiff``, ``<i>_<objid>_mask.png`` and ``<i>_<objid>_grasps.txt``.
Images are square (1024 px in the published dataset; the generator writes other sizes).
Each line of a grasps file is ``x;y;theta;w;h``: centre in pixels, ``theta`` in degrees,
``w`` the opening and ``h`` the jaw size in pixels.

Angle convention. ggcnn's loader (``GraspRectangles.load_from_jacquard_file``) builds its
grasp with angle ``-theta`` where its own angles turn counter-clockwise as displayed
(opening axis ``(cos a, -sin a)`` in pixel (x, y) with y down); its writer ``to_jacquard``
negates back. So Jacquard's opening axis is ``(cos theta, sin theta)`` in pixel (x, y)
with y down, i.e. positive angles turn clockwise as displayed: exactly the convention of
:mod:`simgrasp.geometry.rect`. Rows are therefore stored as read, with no conversion
(tests check it on scenes rendered by the generator: stored grasps lie across the object).

Scenes written by simgrasp's generator may also hold ``<i>_<objid>_candidates.txt``, every
grasp tried in simulation with its outcome (format in :mod:`simgrasp.data.tried`); the
reader fills ``GraspSample.tested`` from it. Other Jacquard tools ignore it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tqdm import tqdm

from simgrasp.data.io import (
    DatasetFormatError,
    Dropped,
    check_image,
    image_size as header_size,
    read_depth,
    read_mask,
    read_rgb,
    read_text,
    rect_values,
)
from simgrasp.data.sample import GraspSample
from simgrasp.data.tried import TriedGrasps, read_tried_file

SUFFIXES = {
    "rgb": "_RGB.png",
    "perfect_depth": "_perfect_depth.tiff",
    "stereo_depth": "_stereo_depth.tiff",
    "mask": "_mask.png",
    "grasps": "_grasps.txt",
    "scene": "_scene.json",  # written by simgrasp's generator only: how to rebuild the scene
    "candidates": "_candidates.txt",  # generator only: every grasp tried, with its outcome (simgrasp.data.tried)
}

DepthKind = Literal["perfect", "stereo"]


def parse_grasp_lines(text: str, path: Path | str) -> tuple[np.ndarray, int]:
    """Parse the text of a grasps file into an (N, 5) float32 array of
    ``[x, y, theta_deg, w, h]`` (pixels, degrees). Lines holding NaN are skipped and
    counted (second return value); blank lines are ignored; anything else that is not
    five ``;``-separated numbers raises :class:`DatasetFormatError` naming file and line."""
    rows: list[list[float]] = []
    skipped = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        values = rect_values(s.split(";"), path, lineno, s)
        if values is None:
            skipped += 1
        else:
            rows.append(values)
    return np.asarray(rows, np.float32).reshape(-1, 5), skipped


def read_grasps_file(path: Path) -> tuple[np.ndarray, int]:
    """Read and parse one ``*_grasps.txt`` (see :func:`parse_grasp_lines`)."""
    return parse_grasp_lines(read_text(path), path)


def format_grasp_lines(grasps: np.ndarray) -> str:
    """The text of a grasps file for an (N, 5) array, two decimals like the dataset."""
    g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
    return "".join(";".join(f"{v:.2f}" for v in row) + "\n" for row in g)


@dataclass(frozen=True)
class JacquardScene:
    """One image of the dataset: ``prefix`` is the folder plus ``<i>_<objid>``."""

    prefix: Path
    scene_id: str  # "<i>_<objid>"
    object_id: str

    def path(self, kind: str) -> Path:
        """The file of ``kind`` (a key of ``SUFFIXES``)."""
        return self.prefix.with_name(self.prefix.name + SUFFIXES[kind])


def find_scenes(root: Path) -> list[JacquardScene]:
    """Every scene under ``root`` (searched recursively), sorted by path. A scene is any
    prefix with at least one of the Jacquard files; missing siblings are found later."""
    prefixes: set[Path] = set()
    for kind in ("rgb", "grasps"):
        for p in Path(root).rglob("*" + SUFFIXES[kind]):
            if not p.name.startswith("."):  # temp files of an interrupted writer
                prefixes.add(p.with_name(p.name[: -len(SUFFIXES[kind])]))
    scenes = []
    for prefix in sorted(prefixes):
        image_index, sep, object_id = prefix.name.partition("_")
        scenes.append(JacquardScene(prefix, prefix.name, object_id if sep else prefix.parent.name))
    return scenes


class JacquardDataset:
    """A Jacquard-layout folder as a :class:`simgrasp.data.sample.GraspDataset`.

    ``depth``: which depth file to load (``"perfect"``, ``"stereo"``) or None for none.
    ``image_size``: the expected side in pixels (None: any square size, the same for all
    images of a scene). With ``check`` (default), construction reads every grasps file and
    every image header, and drops bad scenes into ``self.dropped`` as
    :class:`simgrasp.data.io.Dropped` ``(path, reason, kind)``; ``strict`` raises the first
    error instead. With ``decode`` as well, every image's data is checked too
    (:func:`simgrasp.data.io.check_image`), so that a truncated file is dropped here rather
    than met in the middle of a training run; ``progress`` shows a bar when that takes more
    than a second. Pixels themselves are read in
    ``__getitem__``. ``self.skipped_lines`` counts grasp lines skipped for holding NaN.
    Samples carry the tried grasps of a ``_candidates.txt`` as ``tested`` (rows that are not
    labels dropped) and ``tested_success``; both are empty for scenes without one."""

    def __init__(
        self,
        root: str | Path,
        depth: DepthKind | None = "perfect",
        image_size: int | None = None,
        check: bool = True,
        strict: bool = False,
        decode: bool = False,
        progress: bool = False,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Jacquard dataset folder not found: {self.root}")
        if depth not in (None, "perfect", "stereo"):
            raise ValueError(f"depth must be 'perfect', 'stereo' or None, got {depth!r}")
        self.depth_kind = depth
        self.image_size = image_size
        self._size = check_image if decode else header_size
        self.dropped: list[Dropped] = []
        self.skipped_lines = 0
        self.scenes: list[JacquardScene] = []
        found = find_scenes(self.root)
        bar = tqdm(found, desc=f"check {self.root.name}", unit="scene", disable=not (check and progress), delay=1.0)
        for scene in bar:
            try:
                if check:
                    self.skipped_lines += self._check(scene)
            except DatasetFormatError as e:
                if strict:
                    raise
                self.dropped.append(Dropped.of(scene.prefix, e))
                continue
            self.scenes.append(scene)

    def _required(self) -> list[str]:
        return ["rgb", "grasps"] + ([f"{self.depth_kind}_depth"] if self.depth_kind else [])

    def _check(self, scene: JacquardScene) -> int:
        """Validate one scene (its image data too with ``decode``); returns its count of NaN lines."""
        for kind in self._required():
            if not scene.path(kind).is_file():
                raise DatasetFormatError(f"{scene.path(kind)}: file not found (every scene needs {kind})", "missing file")
        w, h = self._size(scene.path("rgb"))
        if w != h:
            raise DatasetFormatError(f"{scene.path('rgb')}: expected a square image, got {w}x{h}")
        if self.image_size is not None and w != self.image_size:
            raise DatasetFormatError(
                f"{scene.path('rgb')}: expected {self.image_size}x{self.image_size} pixels, got {w}x{h}"
            )
        siblings = [f"{self.depth_kind}_depth"] if self.depth_kind else []
        siblings += ["mask"] if scene.path("mask").is_file() else []
        for kind in siblings:
            size = self._size(scene.path(kind))
            if size != (w, h):
                raise DatasetFormatError(
                    f"{scene.path(kind)}: expected {w}x{h} pixels like its RGB image, got {size[0]}x{size[1]}"
                )
        grasps, skipped = read_grasps_file(scene.path("grasps"))
        if len(grasps) == 0:
            raise DatasetFormatError(f"{scene.path('grasps')}: no valid grasp")
        if scene.path("candidates").is_file():
            read_tried_file(scene.path("candidates"))
        return skipped

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, i: int) -> GraspSample:
        scene = self.scenes[i]
        rgb = read_rgb(scene.path("rgb"))
        grasps, skipped = read_grasps_file(scene.path("grasps"))
        depth = read_depth(scene.path(f"{self.depth_kind}_depth")) if self.depth_kind else None
        mask = read_mask(scene.path("mask")) if scene.path("mask").is_file() else None
        for name, a in (("depth", depth), ("mask", mask)):
            if a is not None and a.shape != rgb.shape[:2]:
                raise DatasetFormatError(f"{scene.prefix}: {name} is {a.shape}, RGB is {rgb.shape[:2]}")
        meta: dict[str, Any] = {"prefix": str(scene.prefix), "skipped_nan_lines": skipped}
        if scene.path("scene").is_file():
            meta["scene_record"] = str(scene.path("scene"))
        tried = self.tried(i)
        tested, tested_success = tried.labelled() if tried is not None else (np.zeros((0, 5), np.float32), [])
        return GraspSample(rgb, grasps, scene.object_id, scene.scene_id, depth, mask, meta, tested, tested_success)

    def grasps(self, i: int) -> np.ndarray:
        """The (N, 5) grasps of sample ``i`` without reading its images."""
        return read_grasps_file(self.scenes[i].path("grasps"))[0]

    def tried(self, i: int) -> TriedGrasps | None:
        """Every grasp tried in simulation on sample ``i``, with outcome, reason and source,
        read from its ``_candidates.txt`` without reading images (None when it has none)."""
        p = self.scenes[i].path("candidates")
        return read_tried_file(p) if p.is_file() else None

    def object_ids(self) -> list[str]:
        return [s.object_id for s in self.scenes]

    def scene_ids(self) -> list[str]:
        """The ``<i>_<objid>`` id of every sample, in index order."""
        return [s.scene_id for s in self.scenes]

    def scene_record(self, i: int) -> dict[str, Any] | None:
        """The generator's rebuild record of sample ``i`` (None for real Jacquard data)."""
        p = self.scenes[i].path("scene")
        return json.loads(p.read_text()) if p.is_file() else None
