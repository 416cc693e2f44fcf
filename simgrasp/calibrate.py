"""Calibrate a real cell's camera to the table: ``python -m simgrasp.calibrate``.

Fits the pixel -> robot XY homography from >= 4 pairs, prints the reprojection error in
mm and saves it, with the cell's heights, gripper I/O and speed limits, into the robot
config (TOML) that ``--backend fanuc --robot-config`` reads.

Pairs come from a file (works headless) or from clicks on an image:

    python -m simgrasp.calibrate --pairs pairs.csv --config robot.toml --width 640 --height 480
    python -m simgrasp.calibrate --click --image frame.png --config robot.toml
    python -m simgrasp.calibrate --click --camera 0 --config robot.toml --table-z-mm 12
    python -m simgrasp.calibrate --collect --config robot.toml   # the arm shows a marker to the camera

A CSV has the header ``u,v,x_mm,y_mm`` (pixels, then the robot's user-frame XY with the
TCP touching the marked point); a TOML file holds ``[[pairs]]`` tables with the same keys.
``--collect`` drives the arm (the config's connection) with the marker tool
(``calibration.marker_tool``) over a grid at the grasp height and finds the marker in the
config's camera (see :mod:`simgrasp.robots.collect`); it works on the twin as on a cell.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import tomllib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from simgrasp.config import load_toml, override
from simgrasp.geometry.homography import fit_homography, reprojection_errors
from simgrasp.robots.config import RobotConfig, load_robot_config, save_robot_config

PAIR_KEYS = ("u", "v", "x_mm", "y_mm")

# Named flags for the settings a calibration session usually fixes; any other field goes
# through --set SECTION.KEY=VALUE.
NAMED_SETTINGS: dict[str, tuple[str, str, type]] = {
    "table-z-mm": ("motion", "table_z_mm", float),
    "grasp-height-mm": ("motion", "grasp_height_mm", float),
    "approach-height-mm": ("motion", "approach_height_mm", float),
    "lift-height-mm": ("motion", "lift_height_mm", float),
    "speed-mm-s": ("motion", "speed_mm_s", int),
    "max-speed-mm-s": ("motion", "max_speed_mm_s", int),
    "close-port": ("gripper", "close_port", int),
    "open-port": ("gripper", "open_port", int),
    "jaw-closed-input": ("gripper", "jaw_closed_input", int),
}


def read_pairs(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (N, 2) and robot XY in mm (N, 2) from a CSV or TOML file of pairs."""
    p = Path(path)
    if p.suffix.lower() == ".toml":
        rows = load_toml(p).get("pairs")
        if not isinstance(rows, list):
            raise ValueError(f"{p}: expected [[pairs]] tables with keys {', '.join(PAIR_KEYS)}")
    else:
        with p.open(newline="") as f:
            rows = list(csv.DictReader(f))
    try:
        a = np.array([[float(r[k]) for k in PAIR_KEYS] for r in rows], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{p}: every pair needs numeric {', '.join(PAIR_KEYS)} ({e})") from None
    if len(a) < 4:
        raise ValueError(f"{p}: a homography needs at least 4 pairs, found {len(a)}")
    return a[:, :2], a[:, 2:]


def click_pairs(image: np.ndarray, ask: Callable[[str], str] = input) -> tuple[np.ndarray, np.ndarray]:
    """Show ``image`` (RGB); for each click, ask for the robot XY in mm at that point.
    An empty answer ends. Needs an OpenCV build with a GUI."""
    import cv2

    clicks: list[tuple[float, float]] = []
    win = "simgrasp calibrate: click a marked point, then type its robot X Y in the terminal"
    try:
        cv2.namedWindow(win)
    except cv2.error as e:
        raise RuntimeError(f"this OpenCV has no GUI ({e}); write the pairs to a file and pass --pairs") from None
    cv2.setMouseCallback(win, lambda ev, x, y, *_: clicks.append((x, y)) if ev == cv2.EVENT_LBUTTONDOWN else None)
    px, xy = [], []
    shown = image[:, :, ::-1].copy()
    while True:
        cv2.imshow(win, shown)
        if cv2.waitKey(30) == 27:  # Esc
            break
        if not clicks:
            continue
        u, v = clicks.pop(0)
        answer = ask(f"robot X Y in mm at pixel ({u:.0f}, {v:.0f}) [empty: done]: ").strip()
        if not answer:
            break
        x, y = (float(s) for s in answer.replace(",", " ").split())
        px.append((u, v))
        xy.append((x, y))
        cv2.circle(shown, (int(u), int(v)), 4, (0, 0, 255), -1)
    cv2.destroyWindow(win)
    return np.array(px, dtype=np.float64).reshape(-1, 2), np.array(xy, dtype=np.float64).reshape(-1, 2)


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["motion.speed_mm_s=80", 'camera.source="1"']`` -> nested dict (TOML values)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise ValueError(f"expected --set SECTION.KEY=VALUE, got {item!r}")
        section, name = key.strip().split(".", 1)
        try:
            parsed = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            parsed = value.strip()  # bare words are strings
        out.setdefault(section, {})[name] = parsed
    return out


def calibrated(cfg: RobotConfig, px: np.ndarray, xy_mm: np.ndarray, width: int, height: int) -> tuple[RobotConfig, np.ndarray]:
    """``cfg`` with a homography fitted to the pairs, and the per-pair errors in mm."""
    H = fit_homography(px, xy_mm)
    err = reprojection_errors(H, px, xy_mm)
    cal = dataclasses.replace(
        cfg.calibration,
        homography=tuple(float(v) for v in H.ravel()),
        width=int(width),
        height=int(height),
        mean_error_mm=float(err.mean()),
        max_error_mm=float(err.max()),
        n_points=len(px),
    )
    return dataclasses.replace(cfg, calibration=cal), err


def collect_from_cell(cfg: RobotConfig, camera: str | None) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Pairs from the arm showing its marker tool to the camera; also the frame size."""
    from simgrasp.robots.camera import open_camera
    from simgrasp.robots.collect import collect_pairs, grid_points

    c = cfg.calibration
    cam = open_camera(camera or cfg.camera.source, c.width, c.height, cfg.camera.warmup_frames)
    try:
        height, width = cam.read().shape[:2]
        px, xy = collect_pairs(cfg, cam, grid_points(c.grid_x_mm, c.grid_y_mm, c.grid_n))
    finally:
        cam.close()
    if len(px) < 4:
        raise SystemExit(f"the marker was seen at {len(px)} of {c.grid_n ** 2} grid points; a homography needs 4")
    return px, xy, (width, height)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--pairs", help="CSV (u,v,x_mm,y_mm) or TOML ([[pairs]]) file of pixel / robot XY pairs")
    src.add_argument("--click", action="store_true", help="click points on --image or a --camera frame")
    src.add_argument(
        "--collect", action="store_true", help="move the marker tool over a grid and find it in the camera"
    )
    ap.add_argument("--image", help="image to click on")
    ap.add_argument("--camera", help="camera source to grab one frame from (device index or URL)")
    ap.add_argument("--config", required=True, help="robot config TOML to update (created when missing)")
    ap.add_argument("--out", help="write here instead of over --config")
    ap.add_argument("--width", type=int, help="image width in pixels (default: the image's, else the config's)")
    ap.add_argument("--height", type=int, help="image height in pixels")
    ap.add_argument("--max-error-mm", type=float, default=5.0, help="refuse to save above this mean error")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="any other config field")
    for flag, (section, key, kind) in NAMED_SETTINGS.items():
        ap.add_argument(f"--{flag}", type=kind, help=f"sets {section}.{key}")
    args = ap.parse_args(argv)

    cfg_path = Path(args.config)
    cfg = load_robot_config(cfg_path) if cfg_path.is_file() else RobotConfig()
    settings = parse_set(args.set)
    for flag, (section, key, _) in NAMED_SETTINGS.items():
        value = getattr(args, flag.replace("-", "_"))
        if value is not None:
            settings.setdefault(section, {})[key] = value
    cfg = override(cfg, settings, "settings")

    width, height = args.width or cfg.calibration.width, args.height or cfg.calibration.height
    if args.pairs:
        px, xy = read_pairs(args.pairs)
    elif args.collect:
        px, xy, (width, height) = collect_from_cell(cfg, args.camera)
    else:
        from simgrasp.robots.camera import open_camera, read_image

        if args.image:
            image = read_image(args.image)
        else:
            cam = open_camera(args.camera or cfg.camera.source, width, height)
            image = cam.read()
            cam.close()
        height, width = image.shape[:2]
        px, xy = click_pairs(image)

    cfg, err = calibrated(cfg, px, xy, width, height)
    for (u, v), (x, y), e in zip(px, xy, err):
        print(f"  pixel ({u:7.1f}, {v:7.1f}) -> robot ({x:8.1f}, {y:8.1f}) mm: error {e:6.2f} mm")
    print(f"fitted from {len(px)} pairs at {width}x{height}: mean error {err.mean():.2f} mm, max {err.max():.2f} mm")
    if err.mean() > args.max_error_mm:
        print(f"not saved: mean error above --max-error-mm {args.max_error_mm}", file=sys.stderr)
        return 2
    out = Path(args.out or args.config)
    save_robot_config(cfg, out)
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
