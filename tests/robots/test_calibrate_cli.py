import numpy as np
import pytest

from simgrasp.calibrate import main, parse_set, read_pairs
from simgrasp.geometry.homography import apply_homography
from simgrasp.robots.backend import camera_model
from simgrasp.robots.config import load_robot_config

H_TRUE = np.array([[0.02, -0.95, 610.0], [-0.93, 0.01, 300.0], [2e-6, 1e-6, 1.0]])  # pixels -> mm


def pairs(noise_mm=0.0, seed=0):
    u, v = np.meshgrid(np.linspace(30, 610, 4), np.linspace(30, 450, 3))
    px = np.c_[u.ravel(), v.ravel()]
    xy = apply_homography(H_TRUE, px) + np.random.default_rng(seed).normal(0, noise_mm, (len(px), 2))
    return px, xy


def write_csv(path, px, xy):
    rows = ["u,v,x_mm,y_mm"] + [f"{a},{b},{c},{d}" for (a, b), (c, d) in zip(px, xy)]
    path.write_text("\n".join(rows) + "\n")


def test_csv_calibration_is_saved_with_the_cell_settings(tmp_path, capsys):
    px, xy = pairs()
    write_csv(tmp_path / "pairs.csv", px, xy)
    cfg_path = tmp_path / "robot.toml"
    code = main(["--pairs", str(tmp_path / "pairs.csv"), "--config", str(cfg_path), "--width", "640", "--height", "480",
                 "--table-z-mm", "12.5", "--lift-height-mm", "120", "--close-port", "3", "--jaw-closed-input", "4",
                 "--max-speed-mm-s", "150", "--set", 'camera.source="2"'])
    assert code == 0
    assert "mean error 0.00 mm" in capsys.readouterr().out
    cfg = load_robot_config(cfg_path)
    assert cfg.calibration.n_points == 12 and cfg.calibration.mean_error_mm < 1e-6
    assert (cfg.motion.table_z_mm, cfg.motion.lift_height_mm, cfg.motion.max_speed_mm_s) == (12.5, 120.0, 150)
    assert (cfg.gripper.close_port, cfg.gripper.jaw_closed_input, cfg.camera.source) == (3, 4, "2")
    cam = camera_model(cfg)  # the backend's camera reproduces the true mapping, in metres
    np.testing.assert_allclose(cam.pixel_to_world(100, 200), apply_homography(H_TRUE, [[100, 200]])[0] / 1000, atol=1e-9)
    assert cam.grasp_z_m == pytest.approx((12.5 + cfg.motion.grasp_height_mm) / 1000)


def test_toml_pairs_with_noise_report_a_sensible_error(tmp_path, capsys):
    px, xy = pairs(noise_mm=1.0)
    rows = "".join(f"[[pairs]]\nu = {a}\nv = {b}\nx_mm = {c}\ny_mm = {d}\n" for (a, b), (c, d) in zip(px, xy))
    (tmp_path / "pairs.toml").write_text(rows)
    assert main(["--pairs", str(tmp_path / "pairs.toml"), "--config", str(tmp_path / "r.toml")]) == 0
    cfg = load_robot_config(tmp_path / "r.toml")
    assert 0.2 < cfg.calibration.mean_error_mm < 2.0
    assert cfg.calibration.max_error_mm >= cfg.calibration.mean_error_mm


def test_bad_fit_is_not_saved(tmp_path):
    px, xy = pairs(noise_mm=20.0)
    write_csv(tmp_path / "pairs.csv", px, xy)
    out = tmp_path / "r.toml"
    assert main(["--pairs", str(tmp_path / "pairs.csv"), "--config", str(out), "--max-error-mm", "2"]) == 2
    assert not out.exists()


def test_existing_config_keeps_its_other_settings(tmp_path, example_config):
    px, xy = pairs()
    write_csv(tmp_path / "pairs.csv", px, xy)
    out = tmp_path / "r.toml"
    assert main(["--pairs", str(tmp_path / "pairs.csv"), "--config", str(example_config), "--out", str(out)]) == 0
    before, after = load_robot_config(example_config), load_robot_config(out)
    assert after.objects == before.objects and after.connection == before.connection
    assert after.calibration != before.calibration


def test_pair_files_are_checked(tmp_path):
    (tmp_path / "few.csv").write_text("u,v,x_mm,y_mm\n1,2,3,4\n")
    with pytest.raises(ValueError, match="at least 4"):
        read_pairs(tmp_path / "few.csv")
    (tmp_path / "bad.csv").write_text("u,v,x,y\n1,2,3,4\n")
    with pytest.raises(ValueError, match="x_mm"):
        read_pairs(tmp_path / "bad.csv")


def test_parse_set():
    assert parse_set(["motion.speed_mm_s=80", "camera.source=rtsp://cam"]) == {
        "motion": {"speed_mm_s": 80},
        "camera": {"source": "rtsp://cam"},
    }
    with pytest.raises(ValueError, match="SECTION.KEY"):
        parse_set(["speed=3"])


def write_3d_csv(path, k1=-0.2, n=5):
    """Marker positions (mm) at three heights and their pixels through a known camera."""
    from simgrasp.geometry import Intrinsics, PinholeCamera
    from simgrasp.geometry.frames import wpr_matrix
    from simgrasp.geometry.lens import RadialLens
    from simgrasp.geometry.pinhole_fit import PinholeFit

    truth = PinholeFit(PinholeCamera(Intrinsics(320, 320, 640.0, 640.0, 160.0, 158.0),
                                     wpr_matrix(410.0, -8.0, 560.0, 178.0, -2.0, 3.0)), RadialLens(k1, 0.0), 0.0)
    g = np.linspace(-90.0, 90.0, n)
    xyz = np.array([(400.0 + x, y, z) for x in g for y in g for z in (10.0, 85.0, 160.0)])
    px = truth.project(xyz / 1000.0)
    rows = ["u,v,x_mm,y_mm,z_mm"] + [f"{a},{b},{x},{y},{z}" for (a, b), (x, y, z) in zip(px, xyz)]
    path.write_text("\n".join(rows) + "\n")
    return truth


@pytest.mark.parametrize("distortion", ["auto", "off"])
def test_3d_pairs_fit_and_save_a_pinhole_with_held_out_errors(tmp_path, capsys, distortion):
    truth = write_3d_csv(tmp_path / "pairs.csv")
    out = tmp_path / "cell.toml"
    argv = ["--pairs", str(tmp_path / "pairs.csv"), "--config", str(out), "--width", "320", "--height", "320",
            "--distortion", distortion]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "lens distortion on :" in text and "lens distortion off:" in text and "held out" in text
    cfg = load_robot_config(out)
    cam = camera_model(cfg)
    assert cfg.calibration.pinhole and cfg.calibration.homography == ()
    if distortion == "auto":  # the lens is found, and with it the camera
        assert cfg.calibration.distortion[0] == pytest.approx(-0.2, abs=0.02)
        assert cam.T_world_cam[:3, 3] == pytest.approx(truth.camera.T_world_cam[:3, 3], abs=1e-4)
        assert cfg.calibration.mean_error_mm < 0.01 and cfg.calibration.mean_error_px < 0.01
    else:  # without it, a worse fit is saved and says so
        assert cfg.calibration.distortion == () and cfg.calibration.mean_error_mm > 0.1


def test_a_homography_fit_replaces_a_3d_calibration(tmp_path):
    write_3d_csv(tmp_path / "p3.csv")
    out = tmp_path / "cell.toml"
    assert main(["--pairs", str(tmp_path / "p3.csv"), "--config", str(out), "--width", "320", "--height", "320"]) == 0
    px, xy = pairs()
    write_csv(tmp_path / "p2.csv", px, xy)
    assert main(["--pairs", str(tmp_path / "p2.csv"), "--config", str(out)]) == 0
    cal = load_robot_config(out).calibration
    assert not cal.pinhole and cal.camera_pose_mm == () and len(cal.homography) == 9
