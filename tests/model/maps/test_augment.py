"""The grasp-map augmentation: quarter turns and a zoom about the centre, one map for
the image and its grasps."""

import cv2
import numpy as np

from simgrasp.geometry.affine import transform_grasps
from simgrasp.model.maps.augment import MapAugmentConfig, random_view_affine


def test_views_turn_by_quarters_and_zoom_between_half_and_whole():
    scales, turns = [], set()
    for seed in range(40):
        m = random_view_affine((100, 100), 50, np.random.default_rng(seed), MapAugmentConfig())
        lin = m[:, :2] / np.sqrt(abs(np.linalg.det(m[:, :2])))
        turns.add(int(round(np.degrees(np.arctan2(lin[1, 0], lin[0, 0])))) % 360)
        scales.append(np.sqrt(abs(np.linalg.det(m[:, :2]))) / 0.5)  # 0.5: the letterbox alone
        centre = m @ np.array([49.5, 49.5, 1.0])
        assert np.allclose(centre, [24.5, 24.5])  # about the centre
    assert turns == {0, 90, 180, 270}
    assert 1.0 <= min(scales) and max(scales) <= 2.0 and max(scales) - min(scales) > 0.5
    still = random_view_affine((100, 100), 50, np.random.default_rng(0), MapAugmentConfig(rotate=False, zoom=(1.0, 1.0)))
    assert np.allclose(still, [[0.5, 0, -0.25], [0, 0.5, -0.25]])  # the letterbox alone


def test_the_image_and_its_grasps_move_together():
    img = np.zeros((80, 80), np.float32)
    img[20, 50] = 1.0
    for seed in range(6):
        m = random_view_affine((80, 80), 80, np.random.default_rng(seed), MapAugmentConfig(zoom=(0.6, 1.0)))
        warped = cv2.warpAffine(img, m, (80, 80), flags=cv2.INTER_LINEAR)
        row, col = np.unravel_index(np.argmax(warped), warped.shape)
        x, y = transform_grasps(np.array([[50.0, 20.0, 0.0, 10.0, 5.0]]), m)[0, :2]
        assert abs(x - col) <= 1 and abs(y - row) <= 1
