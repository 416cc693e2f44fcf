"""Frame sources for the real cell: a live OpenCV camera, or a folder of images to replay.

Every source returns RGB ``uint8`` (H, W, 3) frames (OpenCV's BGR is converted here, once).
``open_camera(source)`` picks the source from the string a config holds: a folder path
replays its images in name order, digits open that device index, ``snapshot:URL`` fetches
one still image per frame over HTTP (a network camera's snapshot URL, or the twin's),
anything else is a stream URL or video file for OpenCV.

Depth. A top-down RGB-D camera (RealSense- or Zivid-like) gives a depth image registered to
the colour one: same size, same pixels. It comes as a 16-bit PNG of counts (``unit_mm``
millimetres each, 1 by default; 0 where the sensor saw nothing) and is returned as float32
metres along the optical axis (0 for no depth). :func:`open_rgbd` pairs colour with depth:
a folder holds ``NAME.depth.png`` beside each ``NAME.png``, a snapshot camera's depth has a
URL of its own (``depth_source = "snapshot:URL"``). OpenCV's capture gives colour only: a
device or stream source gives depth only through a ``depth_source``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
DEPTH_SUFFIX = ".depth.png"  # NAME.depth.png: the depth frame of NAME.png (or .jpg...) in a folder


class FrameSource(Protocol):
    """Anything that gives RGB frames."""

    def read(self) -> np.ndarray:
        """The next frame, RGB uint8 (H, W, 3)."""
        ...

    def close(self) -> None: ...


class RGBDSource(Protocol):
    """A frame source that also gives the depth image registered to each colour frame (a
    source that can be opened either way says which with ``has_depth``)."""

    def read(self) -> np.ndarray: ...

    def read_rgbd(self) -> tuple[np.ndarray, np.ndarray]:
        """The next colour frame, RGB uint8 (H, W, 3), and its depth, float32 (H, W) metres
        along the optical axis (0: no depth at that pixel)."""
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


def depth_from_counts(counts: np.ndarray, unit_mm: float = 1.0, where: str = "depth image") -> np.ndarray:
    """A 16-bit depth image (counts of ``unit_mm`` millimetres, 0 = none) as float32 metres."""
    if counts.ndim != 2 or counts.dtype != np.uint16:
        raise ValueError(f"{where}: expected a 16-bit single-channel depth image, got {counts.dtype} {counts.shape}")
    return (counts.astype(np.float32) * np.float32(unit_mm / 1000.0)).astype(np.float32)


def depth_to_counts(depth_m: np.ndarray, unit_mm: float = 1.0) -> np.ndarray:
    """float32 metres as the uint16 counts of a depth PNG (``unit_mm`` each); no depth
    (0, negative, not finite) and anything beyond the 16-bit range become 0."""
    d = np.asarray(depth_m, dtype=np.float64)
    counts = np.rint(np.where(np.isfinite(d) & (d > 0), d, 0.0) * (1000.0 / unit_mm))
    return np.where(counts <= 65535, counts, 0).astype(np.uint16)


def decode_depth_png(data: bytes, unit_mm: float = 1.0, where: str = "depth image") -> np.ndarray:
    """The bytes of a 16-bit depth PNG as float32 metres."""
    counts = _cv2().imdecode(np.frombuffer(data, np.uint8), -1)  # -1 = IMREAD_UNCHANGED: keep 16 bits
    if counts is None:
        raise ValueError(f"{where}: not an image")
    return depth_from_counts(counts, unit_mm, where)


def read_depth_image(path: str | Path, unit_mm: float = 1.0) -> np.ndarray:
    """A 16-bit depth PNG file as float32 metres."""
    counts = _cv2().imread(str(path), -1)  # -1 = IMREAD_UNCHANGED
    if counts is None:
        raise ValueError(f"cannot read depth image {path}")
    return depth_from_counts(counts, unit_mm, str(path))


def _check_pair(rgb: np.ndarray, depth: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    if depth.shape != rgb.shape[:2]:
        raise ValueError(f"{where}: the depth frame is {depth.shape[1]}x{depth.shape[0]}, the colour frame "
                         f"{rgb.shape[1]}x{rgb.shape[0]}: expected a depth image registered to the colour one")
    return rgb, depth


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


def depth_path(path: Path) -> Path:
    """``NAME.depth.png`` beside the colour frame ``NAME.png`` (or ``.jpg``...)."""
    return path.with_name(path.stem + DEPTH_SUFFIX)


class FolderCamera:
    """Replays the images of a folder in name order; ``loop`` starts again at the end.
    ``depth_unit_mm``: each frame ``NAME.png`` has its depth in ``NAME.depth.png`` (16-bit
    counts of this many mm), read by :meth:`read_rgbd`; None: colour only (depth files are
    never replayed as colour frames)."""

    def __init__(self, folder: str | Path, loop: bool = True, depth_unit_mm: float | None = None) -> None:
        self.folder = Path(folder)
        self.paths = sorted(p for p in self.folder.iterdir()
                            if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.lower().endswith(DEPTH_SUFFIX))
        if not self.paths:
            raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {self.folder}")
        self.depth_unit_mm = depth_unit_mm
        if depth_unit_mm is not None:
            missing = [p.name for p in self.paths if not depth_path(p).is_file()]
            if missing:
                raise FileNotFoundError(f"{self.folder}: no depth frame for {', '.join(missing[:3])}"
                                        f"{'...' if len(missing) > 3 else ''} (expected NAME{DEPTH_SUFFIX} beside NAME.png)")
        self.loop = loop
        self._i = 0

    def _next(self) -> Path:
        if self._i >= len(self.paths):
            if not self.loop:
                raise StopIteration(f"replayed all {len(self.paths)} images of {self.folder}")
            self._i = 0
        self._i += 1
        return self.paths[self._i - 1]

    @property
    def has_depth(self) -> bool:
        return self.depth_unit_mm is not None

    def read(self) -> np.ndarray:
        return read_image(self._next())

    def read_rgbd(self) -> tuple[np.ndarray, np.ndarray]:
        if self.depth_unit_mm is None:
            raise RuntimeError(f"the folder camera {self.folder} was opened for colour only")
        path = self._next()
        return _check_pair(read_image(path), read_depth_image(depth_path(path), self.depth_unit_mm), str(path))

    def close(self) -> None:
        pass


class ArrayCamera:
    """Frames held in memory, cycled: for tests and dry runs without a camera. ``depths``:
    one float32 metres image per frame, for :meth:`read_rgbd` (None: colour only)."""

    def __init__(self, frames: Sequence[np.ndarray], depths: Sequence[np.ndarray] | None = None) -> None:
        if not frames:
            raise ValueError("ArrayCamera needs at least one frame")
        self.frames = [_check_rgb(np.asarray(f), "ArrayCamera") for f in frames]
        if depths is not None and len(depths) != len(frames):
            raise ValueError(f"ArrayCamera needs one depth image per frame, got {len(depths)} for {len(frames)}")
        self.depths = None if depths is None else [
            _check_pair(f, np.asarray(d, dtype=np.float32), "ArrayCamera")[1] for f, d in zip(self.frames, depths)]
        self._i = 0

    def read(self) -> np.ndarray:
        frame = self.frames[self._i % len(self.frames)]
        self._i += 1
        return frame.copy()

    @property
    def has_depth(self) -> bool:
        return self.depths is not None

    def read_rgbd(self) -> tuple[np.ndarray, np.ndarray]:
        if self.depths is None:
            raise RuntimeError("this ArrayCamera holds no depth images")
        i = self._i % len(self.frames)
        self._i += 1
        return self.frames[i].copy(), self.depths[i].copy()

    def close(self) -> None:
        pass


def fetch(url: str, timeout_s: float) -> bytes:
    """The body of ``GET url``; RuntimeError naming the URL when none comes."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.read()
    except OSError as e:
        raise RuntimeError(f"no frame from the snapshot camera at {url}: {e}") from None


class SnapshotCamera:
    """Fetches one still image (PNG or JPEG) from ``url`` per frame: always the newest
    frame, never a buffered one, as a stream can give."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url, self.timeout_s = url, timeout_s

    def read(self) -> np.ndarray:
        data = np.frombuffer(fetch(self.url, self.timeout_s), np.uint8)
        bgr = _cv2().imdecode(data, 1)  # 1 = IMREAD_COLOR
        if bgr is None:
            raise RuntimeError(f"the snapshot camera at {self.url} sent something that is not an image")
        return _check_rgb(np.ascontiguousarray(bgr[:, :, ::-1]), self.url)

    def close(self) -> None:
        pass


class DepthSnapshot:
    """Fetches one 16-bit depth PNG (counts of ``unit_mm`` mm) from ``url`` per frame."""

    def __init__(self, url: str, unit_mm: float = 1.0, timeout_s: float = 10.0) -> None:
        self.url, self.unit_mm, self.timeout_s = url, unit_mm, timeout_s

    def read(self) -> np.ndarray:
        """The newest depth frame, float32 (H, W) metres."""
        try:
            return decode_depth_png(fetch(self.url, self.timeout_s), self.unit_mm, self.url)
        except ValueError as e:
            raise RuntimeError(f"the depth snapshot at {self.url} sent no 16-bit depth image: {e}") from None


class PairedCamera:
    """A colour source and a depth snapshot read one after the other for each frame (the
    scene is still while the arm is out of view)."""

    def __init__(self, colour: FrameSource, depth: DepthSnapshot) -> None:
        self.colour, self.depth = colour, depth

    def read(self) -> np.ndarray:
        return self.colour.read()

    def read_rgbd(self) -> tuple[np.ndarray, np.ndarray]:
        rgb = self.colour.read()
        return _check_pair(rgb, self.depth.read(), self.depth.url)

    def close(self) -> None:
        self.colour.close()


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


def open_rgbd(
    source: str, depth_source: str = "", depth_unit_mm: float = 1.0,
    width: int | None = None, height: int | None = None, warmup_frames: int = 5,
) -> RGBDSource:
    """A colour-and-depth source from config strings (``camera.source``,
    ``camera.depth_source``): a folder with ``depth_source`` "" reads ``NAME.depth.png``
    beside each frame; ``depth_source = "snapshot:URL"`` pairs any colour source with depth
    PNGs fetched from URL. ValueError for a colour source that gives no depth by itself
    (a snapshot URL, an OpenCV device or stream) when no ``depth_source`` is set."""
    if depth_source:
        if not depth_source.startswith(SNAPSHOT_PREFIX):
            raise ValueError(f"camera.depth_source must be 'snapshot:URL' of 16-bit depth PNGs or empty, "
                             f"got {depth_source!r}")
        return PairedCamera(open_camera(source, width, height, warmup_frames),
                            DepthSnapshot(depth_source[len(SNAPSHOT_PREFIX) :], depth_unit_mm))
    if source and not source.startswith(SNAPSHOT_PREFIX) and Path(source).is_dir():
        return FolderCamera(source, depth_unit_mm=depth_unit_mm)
    kind = "a snapshot URL" if source.startswith(SNAPSHOT_PREFIX) else "an OpenCV device or stream (colour only)"
    raise ValueError(f"camera.streams asks for depth but camera.source {source!r} is {kind}: set "
                     f"camera.depth_source = 'snapshot:URL' of its 16-bit depth PNGs, or replay a folder "
                     f"with NAME{DEPTH_SUFFIX} beside each NAME.png")
