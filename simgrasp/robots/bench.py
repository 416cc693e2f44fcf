"""Robot-layer figures: ``python -m simgrasp.robots.bench [--trials N]``.

Measures, on loopback against the RMI emulator (motions take no time there, so these are
the software's own costs, not the arm's): the command round trip, instruction
throughput under the 8-deep queue, whole FanucBackend trials, and a homography fit.
With the digital twin (``--twin-trials``, 0 to skip): a twin trial (stage, capture over
the console, RMI motions stepping the simulated cell) against a sim-backend trial on the
same seeds and the same heuristic grasps, and the twin calibrations' errors in mm against
the twin camera's true projection: the table homography, and the 3-D (pinhole) fit with
the lens on and off, each for a perfect and a barrel-distorted lens.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from simgrasp.config import override
from simgrasp.geometry import GraspRect
from simgrasp.geometry.homography import apply_homography, fit_homography
from simgrasp.geometry.pinhole_fit import PinholeFit
from simgrasp.rehearsal.emulator import RMIEmulator
from simgrasp.robots.backend import FanucBackend
from simgrasp.robots.camera import ArrayCamera
from simgrasp.robots.rmi import RMIClient

EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "robot" / "example_robot.toml"
TWIN = EXAMPLE.with_name("twin.toml")
TWIN_RGBD = EXAMPLE.with_name("twin_rgbd.toml")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=50, help="backend trials to time")
    ap.add_argument("--commands", type=int, default=500, help="FRC_GetStatus round trips to time")
    ap.add_argument("--twin-trials", type=int, default=20, help="twin and sim trials to time (0: skip the twin)")
    args = ap.parse_args(argv)

    with RMIEmulator(port=0) as emu:
        with RMIClient("127.0.0.1", emu.port) as rmi:
            rmi.initialize()
            t = time.perf_counter()
            for _ in range(args.commands):
                rmi.status()
            dt = time.perf_counter() - t
            print(f"command round trip: {1e3 * dt / args.commands:.3f} ms ({args.commands} x FRC_GetStatus)")
            t = time.perf_counter()
            for _ in range(args.commands):
                rmi.wait_time(0.0)
            rmi.wait_all()
            dt = time.perf_counter() - t
            print(f"queued instructions: {args.commands / dt:.0f} /s, at most {rmi.max_outstanding_seen} outstanding")

        emu.ctl.object_present = True
        frame = np.zeros((480, 640, 3), np.uint8)
        overrides = {
            "connection": {"host": "127.0.0.1", "port": emu.port},
            "gripper": {"close_time_s": 0.0, "open_time_s": 0.0},
        }
        with FanucBackend(EXAMPLE, camera=ArrayCamera([frame]), overrides=overrides, print_fn=lambda s: None) as backend:
            t = time.perf_counter()
            ok = 0
            for seed in range(args.trials):
                obs, _ = backend.reset(seed)
                ok += backend.execute(obs.camera.image_to_world(GraspRect(320, 240, 15.0 * seed, 50, 20))).success
            dt = time.perf_counter() - t
            print(f"backend trials: {1e3 * dt / args.trials:.1f} ms each ({args.trials} trials, {ok} succeeded, "
                  f"{len(emu.log)} packets logged)")

    rng = np.random.default_rng(0)
    px = rng.uniform(0, 640, (20, 2))
    H = np.array([[0.0, -0.9, 600.0], [-0.9, 0.0, 288.0], [1e-5, 0.0, 1.0]])
    xy = apply_homography(H, px)
    t = time.perf_counter()
    for _ in range(200):
        fit_homography(px, xy)
    print(f"homography fit, 20 pairs: {1e3 * (time.perf_counter() - t) / 200:.3f} ms")
    if args.twin_trials > 0:
        bench_twin(args.twin_trials)


def timed_trials(backend, seeds: range, policy) -> tuple[float, int]:
    """Mean seconds of reset + execute (the policy's time left out: it is the same on both
    backends) and the successes, over ``seeds``."""
    from simgrasp.policies import policy_rng

    spent, ok = 0.0, 0
    for seed in seeds:
        t = time.perf_counter()
        obs, _ = backend.reset(seed)
        spent += time.perf_counter() - t
        grasp = obs.camera.image_to_world(policy.act(obs, policy_rng(seed)).grasp, obs.depth)
        t = time.perf_counter()
        ok += backend.execute(grasp).success
        spent += time.perf_counter() - t
    return spent / len(seeds), ok


def bench_twin(trials: int) -> None:
    """Twin trial against sim trial, and the twin calibration against the truth."""
    from simgrasp.calibrate import calibrated
    from simgrasp.policies import build_policy, resolve_policy
    from simgrasp.robots.collect import collect_pairs, grid_points
    from simgrasp.robots.config import load_robot_config
    from simgrasp.rehearsal.rig import TwinRig
    from simgrasp.rehearsal.twin_camera import TwinCameraConfig
    from simgrasp.sim import HELD_OUT_OBJECTS
    from simgrasp.sim.backend import SimBackend

    policy, seeds = build_policy(resolve_policy("heuristic")), range(trials)
    with SimBackend(HELD_OUT_OBJECTS) as sim:
        sim_s, sim_ok = timed_trials(sim, seeds, policy)
    with TwinRig() as rig:
        cfg = override(load_robot_config(TWIN), rig.robot_overrides(), "twin rig")
        with FanucBackend(cfg, print_fn=lambda s: None) as backend:
            steps, physics = rig.cell.physics_steps, rig.cell.physics_s
            twin_s, twin_ok = timed_trials(backend, seeds, policy)
            steps, physics = (rig.cell.physics_steps - steps) / trials, (rig.cell.physics_s - physics) / trials
        print(f"twin trials: {1e3 * twin_s:.1f} ms each ({twin_ok}/{trials} ok), sim trials: {1e3 * sim_s:.1f} ms each "
              f"({sim_ok}/{trials}): {twin_s / sim_s:.2f}x; of a twin trial, {1e3 * physics:.1f} ms step the arm's "
              f"path ({steps:.0f} steps at the commanded speeds), the rest (staging, capture, RMI, plan) "
              f"{1e3 * (twin_s - physics):.1f} ms = {(twin_s - physics) / sim_s:.2f}x a sim trial; "
              f"{len(rig.cell.faults)} simulation faults")
    for k1 in (0.0, -0.3):  # a perfect lens, then a barrel-distorted one the homography cannot follow
        with TwinRig(camera=TwinCameraConfig(k1=k1)) as rig:
            cfg = override(load_robot_config(TWIN), rig.robot_overrides(), "twin rig")
            rig.cell.reset_scene(0)
            c = cfg.calibration
            px, xy = collect_pairs(cfg, rig.camera, grid_points(c.grid_x_mm, c.grid_y_mm, c.grid_n), say=lambda s: None)
            fitted, err = calibrated(cfg, px, xy, rig.camera.cfg.width, rig.camera.cfg.height)
            H = np.asarray(fitted.calibration.homography).reshape(3, 3)
            truth = held_out_error_mm(rig, cfg, lambda seen: apply_homography(H, seen), 100)
            print(f"twin homography, lens k1 {k1:+.1f} ({len(px)} marker pairs): fit residual {err.mean():.2f} mm "
                  f"mean; at {len(truth)} held-out points on the grasp plane {truth.mean():.2f} mm mean, "
                  f"{truth.max():.2f} mm max")
            bench_pinhole(rig, override(load_robot_config(TWIN_RGBD), rig.robot_overrides(), "twin rig"), k1)


def bench_pinhole(rig, cfg, k1: float) -> None:
    """The 3-D calibration on the twin (as ``calibrate --collect`` fits it) against the
    truth at random points of the grasp plane, lens on and off."""
    from simgrasp.robots.calibration import fit_and_hold_out
    from simgrasp.robots.collect import collect_points, grid_columns

    c = cfg.calibration
    rig.cell.reset_scene(0)
    points = grid_columns(c.grid_x_mm, c.grid_y_mm, c.grid_n, [cfg.motion.grasp_z_mm + h for h in c.grid_heights_mm])
    px, xyz = collect_points(cfg, rig.camera, points, say=lambda s: None)
    for f in fit_and_hold_out(px, xyz, rig.camera.cfg.width, rig.camera.cfg.height):
        truth = held_out_error_mm(rig, cfg, lambda seen, fit=f.fit: plane_xy_mm(fit, seen, cfg.motion.grasp_z_mm), 100)
        print(f"twin 3-D fit, lens k1 {k1:+.1f}, distortion {'on ' if f.distortion else 'off'} ({len(px)} marker "
              f"positions at {len(c.grid_heights_mm)} heights): held out {f.px.mean():.3f} px, {f.mm.mean():.3f} mm "
              f"mean; at {len(truth)} random points on the grasp plane {truth.mean():.3f} mm mean, "
              f"{truth.max():.3f} mm max")


def plane_xy_mm(fit: PinholeFit, seen_px: np.ndarray, z_mm: float) -> np.ndarray:
    """User XY (mm) where ``fit`` (fitted in metres) puts the seen pixels (N, 2) at height ``z_mm``."""
    return fit.on_plane(seen_px, np.full(len(seen_px), z_mm / 1000.0))[:, :2] * 1000.0


def held_out_error_mm(rig, cfg, locate, n: int) -> np.ndarray:
    """Distances (mm) between where a calibration puts the seen ball (``locate``: pixels
    (N, 2) -> user XY mm on the grasp plane) and where the twin put it, at those of ``n``
    random points of the calibration box on the grasp plane where the whole ball is in view
    (the scene's object hides some)."""
    from simgrasp.robots.collect import find_marker

    c = cfg.calibration
    user = np.random.default_rng(1).uniform((c.grid_x_mm[0], c.grid_y_mm[0]), (c.grid_x_mm[1], c.grid_y_mm[1]), (n, 2))
    T_world_user = rig.cell.frame(rig.cell.cfg.uframes, cfg.arm.uframe, "UFrame")
    errors, sizes = [], []
    rig.cell.reset_scene(0)
    rig.cell.scene.gripper.park()  # nothing between the camera and the ball
    for x, y in user:
        rig.cell.show_marker((T_world_user @ [x / 1000.0, y / 1000.0, cfg.motion.grasp_z_mm / 1000.0, 1.0])[:3])
        seen = find_marker(rig.camera.read())
        if seen is not None:
            errors.append(float(np.linalg.norm(locate(np.array([seen[:2]]))[0] - (x, y))))
            sizes.append(seen[2])
    # As in collection: a ball partly behind the object is not a calibration error.
    return np.asarray(errors)[np.asarray(sizes) >= 0.75 * np.median(sizes)]


if __name__ == "__main__":
    main()
