from pathlib import Path

import numpy as np
import pytest

from simgrasp.data.cornell import CornellDataset
from simgrasp.data.formats import open_dataset
from simgrasp.data.jacquard import JacquardDataset


def test_synthetic_specs():
    a, b = open_dataset("synthetic:3"), open_dataset("synthetic:3:1")
    assert len(a) == 3 and a[0].rgb.shape == (320, 320, 3)
    assert not np.array_equal(a[0].rgb, b[0].rgb)  # another seed, other scenes
    for bad in ("synthetic:many", "synthetic:", "synthetic:3:1:2"):
        with pytest.raises(ValueError, match="synthetic:N or synthetic:N:SEED"):
            open_dataset(bad)


def test_folders_open_with_their_detected_or_named_format(jacquard_root: Path, cornell_root: Path, tmp_path: Path):
    assert isinstance(open_dataset(jacquard_root), JacquardDataset)
    assert isinstance(open_dataset(str(cornell_root)), CornellDataset)
    assert isinstance(open_dataset(cornell_root, "cornell"), CornellDataset)
    with pytest.raises(KeyError, match="unknown dataset format .coco.; known: cornell, jacquard"):
        open_dataset(jacquard_root, "coco")
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        open_dataset(tmp_path / "missing")


def test_comma_separated_specs_are_read_one_after_another(jacquard_root: Path, tmp_path: Path):
    a, b = open_dataset("synthetic:3"), open_dataset("synthetic:2:1")
    both = open_dataset("synthetic:3, synthetic:2:1")
    assert len(both) == 5
    np.testing.assert_array_equal(both[2].rgb, a[2].rgb)
    np.testing.assert_array_equal(both[3].rgb, b[0].rgb)
    np.testing.assert_array_equal(both[-1].rgb, b[1].rgb)
    assert both.object_ids() == a.object_ids() + b.object_ids()
    with pytest.raises(IndexError, match="index 5 out of range for a dataset of 5 samples"):
        both[5]
    mixed = open_dataset(f"{jacquard_root},synthetic:1")
    assert len(mixed) == len(open_dataset(jacquard_root)) + 1
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        open_dataset(f"synthetic:1,{tmp_path / 'missing'}")


def test_dropped_scenes_are_summed_up_one_line_per_kind(jacquard_root: Path, tmp_path: Path):
    from simgrasp.data.formats import dropped_summary
    from simgrasp.data.io import Dropped

    both = open_dataset(f"{jacquard_root},synthetic:1")
    assert [Path(d.path).name for d in both.dropped] == ["0_objC", "0_objD", "0_objE"]
    lines = dropped_summary(both.dropped)
    assert len(lines) == 3
    assert lines[0].startswith("1 scene with a malformed grasp line: ") and "0_objC_grasps.txt:2" in lines[0]
    assert lines[1].startswith("1 scene with a missing file: ") and "0_objE_RGB.png" in lines[1]
    assert lines[2].startswith("1 scene with another format problem: ") and "34x34" in lines[2]
    many = [Dropped(f"s{i}", f"s{i}_RGB.png: not a readable image", "image") for i in range(5)]
    (line,) = dropped_summary(many)
    assert line == "5 scenes with an unreadable image: s0_RGB.png: not a readable image; s1_RGB.png: not a readable image (and 3 more)"
    assert dropped_summary([]) == []
