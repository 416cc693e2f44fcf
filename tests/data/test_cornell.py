from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simgrasp.data.cornell import CornellDataset, corners_to_grasp, parse_rectangles
from simgrasp.data.io import DatasetFormatError
from simgrasp.data.sample import GraspDataset
from simgrasp.geometry import GraspRect, rect_iou


def test_reads_rectangles_skips_nan_and_drops_bad_files(cornell_root: Path) -> None:
    ds = CornellDataset(cornell_root, object_map=cornell_root / "z.txt", image_size=(40, 30))
    assert isinstance(ds, GraspDataset)
    assert len(ds) == 2 and ds.object_ids() == ["7", "7"]
    assert ds.skipped_rects == 2  # one NaN rectangle in each kept image
    reasons = {Path(d.path).name: d.reason for d in ds.dropped}
    assert "pcd0101cpos.txt:3" in reasons["pcd0101r.png"] and "ten" in reasons["pcd0101r.png"]
    assert "41x30" in reasons["pcd0102r.png"]
    s = ds[0]
    assert s.scene_id == "pcd0100" and s.rgb.shape == (30, 40, 3) and s.depth is None
    # first edge (points 1 -> 2) is the opening: along +x, 10 px; then along +y (folded to -90)
    np.testing.assert_allclose(s.grasps, [[15, 12, 0, 10, 4], [3, 10, -90, 10, 4]], atol=1e-5)
    assert s.meta["negative_grasps"].shape == (1, 5) and s.meta["skipped_nan_rects"] == 1


def test_without_object_map_each_image_is_an_object(cornell_root: Path) -> None:
    ds = CornellDataset(cornell_root, image_size=None)
    assert ds.object_ids() == ["pcd0100", "pcd0102", "pcd0103"]


def test_first_edge_jaw_swaps_the_sides() -> None:
    quad = np.array([[10, 10], [20, 10], [20, 14], [10, 14]], float)
    np.testing.assert_allclose(corners_to_grasp(quad, "jaw"), [15, 12, -90, 4, 10])


@pytest.mark.parametrize("theta", [-80.0, -30.0, 0.0, 25.0, 60.0])
def test_corners_round_trip_with_grasp_rect(theta: float) -> None:
    g = GraspRect(50, 40, theta, 30, 12)
    back = GraspRect.from_array(corners_to_grasp(g.corners()))
    assert rect_iou(back, g) > 0.999
    assert back.w == pytest.approx(30) and back.h == pytest.approx(12)


def test_malformed_counts_name_the_file() -> None:
    with pytest.raises(DatasetFormatError, match="four lines per rectangle"):
        parse_rectangles("1 1\n2 2\n3 3\n", "f.txt")
    with pytest.raises(DatasetFormatError, match="f.txt:2"):
        parse_rectangles("1 1\n2 2 2\n3 3\n4 4\n", "f.txt")
    with pytest.raises(FileNotFoundError):
        CornellDataset("/nonexistent/cornell")
