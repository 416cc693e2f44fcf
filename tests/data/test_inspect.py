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
