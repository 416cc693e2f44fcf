"""Image and text reading shared by the dataset readers, with errors that name the file.

Images: RGB PNG as uint8 (H, W, 3); depth TIFF as float32 (H, W) metres; mask PNG as bool
(H, W), any non-zero pixel is object. Writers are atomic (temp name, then rename) so an
interrupted writer never leaves a half-written file under its final name.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

# What can be wrong with a scene, each kind with the words a report uses for it.
PROBLEM_KINDS: dict[str, str] = {
    "image": "an unreadable image",
    "grasp line": "a malformed grasp line",
    "missing file": "a missing file",
    "format": "another format problem",
}


class DatasetFormatError(ValueError):
    """A dataset file is missing, unreadable or malformed. The message names the file
    (and the line, for text files); ``kind`` is a key of :data:`PROBLEM_KINDS`."""

    def __init__(self, message: str, kind: str = "format") -> None:
        if kind not in PROBLEM_KINDS:
            raise ValueError(f"kind must be one of {sorted(PROBLEM_KINDS)}, got {kind!r}")
        super().__init__(message)
        self.kind = kind

    def __reduce__(self):  # keep the kind across processes (loader workers, executors)
        return type(self), (str(self), self.kind)


class Dropped(NamedTuple):
    """A scene a reader left out: its path, why (the error's message) and the kind of problem."""

    path: str
    reason: str
    kind: str

    @classmethod
    def of(cls, path: str | Path, error: DatasetFormatError) -> "Dropped":
        return cls(str(path), str(error), error.kind)


def rect_values(parts: list[str], path: Path | str, lineno: int, line: str) -> list[float] | None:
    """The five numbers ``x;y;theta;w;h`` of one grasp line (split at ``;``), or None when one
    is NaN; anything else that is not five finite numbers with ``w > 0`` and ``h > 0`` raises
    :class:`DatasetFormatError` naming file and line."""
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 5:
        raise DatasetFormatError(
            f"{path}:{lineno}: expected 5 ';'-separated numbers x;y;theta;w;h, got {line!r}", kind="grasp line"
        )
    if any(math.isnan(v) for v in values):
        return None
    if any(math.isinf(v) for v in values) or values[3] <= 0 or values[4] <= 0:
        raise DatasetFormatError(
            f"{path}:{lineno}: expected finite values with w > 0 and h > 0, got {line!r}", kind="grasp line"
        )
    return values


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image in pixels, reading only its header."""
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found", "missing file") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable image ({e})", "image") from None


def check_image(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image whose data is whole, cheaply: a PNG's chunks are all
    read and their checksums checked (PIL's ``verify``, about a tenth of a decode: a
    truncated or corrupted file fails); other formats (the TIFF depth images) are decoded.
    Any failure is a :class:`DatasetFormatError` of kind ``"image"`` naming the file."""
    try:
        with Image.open(path) as im:
            size, fmt = im.size, im.format
            im.verify()
        if fmt != "PNG":  # verify reads no pixel data of TIFF and most other formats
            with Image.open(path) as im:
                im.load()
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found", "missing file") from None
    except Exception as e:  # PIL raises OSError, SyntaxError, struct.error, ... for damaged files
        raise DatasetFormatError(f"{path}: not a readable image ({e})", "image") from None
    return size


def read_rgb(path: Path) -> np.ndarray:
    """An RGB image as uint8 (H, W, 3); grey or RGBA images are converted."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found", "missing file") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable image ({e})", "image") from None


def read_depth(path: Path) -> np.ndarray:
    """A single-channel depth TIFF as float32 (H, W), in the file's units (metres for
    Jacquard and for the generator's output)."""
    try:
        with Image.open(path) as im:
            a = np.asarray(im, dtype=np.float32).copy()
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found", "missing file") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable depth image ({e})", "image") from None
    if a.ndim != 2:
        raise DatasetFormatError(f"{path}: expected a single-channel depth image, got shape {a.shape}")
    return a


def read_mask(path: Path) -> np.ndarray:
    """A mask PNG as bool (H, W): True where any channel is non-zero."""
    try:
        with Image.open(path) as im:
            a = np.asarray(im)
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found", "missing file") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable mask ({e})", "image") from None
    return a.any(axis=2) if a.ndim == 3 else a > 0


def _atomic_save(path: Path, save) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    save(tmp)
    os.replace(tmp, path)


def write_rgb(path: Path, rgb: np.ndarray) -> None:
    """Write uint8 (H, W, 3) as PNG."""
    _atomic_save(path, lambda p: Image.fromarray(np.asarray(rgb, np.uint8), "RGB").save(p, format="PNG"))


def write_depth(path: Path, depth: np.ndarray) -> None:
    """Write float32 (H, W) as a single-channel float TIFF (PIL mode ``F``)."""
    _atomic_save(path, lambda p: Image.fromarray(np.asarray(depth, np.float32), "F").save(p, format="TIFF"))


def write_mask(path: Path, mask: np.ndarray) -> None:
    """Write a bool (H, W) mask as an 8-bit PNG of 0 and 255 (Jacquard's masks)."""
    a = np.where(np.asarray(mask, bool), 255, 0).astype(np.uint8)
    _atomic_save(path, lambda p: Image.fromarray(a, "L").save(p, format="PNG"))


def read_text(path: Path) -> str:
    """A text file's content; a missing file is a :class:`DatasetFormatError`."""
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found", "missing file") from None


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    _atomic_save(path, lambda p: Path(p).write_text(text))
