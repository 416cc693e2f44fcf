import numpy as np
import pytest

from simgrasp.data.sample import GraspDataset
from simgrasp.data.synthetic import SHAPES, SyntheticGraspDataset, draw_sample


def _on_mask(mask: np.ndarray, x: float, y: float) -> bool:
    h, w = mask.shape
    c, r = int(round(x)), int(round(y))
    return 0 <= c < w and 0 <= r < h and bool(mask[r, c])


def test_is_a_grasp_dataset_and_deterministic():
    a, b = SyntheticGraspDataset(8, 96, seed=3), SyntheticGraspDataset(8, 96, seed=3)
    assert isinstance(a, GraspDataset)
    assert len(a) == 8 and a.object_ids() == [f"synthetic-{i}" for i in range(8)]
    for i in range(8):
        sa, sb = a[i], b[i]
        np.testing.assert_array_equal(sa.rgb, sb.rgb)
        np.testing.assert_array_equal(sa.grasps, sb.grasps)
    assert not np.array_equal(a[0].rgb, SyntheticGraspDataset(8, 96, seed=4)[0].rgb)


@pytest.mark.parametrize("shape", SHAPES)
def test_grasps_straddle_the_object(shape):
    for seed in range(5):
        img, grasps, mask, _ = draw_sample(128, np.random.default_rng(seed), shape)
        assert img.dtype == np.uint8 and img.shape == (128, 128, 3)
        assert len(grasps) >= 3 and np.all(grasps[:, 2] >= -90) and np.all(grasps[:, 2] < 90)
        for x, y, t, w, h in grasps:
            assert _on_mask(mask, x, y), f"{shape}: centre off the object"
            d = 0.5 * w * np.array([np.cos(np.deg2rad(t)), np.sin(np.deg2rad(t))])
            assert not _on_mask(mask, x - d[0], y - d[1]) and not _on_mask(mask, x + d[0], y + d[1]), (
                f"{shape}: a jaw lands on the object"
            )


def test_out_of_range_index():
    with pytest.raises(IndexError):
        SyntheticGraspDataset(4)[4]
