"""The client of a cell console (stage) and the snapshot camera, against the twin's console
server (the ``console`` fixture)."""

import numpy as np
import pytest

from simgrasp.robots.camera import SnapshotCamera, open_camera
from simgrasp.robots.console import CellConsoleError, CellStagingError, stage


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

