"""Image and text reading shared by the dataset readers, with errors that name the file.

Images: RGB PNG as uint8 (H, W, 3); depth TIFF as float32 (H, W) metres; mask PNG as bool
(H, W), any non-zero pixel is object. Writers are atomic (temp name, then rename) so an
interrupted writer never leaves a half-written file under its final name.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image


class DatasetFormatError(ValueError):
    """A dataset file is missing, unreadable or malformed. The message names the file
    (and the line, for text files)."""


def rect_values(parts: list[str], path: Path | str, lineno: int, line: str) -> list[float] | None:
    """The five numbers ``x;y;theta;w;h`` of one grasp line (split at ``;``), or None when one
    is NaN; anything else that is not five finite numbers with ``w > 0`` and ``h > 0`` raises
    :class:`DatasetFormatError` naming file and line."""
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 5:
        raise DatasetFormatError(f"{path}:{lineno}: expected 5 ';'-separated numbers x;y;theta;w;h, got {line!r}")
    if any(math.isnan(v) for v in values):
        return None
    if any(math.isinf(v) for v in values) or values[3] <= 0 or values[4] <= 0:
        raise DatasetFormatError(f"{path}:{lineno}: expected finite values with w > 0 and h > 0, got {line!r}")
    return values


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image in pixels, reading only its header."""
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable image ({e})") from None


def read_rgb(path: Path) -> np.ndarray:
    """An RGB image as uint8 (H, W, 3); grey or RGBA images are converted."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable image ({e})") from None


def read_depth(path: Path) -> np.ndarray:
    """A single-channel depth TIFF as float32 (H, W), in the file's units (metres for
    Jacquard and for the generator's output)."""
    try:
        with Image.open(path) as im:
            a = np.asarray(im, dtype=np.float32).copy()
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable depth image ({e})") from None
    if a.ndim != 2:
        raise DatasetFormatError(f"{path}: expected a single-channel depth image, got shape {a.shape}")
    return a


def read_mask(path: Path) -> np.ndarray:
    """A mask PNG as bool (H, W): True where any channel is non-zero."""
    try:
        with Image.open(path) as im:
            a = np.asarray(im)
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: file not found") from None
    except OSError as e:
        raise DatasetFormatError(f"{path}: not a readable mask ({e})") from None
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
        raise DatasetFormatError(f"{path}: file not found") from None


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    _atomic_save(path, lambda p: Path(p).write_text(text))
