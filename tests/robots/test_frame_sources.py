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


# -- depth ------------------------------------------------------------------------------------
from simgrasp.robots.camera import (  # noqa: E402
    PairedCamera, decode_depth_png, depth_to_counts, open_rgbd, read_depth_image,
)


def write_depth(path, depth_m, unit_mm=1.0):
    assert cv2.imwrite(str(path), depth_to_counts(depth_m, unit_mm))


def test_depth_counts_round_trip_in_millimetres_with_holes_kept():
    d = np.array([[0.5604, 0.0, np.nan], [-1.0, 70.0, 0.0125]], np.float32)
    counts = depth_to_counts(d)
    assert counts.dtype == np.uint16 and counts.tolist() == [[560, 0, 0], [0, 0, 13]]  # 70 m is beyond 16 bits
    ok, png = cv2.imencode(".png", depth_to_counts(d, 0.1))
    back = decode_depth_png(png.tobytes(), 0.1)
    assert back.dtype == np.float32 and back[0, 0] == pytest.approx(0.5604, abs=1e-6) and back[0, 1] == 0.0


def test_a_colour_png_is_not_a_depth_image(tmp_path):
    cv2.imwrite(str(tmp_path / "c.png"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="16-bit single-channel"):
        read_depth_image(tmp_path / "c.png")


def test_a_folder_pairs_each_frame_with_its_depth_beside_it(tmp_path):
    write_frames(tmp_path)
    for i in range(2):
        write_depth(tmp_path / f"frame_{i:02d}.depth.png", np.full((6, 8), 0.5 + 0.01 * i, np.float32))
    colour_only = open_camera(str(tmp_path))
    assert len(colour_only.paths) == 2  # depth files are never replayed as colour frames
    cam = open_rgbd(str(tmp_path))
    (rgb0, d0), (rgb1, d1) = cam.read_rgbd(), cam.read_rgbd()
    assert rgb0[0, 0, 0] == 200 and rgb1[0, 0, 0] == 201
    assert d0.dtype == np.float32 and d0[0, 0] == pytest.approx(0.50) and d1[0, 0] == pytest.approx(0.51)


def test_a_folder_frame_without_depth_is_refused_at_open(tmp_path):
    write_frames(tmp_path)
    write_depth(tmp_path / "frame_00.depth.png", np.full((6, 8), 0.5, np.float32))
    with pytest.raises(FileNotFoundError, match="no depth frame for frame_01.png"):
        open_rgbd(str(tmp_path))


@pytest.mark.parametrize("source, kind", [("0", "OpenCV"), ("rtsp://cam/stream", "OpenCV"),
                                          ("snapshot:http://127.0.0.1:1/frame.png", "snapshot URL")])
def test_a_colour_only_source_without_a_depth_source_says_so(source, kind):
    with pytest.raises(ValueError, match=f"{kind}.*camera.depth_source"):
        open_rgbd(source)


def test_a_depth_source_must_be_a_snapshot_url(tmp_path):
    with pytest.raises(ValueError, match="snapshot:URL"):
        open_rgbd(str(tmp_path), depth_source=str(tmp_path))


def test_a_snapshot_depth_url_pairs_with_the_colour_url():
    from simgrasp.rehearsal.console import ConsoleServer

    frame = np.zeros((12, 16, 3), np.uint8)
    depth = np.full((12, 16), 0.55, np.float32)
    depth[3:6, 4:9] = 0.0  # a hole
    server = ConsoleServer(lambda: frame, lambda s: {}, depth=lambda: depth).start()
    try:
        cam = open_rgbd(f"snapshot:{server.url}/frame.png", f"snapshot:{server.url}/depth.png")
        assert isinstance(cam, PairedCamera)
        rgb, d = cam.read_rgbd()
        assert rgb.shape == (12, 16, 3) and d.shape == (12, 16) and d.dtype == np.float32
        assert d[0, 0] == pytest.approx(0.55) and d[4, 5] == 0.0
        wrong = open_rgbd(f"snapshot:{server.url}/frame.png", f"snapshot:{server.url}/frame.png")
        with pytest.raises(RuntimeError, match="no 16-bit depth image"):
            wrong.read_rgbd()
    finally:
        server.stop()


def test_array_camera_depths_are_registered_to_the_frames():
    with pytest.raises(ValueError, match="registered"):
        ArrayCamera([np.zeros((4, 4, 3), np.uint8)], [np.zeros((4, 5), np.float32)])
    with pytest.raises(RuntimeError, match="no depth"):
        ArrayCamera([np.zeros((4, 4, 3), np.uint8)]).read_rgbd()
    rgb, d = ArrayCamera([np.zeros((4, 4, 3), np.uint8)], [np.full((4, 4), 0.3)]).read_rgbd()
    assert d.dtype == np.float32 and d[0, 0] == pytest.approx(0.3)
