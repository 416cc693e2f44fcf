import numpy as np

from simgrasp.data.synthetic import draw_sample
from simgrasp.geometry import GraspRect
from simgrasp.geometry.affine import invert_affine, resize_affine, transform_grasps
from simgrasp.model.augment import AugmentConfig, augment, random_affine, rescale


def _on(mask: np.ndarray, p: np.ndarray) -> bool:
    c, r = int(round(p[0])), int(round(p[1]))
    return 0 <= r < mask.shape[0] and 0 <= c < mask.shape[1] and bool(mask[r, c])


def test_augmented_grasps_cover_the_same_object_pixels():
    checked = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        img, grasps, mask, shape = draw_sample(160, rng, ("rectangle", "ellipse", "ring")[seed % 3])
        out, g, m = augment(img, grasps, 96, rng, AugmentConfig(max_shift_frac=0.05), mask=mask)
        assert out.shape == (96, 96, 3) and out.dtype == np.uint8 and m.shape == (96, 96)
        for row in g:
            r = GraspRect.from_array(row)
            assert _on(m, np.array([r.x, r.y])), f"seed {seed} ({shape}): centre left the object"
            ends = r.jaw_endpoints()
            # The jaws stay off the object, on both sides of it.
            assert not _on(m, ends[0]) and not _on(m, ends[1])
            checked += 1
        # The object's colour moved with the mask.
        colour = img[mask].mean(0)
        np.testing.assert_allclose(out[m].mean(0), colour, atol=12)
    assert checked > 30


def test_transform_preserves_jaw_endpoints_and_sizes():
    _, grasps, _, _ = draw_sample(128, np.random.default_rng(0), "rectangle")
    m = random_affine((128, 128), 64, np.random.default_rng(5), AugmentConfig())
    mapped = transform_grasps(grasps, m)
    for src, dst in zip(grasps, mapped):
        ends = GraspRect.from_array(src).jaw_endpoints() @ m[:, :2].T + m[:, 2]
        got = GraspRect.from_array(dst).jaw_endpoints()
        # The same two jaw points, in either order (a grasp is symmetric).
        same = np.allclose(ends, got, atol=1e-3) or np.allclose(ends, got[::-1], atol=1e-3)
        assert same
        np.testing.assert_allclose(dst[3:] / src[3:], 0.5, rtol=1e-5)


def test_rescale_is_invertible_and_letterboxes():
    img = np.zeros((100, 200, 3), np.uint8)
    grasps = np.array([[150.0, 40.0, 30.0, 20.0, 8.0]], np.float32)
    out, g, _ = rescale(img, grasps, 50)
    assert out.shape == (50, 50, 3)
    np.testing.assert_allclose(g[0, 3:], [5.0, 2.0], rtol=1e-5)
    back = transform_grasps(g, invert_affine(resize_affine((100, 200), 50)))
    np.testing.assert_allclose(back, grasps, atol=1e-3)
