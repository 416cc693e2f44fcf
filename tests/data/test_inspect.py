from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simgrasp.data.formats import detect_format
from simgrasp.data.inspect import dataset_stats
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.dataset import main
from simgrasp.viz import draw_grasps


def test_stats(jacquard_root: Path) -> None:
    st = dataset_stats(JacquardDataset(jacquard_root))
    assert (st["scenes"], st["objects"], st["grasps"], st["dropped"]) == (3, 2, 4, 3)
    assert st["mean_box_w_px"] == pytest.approx((12 + 8 + 10 + 14) / 4)
    assert st["mean_box_h_px"] == pytest.approx((4 + 3 + 4 + 5) / 4)


def test_inspect_cli_prints_stats_and_writes_montage(jacquard_root: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "m.png"
    assert main(["inspect", str(jacquard_root), "--montage", str(out)]) == 0
    text = capsys.readouterr().out
    assert "scenes: 3  objects: 2" in text and "11.0 x 4.0 px" in text
    m = np.asarray(Image.open(out))
    assert m.shape == (256, 3 * 256, 3) and (m != 90).any()  # grasps drawn over the flat grey


def test_detect_format(jacquard_root: Path, cornell_root: Path, tmp_path: Path) -> None:
    assert detect_format(jacquard_root) == "jacquard" and detect_format(cornell_root) == "cornell"
    with pytest.raises(ValueError, match="found none"):
        detect_format(tmp_path / "jacquard" / "objA" / "missing")


def test_draw_grasps_marks_jaws_and_keeps_input() -> None:
    img = np.zeros((40, 40, 3), np.uint8)
    out = draw_grasps(img, np.array([[20, 20, 0, 20, 10]]))
    assert img.max() == 0
    assert out[20, 10, 0] > out[20, 10, 2]  # the left jaw (x = 10) is red
    assert out[15, 20, 2] > out[15, 20, 0]  # the upper opening side (y = 15) is blue


def test_inspect_reports_tested_grasps(jacquard_root: Path, capsys) -> None:
    from simgrasp.data.tried import HEADER

    (jacquard_root / "objA" / "0_objA_candidates.txt").write_text(
        HEADER + "16;16;30;12;4;1;success;antipodal\n16;16;30;20;4;1;success;jitter\n"
        "8;16;-60;6;4;0;approach_collision;jitter\n"
    )
    (jacquard_root / "objB" / "0_objB_candidates.txt").write_text(
        HEADER + "16;16;0;14;5;1;success;antipodal\n2;2;0;30;5;0;missed;random\n2;3;0;31;5;-1;sim_error;random\n"
    )
    t = dataset_stats(JacquardDataset(jacquard_root))["tested"]
    assert (t["scenes"], t["tried"], t["per_scene_min"], t["per_scene_max"]) == (2, 6, 3, 3)
    assert (t["positives"], t["negatives"], t["not_labels"]) == (3, 2, 1) and t["success_rate"] == pytest.approx(0.6)
    assert t["by_reason"] == {"success": 3, "approach_collision": 1, "missed": 1, "sim_error": 1}
    assert t["by_source"]["jitter"] == {"tried": 2, "success_rate": 0.5}
    assert t["by_source"]["random"] == {"tried": 2, "success_rate": 0.0}  # the fault is no label
    assert t["opening_px_positives"]["mean"] == pytest.approx((12 + 20 + 14) / 3)
    assert t["opening_px_negatives"]["p50"] == pytest.approx(18.0)
    assert main(["inspect", str(jacquard_root), "--montage", str(jacquard_root / "m.png")]) == 0
    text = capsys.readouterr().out
    assert "tested grasps: 6 in 2 scenes" in text
    assert "positives 3, negatives 2, not labels 1; success rate 60.0 %" in text
    assert "by source: antipodal 2 (100.0 % success), jitter 2 (50.0 % success), random 2 (0.0 % success)" in text
    assert "opening px, negatives: mean 18.0, p10 8.4, p50 18.0, p90 27.6" in text


def test_stats_without_sidecars_have_no_tested_part(jacquard_root: Path) -> None:
    assert dataset_stats(JacquardDataset(jacquard_root))["tested"] is None
