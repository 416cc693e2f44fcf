"""The Cornell grasping dataset: reader and rectangle-file parser.

Layout: ``pcdXXXXr.png`` (640x480 RGB) with ``pcdXXXXcpos.txt`` (positive rectangles) and
``pcdXXXXcneg.txt`` (negative ones), in numbered folders; optionally ``pcdXXXXd.tiff``, the
depth image that ggcnn's ``generate_cornell_depth`` makes from the point clouds. A
rectangle is four lines ``x y`` (pixels), its vertices in order.

Which edge is the opening. The dataset's README says the first two points "define the
line representing the orientation of the gripper plate", which has been read both ways.
The standard loaders (ggcnn's ``GraspRectangle`` and the GR-ConvNet code built on it)
take the edge from point 1 to point 2 as the grasp axis: its length is the opening
(``length``, "along the axis of the grasp") and its direction the grasp angle, and the
edge from point 2 to point 3 is the jaw size. We follow them by default
(``first_edge="opening"``); ``first_edge="jaw"`` takes the other reading.

Rectangles with a NaN coordinate (a few files have them) are skipped and counted.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from simgrasp.data.io import DatasetFormatError, Dropped, check_image, read_depth, read_rgb
from simgrasp.data.io import image_size as header_size
from simgrasp.data.sample import GraspSample
from simgrasp.geometry import wrap_angle_deg

FirstEdge = Literal["opening", "jaw"]
_NAME = re.compile(r"^pcd(\d+)r\.png$")


def corners_to_grasp(p: np.ndarray, first_edge: FirstEdge = "opening") -> np.ndarray:
    """``[x, y, theta_deg, w, h]`` of a rectangle given by its (4, 2) corners in pixels
    (x, y with y down); ``theta_deg`` in simgrasp's convention, folded into [-90, 90)."""
    p = np.asarray(p, dtype=np.float64)
    a, b = (p[0], p[1]) if first_edge == "opening" else (p[1], p[2])
    other = np.linalg.norm(p[2] - p[1]) if first_edge == "opening" else np.linalg.norm(p[1] - p[0])
    d = b - a
    theta = wrap_angle_deg(math.degrees(math.atan2(d[1], d[0])))
    c = p.mean(axis=0)
    return np.array([c[0], c[1], theta, np.linalg.norm(d), other], dtype=np.float64)


def parse_rectangles(text: str, path: Path | str, first_edge: FirstEdge = "opening") -> tuple[np.ndarray, int]:
    """Parse a ``cpos``/``cneg`` file into an (N, 5) float32 grasp array. Returns the
    array and the number of rectangles skipped for holding NaN. A line that is not two
    numbers, or a count of lines that is not a multiple of four, raises
    :class:`DatasetFormatError` naming the file and line."""
    points: list[tuple[float, float]] = []
    first_line: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        parts = s.split()
        try:
            xy = tuple(float(v) for v in parts)
        except ValueError:
            xy = ()
        if len(xy) != 2:
            raise DatasetFormatError(f"{path}:{lineno}: expected two numbers 'x y', got {s!r}", "grasp line")
        points.append(xy)  # type: ignore[arg-type]
        first_line.append(lineno)
    if len(points) % 4:
        raise DatasetFormatError(
            f"{path}:{first_line[-1]}: expected four lines per rectangle, got {len(points)} lines in all", "grasp line"
        )
    rows, skipped = [], 0
    for k in range(0, len(points), 4):
        quad = np.asarray(points[k : k + 4])
        if np.isnan(quad).any():
            skipped += 1
            continue
        rows.append(corners_to_grasp(quad, first_edge))
    return np.asarray(rows, np.float32).reshape(-1, 5), skipped


def read_object_map(path: Path) -> dict[int, str]:
    """Image number -> object id from a whitespace-separated file whose first two
    columns are the image number and the object id (Cornell's ``z.txt`` mapping)."""
    out: dict[int, str] = {}
    for lineno, line in enumerate(Path(path).read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2 or not parts[0].isdigit():
            raise DatasetFormatError(f"{path}:{lineno}: expected '<image number> <object id> ...', got {line!r}")
        out[int(parts[0])] = parts[1]
    return out


class CornellDataset:
    """A Cornell folder as a :class:`simgrasp.data.sample.GraspDataset` (positive
    rectangles as grasps; negatives in ``sample.meta["negative_grasps"]``).

    ``object_map``: a file mapping image numbers to object ids (see
    :func:`read_object_map`); without it every image is its own object, so object-wise
    splits become image-wise. ``image_size``: expected ``(width, height)`` or None.
    ``check``/``strict``/``decode``/``progress``/``dropped``/``skipped_rects`` work as in
    JacquardDataset."""

    def __init__(
        self,
        root: str | Path,
        object_map: str | Path | None = None,
        image_size: tuple[int, int] | None = (640, 480),
        first_edge: FirstEdge = "opening",
        check: bool = True,
        strict: bool = False,
        decode: bool = False,
        progress: bool = False,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Cornell dataset folder not found: {self.root}")
        if first_edge not in ("opening", "jaw"):
            raise ValueError(f"first_edge must be 'opening' or 'jaw', got {first_edge!r}")
        self.first_edge: FirstEdge = first_edge
        self.image_size = image_size
        self._objects = read_object_map(Path(object_map)) if object_map else {}
        self._size = check_image if decode else header_size
        self.dropped: list[Dropped] = []
        self.skipped_rects = 0
        self.images: list[Path] = []
        found = sorted(p for p in self.root.rglob("pcd*r.png") if _NAME.match(p.name))
        for rgb in tqdm(found, desc=f"check {self.root.name}", unit="image", disable=not (check and progress), delay=1.0):
            try:
                if check:
                    self.skipped_rects += self._check(rgb)
            except DatasetFormatError as e:
                if strict:
                    raise
                self.dropped.append(Dropped.of(rgb, e))
                continue
            self.images.append(rgb)

    @staticmethod
    def _sibling(rgb: Path, suffix: str) -> Path:
        return rgb.with_name(rgb.name[: -len("r.png")] + suffix)

    def _read(self, path: Path) -> tuple[np.ndarray, int]:
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise DatasetFormatError(f"{path}: file not found", "missing file") from None
        return parse_rectangles(text, path, self.first_edge)

    def _check(self, rgb: Path) -> int:
        size = self._size(rgb)
        if self.image_size is not None and size != tuple(self.image_size):
            w, h = self.image_size
            raise DatasetFormatError(f"{rgb}: expected {w}x{h} pixels, got {size[0]}x{size[1]}")
        depth = self._sibling(rgb, "d.tiff")
        if depth.is_file() and (depth_size := self._size(depth)) != size:
            raise DatasetFormatError(f"{depth}: expected {size[0]}x{size[1]} pixels like its RGB image, got {depth_size}")
        pos, skipped = self._read(self._sibling(rgb, "cpos.txt"))
        if len(pos) == 0:
            raise DatasetFormatError(f"{self._sibling(rgb, 'cpos.txt')}: no valid rectangle")
        neg = self._sibling(rgb, "cneg.txt")
        if neg.is_file():
            skipped += self._read(neg)[1]
        return skipped

    def __len__(self) -> int:
        return len(self.images)

    def _number(self, rgb: Path) -> int:
        return int(_NAME.match(rgb.name).group(1))  # type: ignore[union-attr]

    def __getitem__(self, i: int) -> GraspSample:
        rgb_path = self.images[i]
        rgb = read_rgb(rgb_path)
        pos, skipped = self._read(self._sibling(rgb_path, "cpos.txt"))
        neg_path = self._sibling(rgb_path, "cneg.txt")
        neg = self._read(neg_path)[0] if neg_path.is_file() else np.zeros((0, 5), np.float32)
        depth_path = self._sibling(rgb_path, "d.tiff")
        depth = read_depth(depth_path) if depth_path.is_file() else None
        meta: dict[str, Any] = {"path": str(rgb_path), "negative_grasps": neg, "skipped_nan_rects": skipped}
        scene_id = rgb_path.name[: -len("r.png")]
        return GraspSample(rgb, pos, self._object_id(rgb_path), scene_id, depth, None, meta)

    def grasps(self, i: int) -> np.ndarray:
        """The (N, 5) positive grasps of sample ``i`` without reading its image."""
        return self._read(self._sibling(self.images[i], "cpos.txt"))[0]

    def _object_id(self, rgb: Path) -> str:
        return self._objects.get(self._number(rgb), rgb.name[: -len("r.png")])

    def object_ids(self) -> list[str]:
        return [self._object_id(p) for p in self.images]
