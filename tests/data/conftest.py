"""Tiny hand-written Jacquard and Cornell folders, written into tmp_path by each test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SIDE = 32  # pixels, the side of every Jacquard fixture image


def _rgb(path: Path, w: int, h: int, value: int = 90) -> None:
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(path)


def _depth(path: Path, w: int, h: int) -> None:
    Image.fromarray(np.full((h, w), 0.7, np.float32), "F").save(path)


def _mask(path: Path, w: int, h: int) -> None:
    m = np.zeros((h, w), np.uint8)
    m[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 255
    Image.fromarray(m).save(path)


def write_jacquard_scene(
    folder: Path, i: int, obj: str, grasps: str, side: int = SIDE, depth_side: int | None = None, skip: tuple = ()
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / f"{i}_{obj}"
    if "rgb" not in skip:
        _rgb(Path(f"{prefix}_RGB.png"), side, side)
    d = depth_side or side
    _depth(Path(f"{prefix}_perfect_depth.tiff"), d, d)
    _depth(Path(f"{prefix}_stereo_depth.tiff"), d, d)
    _mask(Path(f"{prefix}_mask.png"), side, side)
    Path(f"{prefix}_grasps.txt").write_text(grasps)
    return prefix


@pytest.fixture
def jacquard_root(tmp_path: Path) -> Path:
    """Two good objects (three scenes, one with a NaN line) and three bad scenes: a
    malformed line, a depth image of the wrong size, a missing RGB image."""
    root = tmp_path / "jacquard"
    write_jacquard_scene(root / "objA", 0, "objA", "16.0;16.0;30.0;12.0;4.0\nnan;16;0;10;4\n10.5;12;-45;8;3\n")
    write_jacquard_scene(root / "objA", 1, "objA", "15;15;90;10;4\n")
    write_jacquard_scene(root / "objB", 0, "objB", "\n16;16;0;14;5\n")
    write_jacquard_scene(root / "objC", 0, "objC", "16;16;0;14;5\n16;16;zero;14;5\n")
    write_jacquard_scene(root / "objD", 0, "objD", "16;16;0;14;5\n", depth_side=SIDE + 2)
    write_jacquard_scene(root / "objE", 0, "objE", "16;16;0;14;5\n", skip=("rgb",))
    return root


@pytest.fixture
def cornell_root(tmp_path: Path) -> Path:
    """pcd0100: two positive rectangles and one NaN rectangle, one negative; pcd0101: a
    malformed line; pcd0102: an image of the wrong size; pcd0103: a second image of the
    object of pcd0100 (per the object map)."""
    root = tmp_path / "cornell" / "01"
    root.mkdir(parents=True)
    good = "10 10\n20 10\n20 14\n10 14\n5 5\n5 15\n1 15\n1 5\nNaN NaN\n3 3\n4 4\n5 5\n"
    for n, pos in ((100, good), (101, "10 10\n20 10\nten 14\n10 14\n"), (102, good), (103, good)):
        _rgb(root / f"pcd0{n}r.png", 40 if n != 102 else 41, 30)
        (root / f"pcd0{n}cpos.txt").write_text(pos)
        (root / f"pcd0{n}cneg.txt").write_text("0 0\n2 0\n2 1\n0 1\n")
    (root.parent / "z.txt").write_text("100 7 mug\n101 8 pen\n102 9 cup\n103 7 mug\n")
    return root.parent
