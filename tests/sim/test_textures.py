"""Procedural textures: pure functions of their spec, written once as PNG files."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simgrasp.sim.textures import PATTERNS, TextureSpec, load_texture, texture_image, write_texture
from simgrasp.sim.world import World

RED, BLUE = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)


@pytest.mark.parametrize("kind", PATTERNS.names())
def test_every_kind_blends_its_two_colours(kind):
    img = texture_image(TextureSpec(kind, 7, RED, BLUE, 64))
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert np.all(img[..., 1] == 0)  # only blends of red and blue
    red_share = (img[..., 0] > 127).mean()
    assert 0.05 < red_share < 0.95  # both colours show: a pattern, not a flat fill


@pytest.mark.parametrize("kind", PATTERNS.names())
def test_same_spec_same_image_other_seed_other_image(kind):
    a = texture_image(TextureSpec(kind, 1, RED, BLUE, 48))
    np.testing.assert_array_equal(a, texture_image(TextureSpec(kind, 1, RED, BLUE, 48)))
    assert not np.array_equal(a, texture_image(TextureSpec(kind, 2, RED, BLUE, 48)))


def test_png_reads_back_and_a_loaded_texture_leaves_no_file(tmp_path):
    spec = TextureSpec("wood", 3, (0.6, 0.4, 0.2), (0.3, 0.2, 0.1), 32)
    path = write_texture(spec, tmp_path / "t.png")
    np.testing.assert_array_equal(cv2.imread(str(path))[..., ::-1], texture_image(spec))
    assert TextureSpec.from_dict(spec.to_dict()) == spec
    world = World()
    try:
        assert load_texture(world.client, spec, str(tmp_path)) >= 0
        assert list((tmp_path / "textures").iterdir()) == []
    finally:
        world.close()


def test_bad_specs_are_named():
    with pytest.raises(KeyError, match="unknown texture kind 'marble'; known: checker, noise, stripes, wood"):
        texture_image(TextureSpec("marble", 0, RED, BLUE, 16))
    with pytest.raises(ValueError, match="at least 2 px, got 1"):
        texture_image(TextureSpec("checker", 0, RED, BLUE, 1))
