"""The shared readers of simgrasp.data.io: the cheap whole-file image check and the error kinds."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simgrasp.data.io import DatasetFormatError, check_image, image_size, read_rgb


def _cut(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _png(path: Path, side: int = 48) -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (side, side, 3), dtype=np.uint8)).save(path)
    return path


def test_check_image_finds_the_truncated_files_a_header_read_lets_through(tmp_path: Path) -> None:
    png, tiff = _png(tmp_path / "a.png"), tmp_path / "d.tiff"
    Image.fromarray(np.full((48, 48), 0.7, np.float32), "F").save(tiff)
    assert check_image(png) == (48, 48) and check_image(tiff) == (48, 48)
    for path in (_cut(png), _cut(tiff)):
        assert image_size(path) == (48, 48)  # the header alone looks fine
        with pytest.raises(DatasetFormatError, match=f"{path.name}: not a readable image") as e:
            check_image(path)
        assert e.value.kind == "image"
    (tmp_path / "t.png").write_text("not an image")
    with pytest.raises(DatasetFormatError, match="t.png: not a readable image"):
        check_image(tmp_path / "t.png")
    with pytest.raises(DatasetFormatError, match="file not found") as e:
        check_image(tmp_path / "none.png")
    assert e.value.kind == "missing file"


def test_a_flipped_byte_in_a_png_is_found_without_decoding_it(tmp_path: Path) -> None:
    png = _png(tmp_path / "a.png")
    data = bytearray(png.read_bytes())
    data[len(data) // 2] ^= 0xFF
    png.write_bytes(bytes(data))
    with pytest.raises(DatasetFormatError, match="not a readable image"):
        check_image(png)


def test_errors_keep_their_kind_across_processes_and_refuse_unknown_kinds(tmp_path: Path) -> None:
    with pytest.raises(DatasetFormatError) as e:
        read_rgb(_cut(_png(tmp_path / "a.png")))
    again = pickle.loads(pickle.dumps(e.value))
    assert (str(again), again.kind) == (str(e.value), "image")
    with pytest.raises(ValueError, match="kind must be one of"):
        DatasetFormatError("x", kind="bad")
