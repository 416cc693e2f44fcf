import numpy as np
import pytest

from simgrasp.calibrate import calibrated, main
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
    truth = held_out_error_mm(twin_rig, cfg, np.asarray(fitted.calibration.homography).reshape(3, 3), 12)
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
