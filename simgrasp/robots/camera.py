"""Frame sources for the real cell: a live OpenCV camera, or a folder of images to replay.

Every source returns RGB ``uint8`` (H, W, 3) frames (OpenCV's BGR is converted here, once).
``open_camera(source)`` picks the source from the string a config holds: a folder path
replays its images in name order, digits open that device index, ``snapshot:URL`` fetches
one still image per frame over HTTP (a network camera's snapshot URL, or the twin's),
anything else is a stream URL or video file for OpenCV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class FrameSource(Protocol):
    """Anything that gives RGB frames."""

    def read(self) -> np.ndarray:
        """The next frame, RGB uint8 (H, W, 3)."""
        ...

    def close(self) -> None: ...


def _cv2() -> Any:
    import cv2  # imported here: replaying arrays or dry runs need no OpenCV

    return cv2


def _check_rgb(frame: np.ndarray, where: str) -> np.ndarray:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"{where}: expected an RGB uint8 (H, W, 3) frame, got {frame.dtype} {frame.shape}")
    return frame


def read_image(path: str | Path) -> np.ndarray:
    """One image file as RGB uint8 (H, W, 3); grey images come back with 3 channels."""
    bgr = _cv2().imread(str(path), 1)  # 1 = IMREAD_COLOR
    if bgr is None:
        raise ValueError(f"cannot read image {path}")
    return _check_rgb(np.ascontiguousarray(bgr[:, :, ::-1]), str(path))


class OpenCVCamera:
    """A live camera: ``source`` is a device index or a stream URL. ``width``/``height``
    are requested from the driver when given; ``warmup_frames`` are read and dropped
    after opening so that auto exposure has settled."""

    def __init__(self, source: int | str, width: int | None = None, height: int | None = None, warmup_frames: int = 5) -> None:
        cv2 = _cv2()
        self.source = source
        self._cap = cv2.VideoCapture(source)
        if not self._cap.isOpened():
            raise RuntimeError(f"cannot open camera {source!r} (expected a device index or a stream URL)")
        if width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        for _ in range(max(0, warmup_frames)):
            self._cap.read()

    def read(self) -> np.ndarray:
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            raise RuntimeError(f"camera {self.source!r} returned no frame")
        return _check_rgb(np.ascontiguousarray(bgr[:, :, ::-1]), f"camera {self.source!r}")

    def close(self) -> None:
        self._cap.release()


class FolderCamera:
    """Replays the images of a folder in name order; ``loop`` starts again at the end."""

    def __init__(self, folder: str | Path, loop: bool = True) -> None:
        self.folder = Path(folder)
        self.paths = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.paths:
            raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {self.folder}")
        self.loop = loop
        self._i = 0

    def read(self) -> np.ndarray:
        if self._i >= len(self.paths):
            if not self.loop:
                raise StopIteration(f"replayed all {len(self.paths)} images of {self.folder}")
            self._i = 0
        self._i += 1
        return read_image(self.paths[self._i - 1])

    def close(self) -> None:
        pass


class ArrayCamera:
    """Frames held in memory, cycled: for tests and dry runs without a camera."""

    def __init__(self, frames: Sequence[np.ndarray]) -> None:
        if not frames:
            raise ValueError("ArrayCamera needs at least one frame")
        self.frames = [_check_rgb(np.asarray(f), "ArrayCamera") for f in frames]
        self._i = 0

    def read(self) -> np.ndarray:
        frame = self.frames[self._i % len(self.frames)]
        self._i += 1
        return frame.copy()

    def close(self) -> None:
        pass


class SnapshotCamera:
    """Fetches one still image (PNG or JPEG) from ``url`` per frame: always the newest
    frame, never a buffered one, as a stream can give."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url, self.timeout_s = url, timeout_s

    def read(self) -> np.ndarray:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as r:
                data = np.frombuffer(r.read(), np.uint8)
        except OSError as e:
            raise RuntimeError(f"no frame from the snapshot camera at {self.url}: {e}") from None
        bgr = _cv2().imdecode(data, 1)  # 1 = IMREAD_COLOR
        if bgr is None:
            raise RuntimeError(f"the snapshot camera at {self.url} sent something that is not an image")
        return _check_rgb(np.ascontiguousarray(bgr[:, :, ::-1]), self.url)

    def close(self) -> None:
        pass


SNAPSHOT_PREFIX = "snapshot:"


def open_camera(source: str, width: int | None = None, height: int | None = None, warmup_frames: int = 5) -> FrameSource:
    """A frame source from a config string: folder -> replay, digits -> device, else URL."""
    if not source:
        raise ValueError("camera.source is empty: expected a device index, a stream URL or a folder of images")
    if source.startswith(SNAPSHOT_PREFIX):
        return SnapshotCamera(source[len(SNAPSHOT_PREFIX) :])
    if Path(source).is_dir():
        return FolderCamera(source)
    if source.isdigit():
        return OpenCVCamera(int(source), width, height, warmup_frames)
    return OpenCVCamera(source, width, height, warmup_frames)
