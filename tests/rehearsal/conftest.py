"""The rehearsal tests share the robot tests' fixtures: emulators, clients, backends, the
twin rig and the cell console."""

from tests.robots.conftest import (  # noqa: F401  (fixtures and helpers, re-exported)
    TWIN,
    TWIN_RGBD,
    RawSession,
    console,
    emulator,
    make_backend,
    make_client,
    serves_a_client,
    twin_backend,
    twin_rig,
)
