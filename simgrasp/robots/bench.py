"""Robot-layer figures: ``python -m simgrasp.robots.bench [--trials N]``.

Measures, on loopback against the RMI emulator (motions take no time there, so these are
the software's own costs, not the arm's): the command round trip, instruction
throughput under the 8-deep queue, whole FanucBackend trials, and a homography fit.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from simgrasp.geometry import GraspRect
from simgrasp.geometry.homography import apply_homography, fit_homography
from simgrasp.robots.backend import FanucBackend
from simgrasp.robots.camera import ArrayCamera
from simgrasp.robots.rmi import RMIClient
from simgrasp.robots.rmi_emulator import RMIEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "robot" / "example_robot.toml"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=50, help="backend trials to time")
    ap.add_argument("--commands", type=int, default=500, help="FRC_GetStatus round trips to time")
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


if __name__ == "__main__":
    main()
