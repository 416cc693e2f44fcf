from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from simgrasp.robots.backend import FanucBackend
from simgrasp.robots.camera import ArrayCamera
from simgrasp.robots.rmi import RMIClient
from simgrasp.robots.rmi_emulator import RMIEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "robot" / "example_robot.toml"


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


@pytest.fixture(scope="module")
def twin_rig():
    """A twin cell on loopback (free ports), shared by a module's tests: building its world
    costs a few hundred ms. Tests stage the scene they need by seed."""
    from simgrasp.robots.twin import TwinConfig
    from simgrasp.robots.twin_serve import TwinRig

    with TwinRig(TwinConfig(objects="random_urdfs:900-909")) as rig:
        yield rig


@pytest.fixture
def twin_backend(twin_rig) -> Iterator[Callable[..., FanucBackend]]:
    """FanucBackends on the twin from assets/robot/twin.toml, pointed at the rig's ports."""
    made: list[FanucBackend] = []

    def make(overrides: dict[str, Any] | None = None, **kw: Any) -> FanucBackend:
        o = twin_rig.robot_overrides()
        for section, values in (overrides or {}).items():
            o[section] = {**o.get(section, {}), **values}
        backend = FanucBackend(TWIN, overrides=o, **kw)
        made.append(backend)
        return backend

    yield make
    for b in made:
        b.close()
