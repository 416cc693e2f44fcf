import argparse
import dataclasses

import numpy as np
import pytest

from simgrasp.geometry import GraspRect
from simgrasp.train import PRESETS, build_configs, training_set
from simgrasp.viz import draw_grasps


def _args(**kw) -> argparse.Namespace:
    keys = ("backbone", "input_size", "k", "pretrained", "iterations", "batch", "lr", "seed", "workers",
            "val_every", "val_limit", "checkpoint_every")
    return argparse.Namespace(**{"preset": "cpu", **{k: None for k in keys}, **kw})


def test_presets_and_flag_overrides():
    assert {"cpu", "paper"} <= set(PRESETS.names())
    model, train = build_configs(_args(preset="paper"))
    assert (model.backbone, model.input_size, model.pretrained, train.iterations) == ("resnet50", 320, True, 100_000)
    assert (train.lr, train.momentum, train.weight_decay, train.batch_size) == (1e-3, 0.9, 1e-4, 10)
    model, train = build_configs(_args(backbone="resnet34", iterations=50, batch=4))
    assert (model.backbone, model.pretrained, train.iterations, train.batch_size) == ("resnet34", False, 50, 4)


def test_training_set_specs(tmp_path):
    a, b = training_set("synthetic:3"), training_set("synthetic:3:1")
    assert len(a) == 3 and not np.array_equal(a[0].rgb, b[0].rgb)
    with pytest.raises(SystemExit, match="synthetic:N"):
        training_set("synthetic:many")
    with pytest.raises(SystemExit, match="dataset folder not found"):
        training_set(tmp_path / "missing")


def test_draw_grasps_marks_the_rectangle_only():
    img = np.full((60, 60, 3), 255, np.uint8)
    out = draw_grasps(img, [GraspRect(30, 30, 0, 30, 10)], (255, 0, 0))
    assert img.min() == 255  # the input is not modified
    changed = np.any(out != 255, axis=2)
    assert changed[30, 15] and changed[30, 45]  # the jaw sides
    assert not changed[5, 5] and not changed[55, 55]
    with pytest.raises(ValueError, match="one colour per grasp"):
        draw_grasps(img, [GraspRect(30, 30, 0, 30, 10)] * 2, [(1, 2, 3)])


def test_modality_and_scorer_labels_from_flags_and_toml(tmp_path):
    model, train = build_configs(_args(preset="paper"))
    assert (model.input, train.loss.scorer_labels) == ("rgb", "jaccard")
    model, train = build_configs(_args(input="rgbd", scorer_labels="simulation"))
    assert (model.input, train.loss.scorer_labels) == ("rgbd", "simulation")
    toml = tmp_path / "c.toml"
    toml.write_text('[model]\ninput = "depth"\n[train.loss]\nscorer_labels = "simulation"\n[train.loss.sim_match]\ncentre_px = 6.0\n')
    model, train = build_configs(_args(config=toml))
    assert (model.input, train.loss.scorer_labels, train.loss.sim_match.centre_px) == ("depth", "simulation", 6.0)
    toml.write_text('[train.loss]\nscorer_labels = "physics"\n')
    with pytest.raises(ValueError, match="scorer_labels must be one of"):
        build_configs(_args(config=toml))


def test_the_sim_preset_reads_depth_with_jaccard_labels_and_simulation_labels_one_flag_away():
    model, train = build_configs(_args(preset="sim"))
    assert (model.input, model.backbone, model.pretrained) == ("rgbd", "resnet18", False)
    assert (train.loss.scorer_labels, train.loss.scorer_tried, train.iterations) == ("jaccard", False, 6000)
    assert (train.lr_steps, train.lr_gamma) == ((4000,), 0.1)
    _, train = build_configs(_args(preset="sim", scorer_labels="simulation"))
    assert train.loss.scorer_labels == "simulation" and train.iterations == 6000
    model, train = build_configs(_args(preset="paper"))
    assert (train.loss.scorer_labels, train.loss.scorer_tried) == ("jaccard", False)


def test_training_set_depth_file(tmp_path):
    from simgrasp.data.jacquard import JacquardDataset

    with pytest.raises(SystemExit, match="dataset folder not found"):
        training_set(tmp_path / "missing", "stereo")
    assert isinstance(training_set("synthetic:2", None), object)
    # A folder is opened with the depth file asked for: the reader refuses an unknown kind.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "0_a_grasps.txt").write_text("1;1;0;2;1\n")
    with pytest.raises(SystemExit, match="depth must be 'perfect', 'stereo' or None"):
        training_set(tmp_path, "noisy")
    assert JacquardDataset.__init__.__defaults__ is not None


def test_the_zhou_preset_is_the_sim_preset_without_the_scorer_losses():
    sim_model, sim = build_configs(_args(preset="sim"))
    model, zhou = build_configs(_args(preset="zhou"))
    assert model == sim_model
    assert (zhou.loss.scorer_weight, zhou.loss.critic_weight) == (0.0, 0.0)
    assert (sim.loss.scorer_weight, sim.loss.critic_weight) == (1.0, 1.0)
    assert dataclasses.replace(zhou, loss=sim.loss) == sim
