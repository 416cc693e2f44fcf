import cv2
import numpy as np
import pytest

from simgrasp.robots.camera import ArrayCamera, FolderCamera, open_camera


def write_frames(folder, n=2):
    for i in range(n):
        bgr = np.zeros((6, 8, 3), np.uint8)
        bgr[..., 2] = 200 + i  # red in OpenCV's BGR order
        cv2.imwrite(str(folder / f"frame_{i:02d}.png"), bgr)


def test_folder_replay_gives_rgb_in_name_order_and_loops(tmp_path):
    write_frames(tmp_path)
    (tmp_path / "notes.txt").write_text("not an image")
    cam = open_camera(str(tmp_path))
    assert isinstance(cam, FolderCamera)
    frames = [cam.read() for _ in range(3)]
    assert frames[0].shape == (6, 8, 3) and frames[0].dtype == np.uint8
    assert frames[0][0, 0, 0] == 200 and frames[0][0, 0, 2] == 0  # RGB: red first
    assert frames[1][0, 0, 0] == 201 and frames[2][0, 0, 0] == 200


def test_folder_without_images_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no images"):
        FolderCamera(tmp_path)


def test_replay_without_loop_ends(tmp_path):
    write_frames(tmp_path, 1)
    cam = FolderCamera(tmp_path, loop=False)
    cam.read()
    with pytest.raises(StopIteration):
        cam.read()


def test_array_camera_checks_frames():
    with pytest.raises(ValueError, match="RGB uint8"):
        ArrayCamera([np.zeros((4, 4), np.uint8)])
    cam = ArrayCamera([np.ones((4, 4, 3), np.uint8)])
    frame = cam.read()
    frame[:] = 0
    assert cam.read().max() == 1  # callers get copies


def test_empty_source_is_refused():
    with pytest.raises(ValueError, match="camera.source"):
        open_camera("")
