from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simgrasp.data.io import DatasetFormatError
from simgrasp.data.jacquard import JacquardDataset, format_grasp_lines, parse_grasp_lines
from simgrasp.data.sample import GraspDataset
from simgrasp.data.tried import HEADER
from simgrasp.geometry import GraspRect


def test_reads_good_scenes_and_reports_dropped_ones(jacquard_root: Path) -> None:
    ds = JacquardDataset(jacquard_root)
    assert isinstance(ds, GraspDataset)
    assert ds.scene_ids() == ["0_objA", "1_objA", "0_objB"]
    assert ds.object_ids() == ["objA", "objA", "objB"]
    assert ds.skipped_lines == 1
    reasons = {Path(d.path).name: d.reason for d in ds.dropped}
    assert set(reasons) == {"0_objC", "0_objD", "0_objE"}
    assert "0_objC_grasps.txt:2" in reasons["0_objC"] and "zero" in reasons["0_objC"]
    assert "0_objD_perfect_depth.tiff" in reasons["0_objD"] and "34x34" in reasons["0_objD"]
    assert "0_objE_RGB.png" in reasons["0_objE"] and "not found" in reasons["0_objE"]


def test_sample_content(jacquard_root: Path) -> None:
    s = JacquardDataset(jacquard_root)[0]
    assert s.rgb.shape == (32, 32, 3) and s.rgb.dtype == np.uint8
    assert s.depth is not None and s.depth.dtype == np.float32 and np.allclose(s.depth, 0.7)
    assert s.mask is not None and s.mask.dtype == bool and s.mask.sum() == 16 * 16
    np.testing.assert_allclose(s.grasps, [[16, 16, 30, 12, 4], [10.5, 12, -45, 8, 3]])
    assert s.meta["skipped_nan_lines"] == 1


def test_depth_choice_and_declared_size(jacquard_root: Path) -> None:
    assert JacquardDataset(jacquard_root, depth=None)[0].depth is None
    assert JacquardDataset(jacquard_root, depth="stereo")[0].depth is not None
    ds = JacquardDataset(jacquard_root, image_size=1024)
    assert len(ds) == 0 and any("expected 1024x1024" in d.reason for d in ds.dropped)
    with pytest.raises(ValueError, match="depth must be"):
        JacquardDataset(jacquard_root, depth="fake")  # type: ignore[arg-type]


def test_strict_raises_naming_the_file(jacquard_root: Path) -> None:
    with pytest.raises(DatasetFormatError, match="0_objC_grasps.txt:2"):
        JacquardDataset(jacquard_root, strict=True)


def test_grasp_lines_round_trip() -> None:
    g = np.array([[1.25, 2.5, -30.0, 10.0, 4.0], [100.0, 50.0, 89.5, 20.0, 8.0]], np.float32)
    back, skipped = parse_grasp_lines(format_grasp_lines(g), "mem")
    np.testing.assert_allclose(back, g, atol=0.005)
    assert skipped == 0
    for bad in ("1;2;3;4", "1;2;3;4;0", "1;2;3;inf;4"):
        with pytest.raises(DatasetFormatError, match="mem:1"):
            parse_grasp_lines(bad, "mem")


def test_theta_is_clockwise_as_displayed() -> None:
    """A Jacquard row with theta = +45 opens along (1, 1) in pixel (x, y) with y down:
    across a bar drawn from bottom-left to top-right as displayed."""
    n = 64
    yy, xx = np.mgrid[0:n, 0:n]
    bar = np.abs((xx - 32) + (yy - 32)) < 6  # the anti-diagonal, bottom-left to top-right on screen
    rows, _ = parse_grasp_lines("32;32;45;30;6\n", "mem")
    (x0, y0), (x1, y1) = GraspRect.from_array(rows[0]).jaw_endpoints()
    assert bar[32, 32] and not bar[round(y0), round(x0)] and not bar[round(y1), round(x1)]
    assert x1 > x0 and y1 > y0  # the opening runs right and down the screen
    # the negated angle (ggcnn's internal counter-clockwise angle) would lie along the bar
    (a0, b0), _ = GraspRect(32, 32, -45, 30, 6).jaw_endpoints()
    assert bar[round(b0), round(a0)]


def test_tested_grasps_come_from_the_candidates_sidecar(jacquard_root: Path) -> None:
    (jacquard_root / "objA" / "0_objA_candidates.txt").write_text(
        HEADER + "16;16;30;12;4;1;success;antipodal\n8;16;-60;6;4;0;approach_collision;jitter\n"
        "20;20;0;30;4;-1;sim_error;random\n"
    )
    ds = JacquardDataset(jacquard_root)
    assert len(ds) == 3
    s = ds[0]
    # Stored angles are read as written, like the grasps file's; the simulation fault is no label.
    np.testing.assert_allclose(s.tested, [[16, 16, 30, 12, 4], [8, 16, -60, 6, 4]])
    assert s.tested.dtype == np.float32 and s.tested_success.tolist() == [True, False]
    tried = ds.tried(0)
    assert tried is not None and tried.reasons == ("success", "approach_collision", "sim_error")
    assert tried.sources == ("antipodal", "jitter", "random") and tried.success.tolist() == [1, 0, -1]
    assert ds.tried(1) is None and ds[1].tested.shape == (0, 5) and ds[1].tested_success.shape == (0,)


def test_a_malformed_sidecar_drops_its_scene_naming_the_line(jacquard_root: Path) -> None:
    (jacquard_root / "objB" / "0_objB_candidates.txt").write_text(HEADER + "16;16;0;14;5;1;success;antipodal\n1;2;3\n")
    ds = JacquardDataset(jacquard_root)
    assert ds.scene_ids() == ["0_objA", "1_objA"]
    reasons = {Path(d.path).name: d.reason for d in ds.dropped}
    assert "0_objB_candidates.txt:3" in reasons["0_objB"] and "8 ';'-separated fields" in reasons["0_objB"]
    with pytest.raises(DatasetFormatError, match="0_objB_candidates.txt:3"):
        JacquardDataset(jacquard_root, strict=True)


def test_dropped_scenes_say_what_kind_of_problem_they_have(jacquard_root: Path) -> None:
    kinds = {Path(d.path).name: d.kind for d in JacquardDataset(jacquard_root).dropped}
    assert kinds == {"0_objC": "grasp line", "0_objD": "format", "0_objE": "missing file"}
    (jacquard_root / "objB" / "0_objB_grasps.txt").write_text("16;16;0;14\n")  # four fields, not five
    dropped = {Path(d.path).name: d for d in JacquardDataset(jacquard_root).dropped}
    assert dropped["0_objB"].kind == "grasp line" and "expected 5" in dropped["0_objB"].reason


def test_decode_drops_a_truncated_image_the_header_check_keeps(jacquard_root: Path) -> None:
    rgb = jacquard_root / "objA" / "1_objA_RGB.png"
    rgb.write_bytes(rgb.read_bytes()[:60])
    depth = jacquard_root / "objB" / "0_objB_perfect_depth.tiff"
    depth.write_bytes(depth.read_bytes()[: depth.stat().st_size // 2])
    assert JacquardDataset(jacquard_root).scene_ids() == ["0_objA", "1_objA", "0_objB"]
    ds = JacquardDataset(jacquard_root, decode=True)
    assert ds.scene_ids() == ["0_objA"]
    bad = {Path(d.path).name: d for d in ds.dropped if d.kind == "image"}
    assert set(bad) == {"1_objA", "0_objB"} and "1_objA_RGB.png: not a readable image" in bad["1_objA"].reason
    assert "0_objB_perfect_depth.tiff" in bad["0_objB"].reason
    assert JacquardDataset(jacquard_root, depth="stereo", decode=True).scene_ids() == ["0_objA", "0_objB"]
