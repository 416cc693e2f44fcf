from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from simgrasp.robots.backend import FanucBackend
from simgrasp.robots.camera import ArrayCamera
from simgrasp.robots.rmi import RMIClient
from simgrasp.rehearsal.emulator import RMIEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "robot" / "example_robot.toml"


def staged(seed: int) -> dict[str, Any]:
    """A staging station that serves seeds 0..5."""
    if seed > 5:
        raise ValueError(f"no scene {seed}")
    return {"seed": seed, "object": f"thing{seed}"}


@pytest.fixture
def console() -> Iterator[tuple[Any, np.ndarray]]:
    """A cell console on a free port serving a red rectangle and staging seeds 0..5."""
    from simgrasp.rehearsal.console import ConsoleServer

    frame = np.zeros((12, 16, 3), np.uint8)
    frame[2:5, 3:9] = (200, 10, 30)
    server = ConsoleServer(lambda: frame, staged).start()
    yield server, frame
    server.stop()


@pytest.fixture
def example_config() -> Path:
    return EXAMPLE


@pytest.fixture
def emulator() -> Iterator[RMIEmulator]:
    with RMIEmulator(port=0) as emu:
        yield emu


@pytest.fixture
def make_client(emulator: RMIEmulator) -> Callable[..., RMIClient]:
    """RMI clients for the emulator, with short timeouts."""

    def make(**kw: Any) -> RMIClient:
        return RMIClient("127.0.0.1", emulator.port, **{"timeout_s": 2.0, "motion_timeout_s": 2.0, **kw})

    return make


@pytest.fixture
def make_backend(emulator: RMIEmulator) -> Iterator[Callable[..., FanucBackend]]:
    """The example cell pointed at the emulator, with short waits and a grey camera."""
    made: list[FanucBackend] = []

    def make(overrides: dict[str, Any] | None = None, **kw: Any) -> FanucBackend:
        o = {
            "connection": {"host": "127.0.0.1", "port": emulator.port, "timeout_s": 2.0, "motion_timeout_s": 2.0},
            "gripper": {"close_time_s": 0.01, "open_time_s": 0.01},
        }
        for section, values in (overrides or {}).items():
            o[section] = {**o.get(section, {}), **values} if isinstance(values, dict) else values
        camera = ArrayCamera([np.full((480, 640, 3), 90, np.uint8)])
        backend = FanucBackend(EXAMPLE, camera=camera, overrides=o, **kw)
        made.append(backend)
        return backend

    yield make
    for b in made:
        b.close()


TWIN = Path(__file__).resolve().parents[2] / "assets" / "robot" / "twin.toml"
TWIN_RGBD = TWIN.with_name("twin_rgbd.toml")  # the twin as an RGB-D cell with a 3-D calibration


@pytest.fixture(scope="module")
def twin_rig():
    """A twin cell on loopback (free ports), shared by a module's tests: building its world
    costs a few hundred ms. Tests stage the scene they need by seed."""
    from simgrasp.rehearsal.twin import TwinConfig
    from simgrasp.rehearsal.rig import TwinRig

    with TwinRig(TwinConfig(objects="random_urdfs:900-909")) as rig:
        yield rig


@pytest.fixture
def twin_backend(twin_rig) -> Iterator[Callable[..., FanucBackend]]:
    """FanucBackends on the twin from assets/robot/twin.toml (``config=TWIN_RGBD``: the
    RGB-D cell), pointed at the rig's ports."""
    made: list[FanucBackend] = []

    def make(overrides: dict[str, Any] | None = None, config: Path = TWIN, **kw: Any) -> FanucBackend:
        o = twin_rig.robot_overrides()
        for section, values in (overrides or {}).items():
            o[section] = {**o.get(section, {}), **values}
        backend = FanucBackend(config, overrides=o, **kw)
        made.append(backend)
        return backend

    yield make
    for b in made:
        b.close()


class RawSession:
    """A hand-rolled RMI session for sending what no well-formed client would: raw lines on
    the session port (after a real FRC_Connect hand-over), replies read with a timeout."""

    def __init__(self, port: int, timeout_s: float = 2.0) -> None:
        import socket

        from simgrasp.robots import rmi_protocol as rp

        self.timeout_s = timeout_s
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as first:
            first.sendall(rp.encode(rp.communication("FRC_Connect")))
            reply = self._read_line(first, rp.LineBuffer())
        self.connect_reply = rp.decode(reply)
        self.sock = socket.create_connection(("127.0.0.1", int(self.connect_reply["PortNumber"])), timeout=timeout_s)
        self._buf = rp.LineBuffer()
        self._lines: list[bytes] = []

    def _read_line(self, sock, buf) -> bytes:
        lines: list[bytes] = []
        while not lines:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("the emulator closed the connection")
            lines = buf.feed(data)
        return lines[0]

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, packet: Any) -> None:
        import json

        self.sock.sendall(json.dumps(packet).encode() + b"\r\n")

    def receive(self) -> dict[str, Any]:
        """The next packet from the emulator (``socket.timeout`` when none comes)."""
        from simgrasp.robots import rmi_protocol as rp

        while not self._lines:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the emulator closed the session")
            self._lines.extend(self._buf.feed(data))
        return rp.decode(self._lines.pop(0))

    def ask(self, packet: Any) -> dict[str, Any]:
        self.send(packet)
        return self.receive()

    def close(self) -> None:
        """Disconnect as a client should (so the emulator is free again), then close."""
        import socket

        try:
            self.send({"Communication": "FRC_Disconnect"})
            while self.receive().get("Communication") != "FRC_Disconnect":
                pass
        except (OSError, ConnectionError, socket.timeout):
            pass  # the emulator closed the session already
        self.sock.close()

    def __enter__(self) -> "RawSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serves_a_client(port: int) -> None:
    """A well-formed client connects, runs a short program and leaves cleanly (raises otherwise)."""
    from simgrasp.robots.rmi_protocol import Configuration, Pose

    with RMIClient("127.0.0.1", port, timeout_s=2.0, motion_timeout_s=2.0) as rmi:
        if int(rmi.status().get("RMIMotionStatus", 0)):
            rmi.abort()
        rmi.initialize()
        rmi.set_frames(1, 1)
        rmi.wait(rmi.move([Pose(400.0, 0.0, 200.0), Pose(420.0, 10.0, 150.0)], 200, Configuration(uframe=1)))
        rmi.wait(rmi.wait_time(0.0))
        assert rmi.read_position() == Pose(420.0, 10.0, 150.0)
