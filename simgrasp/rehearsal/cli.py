"""``python -m simgrasp.rehearsal``: serve an emulated controller, optionally with the
digital twin behind it and faults armed from the command line.

    python -m simgrasp.rehearsal --port 16001
    python -m simgrasp.rehearsal --twin --objects random_urdfs:900-999 --seed 0
    python -m simgrasp.rehearsal --twin --fault-after 40 --fault-id 2556935

The twin (and with it PyBullet) is imported only with ``--twin``.
"""

from __future__ import annotations

import argparse
import time

from simgrasp.rehearsal.emulator import HOST, SESSION_PORT, RMIEmulator


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.rehearsal",
                                 description="Serve an emulated FANUC RMI controller on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=16001, help="connect port (the controller's is 16001)")
    ap.add_argument("--session-port", type=int, default=SESSION_PORT, help="session port handed over (0: any)")
    ap.add_argument("--motion-time", type=float, default=0.5, help="seconds each motion takes (without --twin)")
    ap.add_argument("--object-present", action="store_true", help="closing the jaws catches an object (no --twin)")
    twin = ap.add_argument_group("digital twin: a simulated cell behind the controller")
    twin.add_argument("--twin", action="store_true", help="drive a PyBullet cell: motions, jaws, jaw-closed input")
    twin.add_argument("--objects", help="object spec of the twin, as --backend sim takes (default: held-out objects)")
    twin.add_argument("--seed", type=int, default=0, help="scene shown until a client stages another by seed")
    twin.add_argument("--console-port", type=int, default=16010, help="console: GET /frame.png and /depth.png, POST /scene?seed=N")
    twin.add_argument("--lens-k1", type=float, default=0.0, help="radial distortion of the twin's camera (0: none)")
    faults = ap.add_argument_group("fault injection (counted in session packets from the client)")
    faults.add_argument("--drop-after", type=int, metavar="N", help="cut the session without a word after N packets")
    faults.add_argument("--fault-after", type=int, metavar="N", help="push FRC_SystemFault after N packets and hold")
    faults.add_argument("--fault-id", type=int, default=2556935, help="ErrorID of --fault-after (default RMIT-007)")
    faults.add_argument(
        "--sequence-error-after", type=int, metavar="N", help="refuse the N-th instruction as out of order (RMIT-029)"
    )
    ap.add_argument("--verbose", action="store_true", help="print every packet")
    return ap.parse_args(argv)


def inject(emu: RMIEmulator, args: argparse.Namespace) -> list[str]:
    """Arm the faults the flags ask for; returns what was armed, for the banner."""
    armed = []
    if args.drop_after is not None:
        emu.drop_after(args.drop_after)
        armed.append(f"connection cut after {args.drop_after} packets")
    if args.fault_after is not None:
        emu.inject_fault(args.fault_id, after_packets=args.fault_after)
        armed.append(f"system fault {args.fault_id} after {args.fault_after} packets")
    if args.sequence_error_after is not None:
        emu.inject_sequence_error(args.sequence_error_after)
        armed.append(f"sequence error on instruction {args.sequence_error_after}")
    return armed


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rig = None
    if args.twin:
        from dataclasses import replace

        from simgrasp.rehearsal.rig import TwinRig  # the simulator, only when asked for
        from simgrasp.rehearsal.twin import TwinConfig
        from simgrasp.rehearsal.twin_camera import TwinCameraConfig

        twin_cfg = TwinConfig() if args.objects is None else TwinConfig(objects=args.objects)
        rig = TwinRig(twin_cfg, replace(TwinCameraConfig(), k1=args.lens_k1), args.seed,
                      args.port, args.console_port, session_port=args.session_port).start()
        emu = rig.emulator
    else:
        emu = RMIEmulator(args.port, args.session_port, args.motion_time, object_present=args.object_present).start()
    armed = inject(emu, args)
    print(f"RMI emulator listening on {HOST}:{emu.port} (Ctrl-C to stop)", flush=True)
    if rig is not None:
        print(f"twin: {rig.cell.info['object']} (seed {args.seed}); camera source {rig.frame_source!r}, "
              f"depth_source {rig.depth_source!r}, cell.stage_url {rig.console.url!r}", flush=True)
    for a in armed:
        print(f"fault armed: {a}", flush=True)
    shown = 0
    try:
        while True:
            time.sleep(0.2)
            if args.verbose:
                for e in emu.log[shown:]:
                    print(f"{e.t_s:8.3f} {e.channel:7s} {'<-' if e.direction == 'in' else '->'} {e.packet}", flush=True)
                shown = len(emu.log)
    except KeyboardInterrupt:
        pass
    finally:
        if rig is not None:
            rig.stop()
        else:
            emu.stop()
