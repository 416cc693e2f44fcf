"""The grasp-map networks' input: depth centred and clipped, colour centred, depth first."""

import numpy as np

from simgrasp.geometry.affine import resize_affine
from simgrasp.model.maps.inputs import fill_invalid_depth, network_view


def test_depth_is_centred_clipped_and_holes_take_the_table_depth():
    depth = np.full((40, 40), 0.7, np.float32)
    depth[10:20, 10:20] = 0.65
    depth[0, 0], depth[0, 1] = np.nan, 0.0
    filled = fill_invalid_depth(depth)
    assert filled[0, 0] == filled[0, 1] == np.float32(0.7)
    view = network_view(None, depth, resize_affine((40, 40), 40), 40, "depth")
    assert view.shape == (40, 40, 1) and abs(view.mean()) < 1e-6
    assert view[15, 15, 0] < 0 < view[30, 30, 0]  # nearer than the mean is negative
    far = network_view(None, np.where(depth == 0.65, 5.0, depth), resize_affine((40, 40), 40), 40, "depth")
    assert far.max() == 1.0  # clipped to [-1, 1]


def test_rgbd_puts_depth_first_and_centres_the_colour():
    rgb = np.zeros((30, 60, 3), np.uint8)
    rgb[:, :30] = 255
    view = network_view(rgb, np.full((30, 60), 0.5), resize_affine((30, 60), 32), 32, "rgbd")
    assert view.shape == (32, 32, 4) and view.dtype == np.float32
    assert np.allclose(view[..., 0], 0.0)  # a flat depth
    assert abs(view[..., 1:].mean()) < 1e-6 and view[16, 5, 1] > 0 > view[16, 28, 1]
