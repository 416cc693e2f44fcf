"""Put the twin behind an RMI emulator: the controller drives it, the console shows it.

:class:`TwinRig` bundles what ``python -m simgrasp.rehearsal --twin`` serves: the
:class:`~simgrasp.rehearsal.twin.TwinCell` attached to the emulator's controller, the
mounted :class:`~simgrasp.rehearsal.twin_camera.TwinCamera` and the cell console (frames at
``/frame.png``, depth frames at ``/depth.png``, scenes staged by seed at ``/scene``). Tests and the bench use it in-process.
"""

from __future__ import annotations

from typing import Any

from simgrasp.rehearsal.console import ConsoleServer
from simgrasp.rehearsal.emulator import RMIEmulator
from simgrasp.rehearsal.twin import TwinCell, TwinConfig
from simgrasp.rehearsal.twin_camera import TwinCamera, TwinCameraConfig


class TwinRig:
    """A twin cell on loopback. ``port``/``console_port``: 0 picks free ports; other
    keywords go to :class:`RMIEmulator` (``session_port``...)."""

    def __init__(
        self,
        cfg: TwinConfig | None = None,
        camera: TwinCameraConfig | None = None,
        seed: int = 0,
        port: int = 0,
        console_port: int = 0,
        **emulator: Any,
    ) -> None:
        self.cell = TwinCell(cfg, seed)
        self.camera = TwinCamera(self.cell, camera)
        self.emulator = RMIEmulator(port=port, cell=self.cell, **emulator)
        self.console = ConsoleServer(self.camera.read, self.cell.reset_scene, console_port, self.camera.read_depth)

    @property
    def frame_source(self) -> str:
        """``camera.source`` of a robot config reading this twin's camera."""
        return f"snapshot:{self.console.url}/frame.png"

    @property
    def depth_source(self) -> str:
        """``camera.depth_source`` of a robot config reading this twin's depth frames."""
        return f"snapshot:{self.console.url}/depth.png"

    def robot_overrides(self) -> dict[str, Any]:
        """Robot-config overrides pointing a cell at this rig (ports are picked at start;
        the depth source is read only by a config whose ``camera.streams`` has depth)."""
        return {
            "connection": {"host": "127.0.0.1", "port": self.emulator.port},
            "camera": {"source": self.frame_source, "depth_source": self.depth_source},
            "cell": {"stage_url": self.console.url},
        }

    def start(self) -> "TwinRig":
        self.emulator.start()
        self.console.start()
        return self

    def stop(self) -> None:
        self.console.stop()
        self.emulator.stop()
        self.cell.close()

    def __enter__(self) -> "TwinRig":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
