"""Calibrate a real cell's camera: ``python -m simgrasp.calibrate``.

Two models. A table homography (colour-only cells): pixel -> robot XY from >= 4 pairs at
the grasp height, its error in mm. A pinhole camera (RGB-D cells, a 3-D fit): intrinsics,
radial lens and the camera's pose in the user frame from >= 6 marker positions at two or
more heights (:mod:`simgrasp.robots.calibration`), fitted with the lens and without it, both
judged at held-out positions in pixels and in mm at the ball's height. Either is saved,
with the cell's heights, gripper I/O and speed limits, into the robot config (TOML) that
``--backend fanuc --robot-config`` reads.

Pairs come from a file (works headless) or from clicks on an image:

    python -m simgrasp.calibrate --pairs pairs.csv --config robot.toml --width 640 --height 480
    python -m simgrasp.calibrate --click --image frame.png --config robot.toml
    python -m simgrasp.calibrate --click --camera 0 --config robot.toml --table-z-mm 12
    python -m simgrasp.calibrate --collect --config robot.toml   # the arm shows a marker to the camera

A CSV has the header ``u,v,x_mm,y_mm`` (pixels, then the robot's user-frame XY with the
TCP touching the marked point), or ``u,v,x_mm,y_mm,z_mm`` for a 3-D fit; a TOML file holds
``[[pairs]]`` tables with the same keys. ``--collect`` drives the arm (the config's
connection) with the marker tool (``calibration.marker_tool``) over a grid and finds the
marker in the config's camera (see :mod:`simgrasp.robots.collect`): at the grasp height for
a homography, at every height of ``calibration.grid_heights_mm`` above it for a pinhole
(``--model``; default pinhole when ``camera.streams`` has depth). It works on the twin as
on a cell.
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
from simgrasp.robots.calibration import HeldOutFit, best, fit_and_hold_out, pinhole_calibrated
from simgrasp.robots.config import RobotConfig, load_robot_config, save_robot_config

PAIR_KEYS = ("u", "v", "x_mm", "y_mm")
Z_KEY = "z_mm"  # present in every pair: a 3-D fit
MODELS = ("homography", "pinhole")

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
    """Pixels (N, 2) and robot XY in mm (N, 2) from a CSV or TOML file of pairs; robot XYZ
    (N, 3) when every pair has a ``z_mm``."""
    p = Path(path)
    if p.suffix.lower() == ".toml":
        rows = load_toml(p).get("pairs")
        if not isinstance(rows, list):
            raise ValueError(f"{p}: expected [[pairs]] tables with keys {', '.join(PAIR_KEYS)}")
    else:
        with p.open(newline="") as f:
            rows = list(csv.DictReader(f))
    keys = PAIR_KEYS + ((Z_KEY,) if rows and all(isinstance(r, dict) and r.get(Z_KEY) not in (None, "")
                                                for r in rows) else ())
    try:
        a = np.array([[float(r[k]) for k in keys] for r in rows], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{p}: every pair needs numeric {', '.join(PAIR_KEYS)} ({e})") from None
    need = 6 if Z_KEY in keys else 4
    if len(a) < need:
        raise ValueError(f"{p}: a {'3-D fit' if need == 6 else 'homography'} needs at least {need} pairs, found {len(a)}")
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
    """``cfg`` with a homography fitted to the pairs (replacing any 3-D calibration), and
    the per-pair errors in mm."""
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
        intrinsics=(), distortion=(), camera_pose_mm=(), mean_error_px=0.0,  # the homography is now the model
    )
    return dataclasses.replace(cfg, calibration=cal), err


def collect_from_cell(
    cfg: RobotConfig, camera: str | None, model: str = "homography"
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Pairs from the arm showing its marker tool to the camera, and the frame size: robot
    XY (N, 2) at the grasp height for a homography, XYZ (N, 3) at every height of
    ``calibration.grid_heights_mm`` for a pinhole."""
    from simgrasp.robots.camera import open_camera
    from simgrasp.robots.collect import collect_points, grid_columns

    c = cfg.calibration
    heights = sorted(set(c.grid_heights_mm)) if model == "pinhole" else [0.0]
    if model == "pinhole" and len(heights) < 2:
        raise SystemExit(f"a 3-D fit needs the marker at two or more heights; calibration.grid_heights_mm is "
                         f"{list(c.grid_heights_mm)} (e.g. [0.0, 75.0, 150.0] mm above the grasp height)")
    points = grid_columns(c.grid_x_mm, c.grid_y_mm, c.grid_n, [cfg.motion.grasp_z_mm + h for h in heights])
    cam = open_camera(camera or cfg.camera.source, c.width, c.height, cfg.camera.warmup_frames)
    try:
        height, width = cam.read().shape[:2]
        px, xyz = collect_points(cfg, cam, points)
    finally:
        cam.close()
    need = 12 if model == "pinhole" else 4  # a pinhole fit keeps a fifth of them apart
    if len(px) < need:
        raise SystemExit(f"the marker was seen at {len(px)} of {len(points)} points; a {model} needs {need}")
    return px, (xyz if model == "pinhole" else xyz[:, :2]), (width, height)


def print_pinhole_fits(fits: list[HeldOutFit], heights: int, width: int, height: int) -> None:
    """Both fits' held-out errors, one line each."""
    print(f"3-D fit at {width}x{height} on marker positions at {heights} heights, {len(fits[0].px)} held out:")
    for f in fits:
        lens = f"k1 {f.fit.lens.k1:+.4f}, k2 {f.fit.lens.k2:+.4f}" if f.distortion else "no lens"
        plane = f"; {f.grasp_plane_mm.mean():.2f} mm at the grasp plane" if f.grasp_plane_mm.size else ""
        print(f"  lens distortion {'on ' if f.distortion else 'off'}: held-out reprojection {f.px.mean():.3f} px mean "
              f"({f.px.max():.3f} max), {f.mm.mean():.3f} mm mean ({f.mm.max():.3f} max) at the ball's "
              f"height{plane}; fit residual {f.fit.rms_px:.3f} px rms on {f.n_fit} ({f.n_dropped} outliers "
              f"dropped; {lens})")


def save_pinhole(args: argparse.Namespace, cfg: RobotConfig, px: np.ndarray, xyz: np.ndarray,
                 width: int, height: int) -> int:
    """Fit, report and save (unless the held-out error is above ``--max-error-mm``) a pinhole calibration."""
    fits = fit_and_hold_out(px, xyz, width, height)
    print_pinhole_fits(fits, len(np.unique(np.round(xyz[:, 2], 1))), width, height)
    chosen = best(fits) if args.distortion == "auto" else fits[0 if args.distortion == "on" else 1]
    k, pose = chosen.fit.camera.intrinsics, pinhole_calibrated(cfg, chosen).calibration.camera_pose_mm
    print(f"chose lens distortion {'on' if chosen.distortion else 'off'}: fx {k.fx:.1f}, fy {k.fy:.1f}, "
          f"cx {k.cx:.1f}, cy {k.cy:.1f} px; camera at ({pose[0]:.1f}, {pose[1]:.1f}, {pose[2]:.1f}) mm, "
          f"W P R ({pose[3]:.2f}, {pose[4]:.2f}, {pose[5]:.2f}) deg in the user frame")
    if chosen.mm.mean() > args.max_error_mm:
        print(f"not saved: held-out mean error above --max-error-mm {args.max_error_mm}", file=sys.stderr)
        return 2
    out = Path(args.out or args.config)
    save_robot_config(pinhole_calibrated(cfg, chosen), out)
    print(f"saved {out}")
    return 0


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
    ap.add_argument("--model", choices=MODELS,
                    help="--collect: the model to fit (default: pinhole when camera.streams has depth, else homography)")
    ap.add_argument("--distortion", choices=("auto", "on", "off"), default="auto",
                    help="3-D fit: save the fit with the radial lens (on), without (off), or the one better held out")
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
        model = args.model or ("pinhole" if cfg.camera.has_depth else "homography")
        px, xy, (width, height) = collect_from_cell(cfg, args.camera, model)
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

    if xy.shape[1] == 3:
        return save_pinhole(args, cfg, px, xy, width, height)
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
