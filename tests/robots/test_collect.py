import numpy as np
import pytest

from simgrasp.calibrate import calibrated, main
from simgrasp.geometry.homography import apply_homography
from simgrasp.robots.bench import held_out_error_mm
from simgrasp.robots.collect import collect_pairs, find_marker, grid_points
from simgrasp.robots.config import load_robot_config

from .conftest import TWIN


def test_find_marker_gives_the_centroid_and_size_or_none():
    img = np.full((40, 50, 3), 120, np.uint8)
    assert find_marker(img) is None
    img[10:14, 20:26] = (255, 0, 255)
    u, v, n = find_marker(img)
    assert (u, v, n) == (22.5, 11.5, 24)


def test_grid_points_span_the_box_row_by_row():
    g = grid_points((300.0, 500.0), (-100.0, 100.0), 3)
    assert g.shape == (9, 2)
    assert g[0].tolist() == [300.0, -100.0] and g[-1].tolist() == [500.0, 100.0]
    with pytest.raises(ValueError, match="n >= 2"):
        grid_points((0, 1), (0, 1), 1)


def test_calibration_on_the_twin_is_within_a_millimetre_of_the_truth(twin_rig):
    cfg = load_robot_config(TWIN)
    cfg = cfg.__class__(**{**cfg.__dict__, "connection": cfg.connection.__class__(port=twin_rig.emulator.port)})
    twin_rig.cell.reset_scene(3)
    px, xy = collect_pairs(cfg, twin_rig.camera, grid_points((320.0, 480.0), (-80.0, 80.0), 4), say=lambda s: None)
    assert len(px) >= 12
    fitted, err = calibrated(cfg, px, xy, 320, 320)
    assert err.mean() < 0.5
    # Ground truth: the ball put at points the fit never saw, on the grasp plane.
    H = np.asarray(fitted.calibration.homography).reshape(3, 3)
    truth = held_out_error_mm(twin_rig, cfg, lambda seen: apply_homography(H, seen), 12)
    assert len(truth) >= 10 and truth.mean() < 0.5


def test_calibrate_collect_writes_the_fit(twin_rig, tmp_path, capsys):
    cfg_path = tmp_path / "cell.toml"
    cfg_path.write_text(TWIN.read_text().replace("port = 16001", f"port = {twin_rig.emulator.port}")
                        .replace("http://127.0.0.1:16010", twin_rig.console.url))
    assert main(["--collect", "--config", str(cfg_path)]) == 0
    out = capsys.readouterr().out
    assert "mean error" in out and "saved" in out
    cal = load_robot_config(cfg_path).calibration
    assert cal.n_points >= 20 and cal.mean_error_mm < 0.5 and (cal.width, cal.height) == (320, 320)


# -- 3-D calibration ----------------------------------------------------------------------------
from simgrasp.robots.bench import plane_xy_mm  # noqa: E402
from simgrasp.robots.calibration import best, fit_and_hold_out, held_out_mask, pinhole_calibrated  # noqa: E402
from simgrasp.robots.cell_camera import camera_model  # noqa: E402
from simgrasp.robots.collect import collect_points, grid_columns  # noqa: E402

from .conftest import TWIN_RGBD  # noqa: E402


def test_grid_columns_climb_each_column_before_the_next():
    pts = grid_columns((300.0, 500.0), (-100.0, 100.0), 2, [85.0, 10.0])
    assert pts.shape == (8, 3)
    assert pts[:3].tolist() == [[300.0, -100.0, 10.0], [300.0, -100.0, 85.0], [300.0, 100.0, 10.0]]


def test_every_fifth_point_is_held_out():
    assert held_out_mask(10).tolist() == [False, False, True, False, False] * 2


def rgbd_cfg(rig):
    cfg = load_robot_config(TWIN_RGBD)
    return cfg.__class__(**{**cfg.__dict__, "connection": cfg.connection.__class__(port=rig.emulator.port)})


def test_a_3d_calibration_on_the_twin_is_within_a_millimetre_of_the_truth(twin_rig):
    cfg = rgbd_cfg(twin_rig)
    twin_rig.cell.reset_scene(3)
    points = grid_columns((320.0, 480.0), (-80.0, 80.0), 3, [10.0, 85.0, 160.0])
    px, xyz = collect_points(cfg, twin_rig.camera, points, say=lambda s: None)
    assert len(px) >= 20 and len(np.unique(xyz[:, 2])) == 3
    on, off = fit_and_hold_out(px, xyz, 320, 320)
    assert on.distortion and not off.distortion and off.fit.lens.perfect
    assert best([on, off]).mm.mean() < 0.5 and best([on, off]).px.mean() < 0.5
    # Ground truth: the ball put at points the fit never saw, on the grasp plane.
    fitted = pinhole_calibrated(cfg, best([on, off]))
    fit = best([on, off]).fit
    truth = held_out_error_mm(twin_rig, fitted, lambda seen: plane_xy_mm(fit, seen, cfg.motion.grasp_z_mm), 12)
    assert len(truth) >= 10 and truth.mean() < 1.0
    # the saved calibration is the observation's camera: the camera's true place within a few mm
    T_user_world = np.linalg.inv(twin_rig.cell.frame(twin_rig.cell.cfg.uframes, 1, "UFrame"))
    true_centre = (T_user_world @ twin_rig.camera.camera.T_world_cam)[:3, 3]
    assert np.abs(camera_model(fitted).T_world_cam[:3, 3] - true_centre).max() < 0.003


def test_calibrate_collect_on_an_rgbd_cell_writes_a_pinhole_calibration(twin_rig, tmp_path, capsys):
    cfg_path = tmp_path / "cell.toml"
    cfg_path.write_text(TWIN_RGBD.read_text().replace("port = 16001", f"port = {twin_rig.emulator.port}")
                        .replace("http://127.0.0.1:16010", twin_rig.console.url))
    assert main(["--collect", "--config", str(cfg_path), "--set", "calibration.grid_n=3"]) == 0
    out = capsys.readouterr().out
    assert "lens distortion on :" in out and "lens distortion off:" in out and "held-out reprojection" in out
    cal = load_robot_config(cfg_path).calibration
    assert cal.pinhole and len(cal.camera_pose_mm) == 6 and cal.homography == ()
    assert cal.mean_error_mm < 0.5 and cal.mean_error_px < 0.5 and cal.n_points >= 12


@pytest.mark.slow
def test_with_a_barrel_lens_the_3d_fit_needs_its_distortion():
    from simgrasp.rehearsal.rig import TwinRig
    from simgrasp.rehearsal.twin import TwinConfig
    from simgrasp.rehearsal.twin_camera import TwinCameraConfig

    with TwinRig(TwinConfig(objects="random_urdfs:900-901"), TwinCameraConfig(k1=-0.3)) as rig:
        cfg = rgbd_cfg(rig)
        c = cfg.calibration
        points = grid_columns(c.grid_x_mm, c.grid_y_mm, c.grid_n, [cfg.motion.grasp_z_mm + h for h in c.grid_heights_mm])
        px, xyz = collect_points(cfg, rig.camera, points, say=lambda s: None)
        on, off = fit_and_hold_out(px, xyz, 320, 320)
        truth = {f.distortion: held_out_error_mm(rig, cfg, lambda s, f=f: plane_xy_mm(f.fit, s, cfg.motion.grasp_z_mm), 30)
                 for f in (on, off)}
    assert best([on, off]) is on and not on.fit.lens.perfect
    assert truth[True].mean() < 0.5 < truth[False].mean(), (truth[True].mean(), truth[False].mean())
