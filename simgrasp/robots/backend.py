"""``FanucBackend``: the backend contract on a real FANUC arm with a parallel gripper.

``reset`` moves the arm out of the camera's view and captures a frame, with its registered
depth image when ``camera.streams = "color+depth"``; the observation carries the model of
the calibration (:mod:`simgrasp.robots.cell_camera`): a pinhole camera in the user frame
after a 3-D calibration (frames undistorted to it), else the table homography.
``camera_streams`` says what every observation holds. ``execute``
runs approach, descend, close, lift, carry away, carry back, set down, open, retreat, and
judges from the jaw-closed input (jaws fully shut = nothing held) after closing, after
the lift and before the release, or asks the operator (``confirm=True``).

Safety: every target is checked against the workspace box before anything is sent (a
target outside is recorded as ``UNREACHABLE``); the speed is capped and the override low
(both from the config); the gripper switches only after the FINE move before it has been
answered. Any controller fault, error reply, timeout or lost connection aborts and
disconnects the session, then raises a :class:`~simgrasp.robots.errors.RobotError` whose
``outcome`` is the labelled trial (reason ``ROBOT_ERROR``) for the caller to record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from simgrasp.backends.base import (
    COLOR,
    DEPTH,
    MISSED,
    PINHOLE,
    ROBOT_ERROR,
    UNREACHABLE,
    Observation,
    Outcome,
    SkippedObject,
    check_reset_options,
    check_seed,
)
from simgrasp.config import override
from simgrasp.geometry import PinholeCamera, WorldGrasp
from simgrasp.robots.camera import ArrayCamera, FrameSource, open_camera, open_rgbd
from simgrasp.robots.cell_camera import Undistortion, camera_model
from simgrasp.robots.console import stage
from simgrasp.robots.config import RobotConfig, load_robot_config, validate
from simgrasp.robots.errors import (
    RMIT_BASE,
    RMIConnectionError,
    RMITimeoutError,
    RobotError,
    ServoOffError,
    TeachPendantEnabledError,
)
from simgrasp.robots.links import DryRunLink, LinkFactory, SocketLink
from simgrasp.backends.trial import Sensed, StageTimer, verdict
from simgrasp.robots.plan import check_plan, plan_grasp
from simgrasp.robots.rmi import RMIClient
from simgrasp.robots.rmi_protocol import Pose


def open_session(cfg: RobotConfig, utool: int, link_factory: LinkFactory = SocketLink.open) -> RMIClient:
    """An initialised RMI session with the cell's user frame, tool ``utool`` and speed
    override set. Refuses servo-off and teach-pendant states; aborts a program an earlier
    session left behind. Closed again (abort + disconnect) if any step fails."""
    con = cfg.connection
    client = RMIClient(con.host, con.port, con.timeout_s, con.motion_timeout_s, link_factory)
    try:
        client.open()
        status = client.status()
        if not int(status.get("ServoReady", 1)):
            raise ServoOffError(RMIT_BASE + 7, "FRC_GetStatus")
        if int(status.get("TPMode", 0)):
            raise TeachPendantEnabledError(RMIT_BASE + 8, "FRC_GetStatus")
        if int(status.get("RMIMotionStatus", 0)):
            client.abort()  # an earlier session left its motion program behind
        client.initialize(con.group_mask)
        client.set_frames(cfg.arm.uframe, utool)
        client.set_override(cfg.motion.override_percent)
    except BaseException:
        client.close()
        raise
    return client


class FanucBackend:
    """A real cell behind the backend contract.

    ``robot_config``: TOML path or a :class:`RobotConfig` (defaults when None);
    ``overrides``: strict overrides on top, e.g. ``{"connection": {"port": 16001}}``;
    ``dry_run``: print every packet, connect to nothing; ``confirm``: the operator places
    each object and judges each stage at the keyboard; ``camera``: a frame source or a
    source string replacing ``camera.source``; ``input_fn``/``print_fn``: the operator's
    terminal (injectable for tests)."""

    infrastructure_reason = ROBOT_ERROR
    reset_options = frozenset({"object"})  # the name of the object the operator placed

    def __init__(
        self,
        robot_config: str | Path | RobotConfig | None = None,
        dry_run: bool = False,
        confirm: bool = False,
        camera: FrameSource | str | None = None,
        overrides: dict[str, Any] | None = None,
        input_fn: Callable[[str], str] = input,
        print_fn: Callable[[str], None] = print,
        perturb: Any = None,
    ) -> None:
        if perturb is not None:
            raise ValueError("perturb is for the sim backend: a real cell's friction, masses, jaw force and calibration "
                             "are what they are, and cannot be drawn")
        cfg = robot_config if isinstance(robot_config, RobotConfig) else (
            load_robot_config(robot_config) if robot_config is not None else RobotConfig())
        self.cfg = validate(override(cfg, overrides or {}, "overrides"))
        self.dry_run, self.confirm = dry_run, confirm
        self._input, self._print = input_fn, print_fn
        self.camera_model = camera_model(self.cfg)
        self._undistort = Undistortion.of(self.cfg)
        self._depth = self.cfg.camera.has_depth
        #: what every observation holds (see :class:`~simgrasp.backends.base.CameraStreams`)
        self.camera_streams = frozenset({COLOR} | ({DEPTH} if self._depth else set())
                                        | ({PINHOLE} if isinstance(self.camera_model, PinholeCamera) else set()))
        vx, vy, vz = self.cfg.motion.view_pose_mm
        why = self.cfg.workspace.violation(vx, vy, vz)
        if why is not None:
            raise ValueError(f"motion.view_pose_mm is outside the workspace: {why}")
        self._camera = self._open_camera(camera)
        self._client: RMIClient | None = None
        self._last_object: str = ""
        self._skipped: tuple[SkippedObject, ...] = ()
        if not dry_run:
            # Reach the controller now: an unreachable cell is a bad start, not a trial's fault.
            try:
                self._session()
            except BaseException:
                self._camera.close()
                raise

    def _open_camera(self, camera: FrameSource | str | None) -> FrameSource:
        cam_cfg = self.cfg.camera
        if camera is not None and not isinstance(camera, str):
            if self._depth and not (callable(getattr(camera, "read_rgbd", None)) and getattr(camera, "has_depth", True)):
                raise ValueError(f"camera.streams is {cam_cfg.streams!r} but the camera given "
                                 f"({type(camera).__name__}) has no read_rgbd(): expected an RGB-D source")
            return camera
        source = camera if isinstance(camera, str) else cam_cfg.source
        c = self.cfg.calibration
        try:
            if self._depth:
                return open_rgbd(source, cam_cfg.depth_source, cam_cfg.depth_unit_mm, c.width, c.height,
                                 cam_cfg.warmup_frames)
            return open_camera(source, c.width, c.height, cam_cfg.warmup_frames)
        except (RuntimeError, FileNotFoundError, ValueError) as e:
            if not self.dry_run:
                raise
            self._print(f"[dry run] camera unavailable ({e}); using a blank {c.width}x{c.height} frame")
            blank = np.zeros((c.height, c.width, 3), np.uint8)
            return ArrayCamera([blank], [np.zeros((c.height, c.width), np.float32)] if self._depth else None)

    def _capture(self) -> tuple[np.ndarray, np.ndarray | None]:
        """One colour frame and, on an RGB-D cell, its depth (float32 m), undistorted to the
        calibrated pinhole image when the calibration has a lens."""
        if self._depth:
            rgb, depth = self._camera.read_rgbd()  # type: ignore[attr-defined]
        else:
            rgb, depth = self._camera.read(), None
        cam = self.camera_model
        if rgb.shape[:2] != (cam.height, cam.width):
            raise ValueError(f"camera frame is {rgb.shape[1]}x{rgb.shape[0]}, calibration is {cam.width}x{cam.height}: "
                             "recalibrate or set the camera's resolution")
        return self._undistort.apply(rgb, depth) if self._undistort is not None else (rgb, depth)

    # -- session ------------------------------------------------------------------------------
    def _session(self) -> RMIClient:
        """The open, initialised RMI session (opened on first use, kept for the run)."""
        if self._client is not None and self._client.connected:
            return self._client
        factory = DryRunLink.factory(self._print) if self.dry_run else SocketLink.open
        self._client = open_session(self.cfg, self.cfg.arm.utool, factory)
        return self._client

    def close(self) -> None:
        """Abort and disconnect the session, release the camera; safe to call twice."""
        if self._client is not None:
            self._client.close()
            self._client = None
        self._camera.close()

    def __enter__(self) -> "FanucBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- motion helpers -------------------------------------------------------------------------
    def _move(self, *poses: Pose) -> None:
        """Move through ``poses`` (CNT between, FINE at the last) and wait until stopped."""
        rmi = self._session()
        rmi.wait(rmi.move(poses, self.cfg.motion.speed, self.cfg.arm, self.cfg.motion.cnt_value))

    def _gripper(self, close: bool) -> None:
        """Switch the jaws, then let them travel (a controller-side wait)."""
        g, rmi = self.cfg.gripper, self._session()
        rmi.write_dout(g.close_port, close)
        if g.open_port:
            rmi.write_dout(g.open_port, not close)
        rmi.wait(rmi.wait_time(g.close_time_s if close else g.open_time_s))

    def _held(self, stage: str) -> bool:
        """Is the object between the jaws? The jaw-closed input, or the operator."""
        if self.confirm:
            while True:
                answer = self._input(f"[{stage}] is the object held? [y/n] ").strip().lower()
                if answer in ("y", "n"):
                    return answer == "y"
        return not self._session().read_din(self.cfg.gripper.jaw_closed_input)

    # -- the contract ---------------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the camera's frames, pixels, as calibrated."""
        return self.cfg.calibration.height, self.cfg.calibration.width

    def reset(self, seed: int, options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        """Move out of view and capture a frame. The object is ``options["object"]``, else
        the one the cell console stages for ``seed`` once the arm is out of view
        (``cell.stage_url``), else ``objects[seed % len(objects)]`` from the config, else
        "unknown"."""
        seed = check_seed(seed)
        options = check_reset_options(self, options)
        objects = self.cfg.objects
        name = str(options.get("object") or (objects[seed % len(objects)] if objects else "unknown"))
        self._last_object = name
        if self.confirm:
            self._input(f"place object {name!r} in the cell, then press Enter ")
        try:
            self._move(Pose(*self.cfg.motion.view_pose_mm, self.cfg.motion.w_deg, self.cfg.motion.p_deg, 0.0))
        except BaseException as e:
            self.close_session(e)
            raise
        staged: dict[str, Any] = {}
        if self.cfg.cell.stage_url and not self.dry_run and "object" not in options:
            # Staged once the arm is out of the way, as a feeder or an operator would.
            staged = stage(self.cfg.cell.stage_url, seed, self.cfg.cell.stage_timeout_s)
            name = self._last_object = str(staged["object"])
        rgb, depth = self._capture()
        info = {"seed": int(seed), "object": name, "backend": "fanuc", "dry_run": self.dry_run}
        if staged.get("skipped"):
            self._skipped = tuple(SkippedObject(str(d["path"]), str(d["reason"])) for d in staged["skipped"])
        return Observation(rgb, depth, self.camera_model), info

    def skipped_objects(self) -> tuple[SkippedObject, ...]:
        """The object files the cell console reported skipping (``cell.stage_url``); none
        otherwise: a real cell's objects are named, not loaded from files."""
        return self._skipped

    def close_session(self, after: BaseException | None = None) -> None:
        """Abort and disconnect the controller session, keeping the camera. ``after`` a lost
        link or a timeout the cut session's program may still run on the controller: a
        fresh session aborts it and disconnects (best effort: the link may be down)."""
        if self._client is not None:
            self._client.close()
        if isinstance(after, (RMIConnectionError, RMITimeoutError)) and not self.dry_run:
            con = self.cfg.connection
            try:
                RMIClient(con.host, con.port, con.timeout_s, con.motion_timeout_s).open().close()
            except RobotError:
                pass

    def execute(self, grasp: WorldGrasp) -> Outcome:
        """Run one lift-move-place trial. Raises :class:`RobotError` (with ``outcome``)
        when the cell fails; a target outside the workspace is refused before any move."""
        plan = plan_grasp(grasp, self.cfg.motion)
        why = check_plan(plan, grasp, self.cfg.workspace, self.cfg.gripper)
        if why is not None:
            return Outcome(False, UNREACHABLE, detail=f"refused, nothing moved: {why}")
        timer, sensed = StageTimer(), Sensed()
        out = Outcome(False, MISSED)
        try:
            self._gripper(close=False)
            timer.mark("approach")
            self._move(plan.approach, plan.grasp)  # the FINE reply comes before the jaws move
            timer.mark("close")
            self._gripper(close=True)
            sensed.closed_on_object = self._held("closed")
            timer.mark("lift")
            self._move(plan.lift)
            sensed.lifted = self._held("lifted")
            if sensed.lifted:
                timer.mark("carry")
                self._move(plan.away)
                sensed.carried = self._held("carried")
            if sensed.carried:
                timer.mark("place")
                self._move(plan.place)
                sensed.held_when_lowered = self._held("placed")
            # The cell does not see where the object rests once let go (rests_at_place None):
            # placed means held when lowered at the place and released there.
            if sensed.carried:
                timer.mark("release")
            self._gripper(close=False)  # a trial that ended early lets go where it stopped
            if sensed.carried:
                self._move(plan.retreat)
            timer.mark("done")
            out = verdict(sensed)
            out.timings_s = timer.rounded()
            return self._finish(out)
        except RobotError as e:
            out.success, out.reason = False, ROBOT_ERROR
            out.lifted, out.carried = bool(sensed.lifted), bool(sensed.carried)
            out.detail = f"{type(e).__name__}: {e}"
            timer.mark("done")
            out.timings_s = timer.rounded()
            self.close_session(e)  # abort + disconnect before anyone sees the error
            e.outcome = out
            raise
        except BaseException:
            self.close_session()  # Ctrl-C or a bug: still leave the controller clean
            raise

    def _finish(self, out: Outcome) -> Outcome:
        if self.dry_run:
            # Nothing moved: never let a dry run count for or against a policy.
            out.success, out.reason, out.detail = False, ROBOT_ERROR, "dry run: packets printed, nothing moved"
        out.detail = out.detail or f"object {self._last_object}"
        return out
