"""simgrasp/config.py: strict overrides and the ranges every config field declares."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import pytest

from simgrasp.config import (
    FINITE, FLAG, FRACTION, NAME, NON_NEGATIVE, POSITIVE, POSITIVE_INT, Choice, ConfigError, Maybe, Number, Parsed,
    Values, between, check_config, field_rule, override, pair, setting,
)
from simgrasp.model import config as model_config
from simgrasp.robots import config as robot_config
from simgrasp.sim import config as sim_config

CONFIG_MODULES = (sim_config, robot_config, model_config)


def is_section(f: dataclasses.Field) -> bool:
    """A nested config (a dataclass built by its factory): its own fields declare ranges."""
    return isinstance(f.default_factory, type) and dataclasses.is_dataclass(f.default_factory)


def config_classes() -> list[type]:
    """Every config dataclass the config modules define, and every one nested in them
    wherever it is defined (``RobotConfig.arm`` is the RMI packet's Configuration)."""
    found = [
        c for m in CONFIG_MODULES for c in vars(m).values()
        if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == m.__name__
    ]
    for c in found:  # grows while it is walked: sections of sections
        found += [f.default_factory for f in dataclasses.fields(c) if is_section(f) and f.default_factory not in found]
    return found


def test_the_config_modules_are_found():
    names = {c.__name__ for c in config_classes()}
    assert {"SimConfig", "GripperConfig", "TrialConfig", "RobotConfig", "MotionConfig", "ModelConfig",
            "Configuration"} <= names


@pytest.mark.parametrize("cls", config_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_field_declares_its_range(cls):
    missing = [f.name for f in dataclasses.fields(cls) if not is_section(f) and field_rule(f) is None]
    assert not missing, f"{cls.__name__} fields without a range (declare one with simgrasp.config.setting): {missing}"


@pytest.mark.parametrize("cls", config_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_the_defaults_lie_in_their_ranges(cls):
    assert check_config(cls()) == cls()


@pytest.mark.parametrize(
    "values, message",
    [
        ({"gripper": {"max_opening_m": -0.1}}, "gripper.max_opening_m must be > 0, got -0.1"),
        ({"trial": {"opening_margin_m": -1}}, "trial.opening_margin_m must be >= 0, got -1"),
        ({"camera": {"width": 0}}, "camera.width must be an int >= 1, got 0"),
        ({"scene": {"time_step_s": 0}}, "scene.time_step_s must be > 0, got 0"),
        ({"scene": {"max_drops": 0}}, "scene.max_drops must be an int >= 1, got 0"),
        ({"scene": {"settle_max_steps": -1}}, "scene.settle_max_steps must be an int >= 1, got -1"),
        ({"trial": {"lift_m": math.nan}}, "trial.lift_m must be finite and > 0, got nan"),
        ({"trial": {"lift_m": math.inf}}, "trial.lift_m must be finite and > 0, got inf"),
        ({"scene": {"kind": "pile:0"}}, r"scene.kind must be a scene kind: single, pile:N or packed:N \(N >= 1\)"),
        ({"library": {"size": "huge"}}, "library.size must be an object size: fit, real or a longest-side range"),
        ({"library": {"longest_side_m": [0.2, 0.1]}}, r"library.longest_side_m must be a \(low, high\) range"),
        ({"scene": {"table_rgba": [1.0, 1.0, 1.0]}}, r"scene.table_rgba must be 4 values, each in \[0, 1\]"),
        ({"appearance": {"textures": []}}, "appearance.textures must hold at least 1 of checker"),
    ],
)
def test_sim_values_out_of_range_are_refused_naming_field_range_and_value(values, message):
    with pytest.raises(ConfigError, match=message) as e:
        override(sim_config.SimConfig(), values, "SimBackend")
    assert str(e.value).startswith("SimBackend: ")


def test_a_value_in_range_is_taken():
    cfg = override(sim_config.SimConfig(), {"gripper": {"max_opening_m": 0.08}, "trial": {"opening_margin_m": 0}})
    assert cfg.gripper.max_opening_m == 0.08 and cfg.trial.opening_margin_m == 0.0


def test_robot_toml_out_of_range_is_refused_naming_the_file(tmp_path):
    p = tmp_path / "cell.toml"
    p.write_text("[motion]\nspeed_mm_s = 0\n")
    with pytest.raises(ValueError, match=r"cell.toml: motion.speed_mm_s must be an int >= 1, got 0"):
        robot_config.load_robot_config(p)


def test_a_robot_config_built_directly_is_checked_whole():
    bad = dataclasses.replace(robot_config.RobotConfig(), gripper=robot_config.GripperConfig(max_opening_mm=-5.0))
    with pytest.raises(ConfigError, match="gripper.max_opening_mm must be > 0, got -5.0"):
        robot_config.validate(bad)


def test_model_config_refuses_a_bad_size():
    with pytest.raises(ValueError, match="model config: k must be an int >= 1, got 0"):
        model_config.ModelConfig.from_dict({"k": 0})
    assert model_config.ModelConfig.from_dict({"scorer_channels": 32}).scorer_channels == 32
    with pytest.raises(ValueError, match="scorer_channels must be an int >= 1 \\(or None\\), got -1"):
        model_config.ModelConfig.from_dict({"scorer_channels": -1})


# -- the rules themselves ------------------------------------------------------------------
@pytest.mark.parametrize(
    "rule, good, bad, message",
    [
        (POSITIVE, [1e-9, 3, 2.5], [0, -1, math.nan, math.inf, "1", True], None),
        (NON_NEGATIVE, [0, 0.0, 7], [-1e-12, math.nan], ">= 0"),
        (FINITE, [-1e9, 0, 1], [math.nan, -math.inf], "must be finite"),
        (FRACTION, [0, 0.5, 1], [-0.1, 1.01], r"must be in \[0, 1\]"),
        (POSITIVE_INT, [1, 99], [0, 1.0, True], "must be an int >= 1"),
        (between(1, 100, integer=True), [1, 100], [0, 101], r"must be an int in \[1, 100\]"),
        (Number(lo=0, hi=180, lo_open=True, hi_open=True), [1, 179.9], [0, 180], r"must be in \(0, 180\)"),
        (Choice(("a", "b")), ["a"], ["c", 1], "must be one of a, b"),
        (Choice(lambda: ["x"]), ["x"], ["a"], "must be one of x"),
        (NAME, ["x"], ["", "  ", 3], "must be a non-empty string"),
        (FLAG, [True, False], [0, "yes"], "must be true or false"),
        (pair(FINITE, "<"), [(0, 1), [-2, 3.5]], [(1, 1), (2, 1), (1,), (0, math.nan), 5], "low < high"),
        (pair(NON_NEGATIVE), [(0, 0), (1, 2)], [(2, 1), (-1, 2)], "low <= high, each >= 0"),
        (Values(FINITE, lengths=(0, 9)), [(), [0.0] * 9], [[1.0, 2.0]], "0 or 9 values, each finite"),
        (Values(Choice(("p", "q")), min_length=1), [["p"], ("p", "q")], [["r"], []], None),
        (Maybe(POSITIVE_INT), [None, 3], [0], r"\(or None\)"),
        (Parsed(int, "a decimal int"), ["12"], ["x", 12], "must be a decimal int"),
    ],
)
def test_rules_take_what_they_declare(rule, good, bad, message):
    for v in good:
        assert rule.problem(v) is None, v
    for v in bad:
        why = rule.problem(v)
        assert why is not None, v
        if message:
            assert re.search(message, why), (v, why)


@dataclass(frozen=True)
class Inner:
    rate: float = setting(0.5, FRACTION)


@dataclass(frozen=True)
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)
    count: int = setting(2, POSITIVE_INT)
    names: tuple[str, ...] = setting(("a",), Values(NAME))
    free: float = 1.0  # declares nothing: taken as it comes


def test_override_checks_nested_fields_and_converts_lists():
    cfg = override(Outer(), {"inner": {"rate": 1}, "names": ["b", "c"], "free": -3.0})
    assert cfg == Outer(Inner(1.0), 2, ("b", "c"), -3.0)
    with pytest.raises(ConfigError, match=r"^here: inner.rate must be in \[0, 1\], got 1.5$"):
        override(Outer(), {"inner": {"rate": 1.5}}, "here")
    with pytest.raises(ConfigError, match=r"names must be a list of values, each a non-empty string, got \['b', ''\]"):
        override(Outer(), {"names": ["b", ""]})


def test_unknown_keys_and_types_keep_their_messages():
    with pytest.raises(ValueError, match=r"unknown key 'rat' in here.inner; valid keys: rate"):
        override(Outer(), {"inner": {"rat": 1}}, "here")
    with pytest.raises(ValueError, match=r"config.count expects int, got float \(2.5\)"):
        override(Outer(), {"count": 2.5})


def test_check_config_names_the_first_field_out_of_range():
    with pytest.raises(ConfigError, match=r"inner.rate must be in \[0, 1\], got -1"):
        check_config(Outer(inner=Inner(rate=-1)))


def test_setting_needs_a_rule():
    with pytest.raises(TypeError, match="needs the field's rule"):
        setting(1.0)


def test_a_name_no_registry_holds_is_refused_when_the_backend_is_built():
    """Names of registries (appearance modes, scene kinds) are checked where the registry
    is, so the config module imports none of the modules that import it."""
    from simgrasp.sim.backend import SimBackend

    with pytest.raises(ValueError, match="appearance.mode must be one of fixed, randomized, got 'glossy'"):
        SimBackend("random_urdfs:900-901", appearance={"mode": "glossy"})
    with pytest.raises(ValueError, match="scene kind must be one of single, pile:N, packed:N"):
        SimBackend("random_urdfs:900-901", scene="heap:3")
