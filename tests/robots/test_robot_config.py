import pytest

from simgrasp.robots.config import RobotConfig, WorkspaceConfig, load_robot_config, save_robot_config


def test_example_config_loads(example_config):
    cfg = load_robot_config(example_config)
    assert cfg.calibration.n_points == 4 and len(cfg.calibration.homography) == 9
    assert cfg.objects[0] == "mug"
    assert cfg.motion.override_percent == 10
    assert cfg.arm.uframe == 1


def test_typo_fails_loudly(tmp_path):
    p = tmp_path / "robot.toml"
    p.write_text("[motion]\nlift_hieght_mm = 100.0\n")
    with pytest.raises(ValueError, match="lift_hieght_mm.*valid keys.*lift_height_mm"):
        load_robot_config(p)


def test_wrong_type_fails(tmp_path):
    p = tmp_path / "robot.toml"
    p.write_text('[gripper]\nclose_port = "one"\n')
    with pytest.raises(ValueError, match="close_port expects int"):
        load_robot_config(p)


@pytest.mark.parametrize(
    "text, why",
    [
        ("[motion]\noverride_percent = 0\n", "override_percent"),
        ("[workspace]\nx_mm = [600.0, 100.0]\n", "low < high"),
        ("[calibration]\nhomography = [1.0, 2.0]\n", "9 values"),
    ],
)
def test_unsafe_values_are_refused(tmp_path, text, why):
    p = tmp_path / "robot.toml"
    p.write_text(text)
    with pytest.raises(ValueError, match=why):
        load_robot_config(p)


def test_save_and_load_round_trip(tmp_path, example_config):
    cfg = load_robot_config(example_config)
    out = tmp_path / "saved.toml"
    save_robot_config(cfg, out)
    assert load_robot_config(out) == cfg
    save_robot_config(RobotConfig(), out)
    assert load_robot_config(out) == RobotConfig()


def test_speed_is_capped():
    cfg = RobotConfig()
    from dataclasses import replace

    assert replace(cfg.motion, speed_mm_s=900, max_speed_mm_s=250).speed == 250
    assert replace(cfg.motion, speed_mm_s=90, max_speed_mm_s=250).speed == 90


def test_workspace_violation_names_the_axis():
    ws = WorkspaceConfig(x_mm=(0.0, 10.0), y_mm=(0.0, 10.0), z_mm=(0.0, 10.0))
    assert ws.violation(5, 5, 5) is None
    assert "Z=12.0" in ws.violation(5, 5, 12)
    assert ws.violation(float("nan"), 5, 5) is not None
