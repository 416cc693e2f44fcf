import numpy as np
import pytest

from simgrasp.robots.camera import SnapshotCamera, open_camera
from simgrasp.robots.console import CellConsoleError, CellStagingError, ConsoleServer, stage


def staged(seed: int) -> dict:
    if seed > 5:
        raise ValueError(f"no scene {seed}")
    return {"seed": seed, "object": f"thing{seed}"}


@pytest.fixture
def console():
    frame = np.zeros((12, 16, 3), np.uint8)
    frame[2:5, 3:9] = (200, 10, 30)
    server = ConsoleServer(lambda: frame, staged).start()
    yield server, frame
    server.stop()


def test_snapshot_camera_reads_the_frame_back_exactly(console):
    server, frame = console
    cam = open_camera(f"snapshot:{server.url}/frame.png")
    assert isinstance(cam, SnapshotCamera)
    assert np.array_equal(cam.read(), frame)  # PNG: lossless, RGB kept in order


def test_stage_names_the_object_and_reports_refusals(console):
    server, _ = console
    assert stage(server.url, 3) == {"seed": 3, "object": "thing3"}
    with pytest.raises(CellStagingError, match="no scene 9"):
        stage(server.url, 9)


def test_a_console_that_is_not_there_stops_the_run():
    with pytest.raises(CellConsoleError, match="no answer"):
        stage("http://127.0.0.1:9", 0, timeout_s=1.0)
