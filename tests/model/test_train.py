import json

import numpy as np
import pytest
import torch

from simgrasp.model.augment import AugmentConfig
from simgrasp.data.synthetic import SyntheticGraspDataset
from simgrasp.model.checkpoint import CheckpointError, load_model, read_checkpoint, save_checkpoint
from simgrasp.model.config import ModelConfig
from simgrasp.model.detector import Detector
from simgrasp.model.losses import LossConfig
from simgrasp.model.network import GraspNet
from simgrasp.model.train import TrainConfig, mean_grasp_box, train


def _cfg(**kw) -> TrainConfig:
    base = dict(batch_size=4, workers=0, log_every=1, val_every=0, checkpoint_every=0, lr=3e-3, loss=LossConfig(top_t=16))
    return TrainConfig(**{**base, **kw})


def _rows(path, event):
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["event"] == event]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small):
    """A 30-iteration run on 8 fixed synthetic scenes (no augmentation): a few seconds."""
    out = tmp_path_factory.mktemp("run")
    data = SyntheticGraspDataset(8, 96, seed=0)
    cfg = _cfg(iterations=30, augment=AugmentConfig(rotate=False, mirror=False, max_shift_frac=0.0))
    ckpt = train(data, out, small, cfg, val_set=SyntheticGraspDataset(4, 96, seed=1), progress=False)
    return out, ckpt


def test_losses_go_down(trained):
    out, _ = trained
    rows = _rows(out / "metrics.jsonl", "train")
    assert [r["iteration"] for r in rows] == list(range(1, 31))
    for key in ("primary", "smooth_l1"):
        first = np.mean([r[key] for r in rows[:5]])
        last = np.mean([r[key] for r in rows[-5:]])
        assert last < 0.8 * first, f"{key}: {first:.3f} -> {last:.3f}"
    val = _rows(out / "metrics.jsonl", "val")
    assert len(val) == 1 and 0.0 <= val[0]["val_scorer"] <= 1.0 and val[0]["val_n"] == 4


def test_checkpoint_round_trip(trained, tmp_path):
    _, path = trained
    ckpt = read_checkpoint(path)
    assert ckpt["iteration"] == 30 and ckpt["optimizer"] is not None
    model, _ = load_model(path)
    w, h = mean_grasp_box(SyntheticGraspDataset(8, 96, seed=0), 64)
    assert model.config.anchor_w == pytest.approx(w) and model.config.anchor_h == pytest.approx(h)
    again = save_checkpoint(tmp_path / "copy.pt", model, 30)
    reloaded, _ = load_model(again)
    for (k, a), (_, b) in zip(model.state_dict().items(), reloaded.state_dict().items()):
        assert torch.equal(a, b), k
    image = SyntheticGraspDataset(1, 96, seed=5)[0].rgb
    d1, d2 = Detector(model).detect(image, top_k=3), Detector.from_checkpoint(again).detect(image, top_k=3)
    assert [s for _, s in d1[0]] == [s for _, s in d2[0]]


def test_truncated_checkpoint_says_what_it_expected(trained, tmp_path):
    _, path = trained
    bad = tmp_path / "cut.pt"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint.*truncated"):
        load_model(bad)


def test_mismatched_checkpoint_names_the_config(trained, tmp_path):
    _, path = trained
    ckpt = read_checkpoint(path)
    ckpt["config"]["backbone"] = "resnet50"
    torch.save(ckpt, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="do not match.*backbone=resnet50"):
        load_model(tmp_path / "mismatch.pt")
    del ckpt["state_dict"]
    torch.save(ckpt, tmp_path / "nostate.pt")
    with pytest.raises(CheckpointError, match="missing \\['state_dict'\\]"):
        load_model(tmp_path / "nostate.pt")


def test_resume_equals_an_uninterrupted_run(tmp_path, small):
    data = SyntheticGraspDataset(6, 96, seed=2)
    cfg = dict(batch_size=2, iterations=3)
    full = train(data, tmp_path / "full", small, _cfg(**cfg), progress=False)
    half = train(data, tmp_path / "half", small, _cfg(**{**cfg, "iterations": 1}), progress=False)
    resumed = train(data, tmp_path / "resumed", small, _cfg(**cfg), resume=half, progress=False)
    a, b = read_checkpoint(full)["state_dict"], read_checkpoint(resumed)["state_dict"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4, msg=k)
    # The same seed gives the same weights.
    again = train(data, tmp_path / "again", small, _cfg(**{**cfg, "iterations": 1}), progress=False)
    h, c = read_checkpoint(half)["state_dict"], read_checkpoint(again)["state_dict"]
    assert all(torch.equal(h[k], c[k]) for k in h)
    with pytest.raises(ValueError, match="iteration 3"):
        train(data, tmp_path / "resumed", small, _cfg(**cfg), resume=resumed, progress=False)


def test_detector_contract(trained):
    _, path = trained
    det = Detector.from_checkpoint(path)
    images = [SyntheticGraspDataset(2, 96, seed=3)[i].rgb for i in range(2)] + [np.zeros((50, 80, 3), np.uint8)]
    out = det.detect(images, score="primary", top_k=5)
    assert len(out) == 3 and all(len(r) == 5 for r in out)
    for result in out:
        scores = [s for _, s in result]
        assert scores == sorted(scores, reverse=True)
    every = det.detect(images[0])
    assert len(every) == 1 and len(every[0]) == 4 * 4 * 6
    with pytest.raises(ValueError, match="uint8"):
        det.detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError, match="score must be one of"):
        det.detect(images[0], score="best")
    # Grasps come back in the source image's pixels: a 2x larger copy gives 2x the grasp.
    import cv2

    big = cv2.resize(images[0], (192, 192), interpolation=cv2.INTER_LINEAR)
    g_small, g_big = det.detect(images[0], top_k=1)[0][0][0], det.detect(big, top_k=1)[0][0][0]
    assert g_big.x == pytest.approx(2 * g_small.x, abs=8) and g_big.w == pytest.approx(2 * g_small.w, rel=0.2)


def test_model_is_rebuilt_from_config_only(small):
    cfg = ModelConfig.from_dict({**small.to_dict(), "k": 4})
    net = GraspNet(ModelConfig.from_dict(cfg.to_dict()))
    assert net.anchors.shape == (4 * 4 * 4, 5)
    with pytest.raises(ValueError, match="unknown key 'kk'"):
        ModelConfig.from_dict({"kk": 3})


def test_cli_detect_and_jaccard(trained, tmp_path, capsys):
    import cv2

    from simgrasp import detect, jaccard

    _, path = trained
    image = tmp_path / "scene.png"
    cv2.imwrite(str(image), SyntheticGraspDataset(1, 120, seed=7)[0].rgb[:, :, ::-1])
    detect.main([str(image), "--checkpoint", str(path), "--top", "2", "--out", str(tmp_path / "drawn.png")])
    drawn = cv2.imread(str(tmp_path / "drawn.png"))
    assert drawn.shape == (120, 120, 3) and not np.array_equal(drawn, cv2.imread(str(image)))
    jaccard.main(["--checkpoint", str(path), "--data", "synthetic:3", "--out", str(tmp_path / "r.json")])
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["n"] == 3 and {"accuracy_primary", "accuracy_scorer"} <= set(result)
    assert "primary" in capsys.readouterr().out


def test_export_drops_the_optimizer_and_still_loads(tmp_path, small_config):
    import torch

    from simgrasp.model.export import export_weights
    from simgrasp.model.network import GraspNet

    model = GraspNet(small_config)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.rand(1, 3, small_config.input_size, small_config.input_size)).deltas.sum().backward()
    opt.step()
    src = save_checkpoint(tmp_path / "last.pt", model, 7, opt)
    dst = export_weights(src, tmp_path / "ship" / "w.pt")
    assert read_checkpoint(dst)["optimizer"] is None
    assert dst.stat().st_size < src.stat().st_size
    loaded, ckpt = load_model(dst)
    assert ckpt["iteration"] == 7
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k])


def test_views_warp_depth_and_tried_grasps_with_the_image(tried):
    from simgrasp.model.train import TrainViews, collate

    views = TrainViews(tried, 64, 0, AugmentConfig(), "rgbd")
    for j in range(4):
        image, grasps, tested, ok = views[j]
        assert image.shape == (64, 64, 4) and image.dtype == np.float32
        # The tried successes are the ground truths: mapped by the same affine, they land
        # where the grasps do (the ground truths whose centre left the image are dropped).
        for g in grasps:
            assert np.abs(tested[ok][:, :2] - g[:2]).sum(1).min() < 1e-3
        assert len(tested) == 2 * ok.sum() >= 2 * len(grasps)  # none dropped, even off the image
        # The height channel is warped alike: the grasp centres sit on the shape, 0.3 over the table.
        cols, rows = np.clip(np.round(grasps[:, :2]).astype(int), 0, 63).T
        assert np.median(image[rows, cols, 3]) == pytest.approx(0.3, abs=0.05)
        assert np.median(image[..., 3]) == 0.0
    batch = collate([views[j] for j in range(2)])
    assert batch.images.shape == (2, 4, 64, 64) and len(batch.truths) == len(batch.tried()) == 2
    with pytest.raises(ValueError, match="needs depth images; this dataset has none"):
        TrainViews(SyntheticGraspDataset(2, 96), 64, 0, AugmentConfig(), "depth")[0]


@pytest.mark.parametrize("modality,labels", [("rgbd", "simulation"), ("depth", "jaccard")])
def test_training_runs_for_each_modality_and_label_source(tmp_path, small, tried, modality, labels):
    import dataclasses

    cfg = _cfg(iterations=2, loss=LossConfig(top_t=16, scorer_labels=labels))
    path = train(tried, tmp_path, dataclasses.replace(small, input=modality), cfg, progress=False)
    model, ckpt = load_model(path)
    assert model.config.input == modality and ckpt["config"]["input"] == modality
    rows = _rows(tmp_path / "metrics.jsonl", "train")
    assert all(np.isfinite(r["scorer"]) for r in rows)
    if labels == "simulation":
        assert 0.0 < rows[0]["scorer_known_rate"] <= 1.0


def test_old_checkpoints_without_a_modality_load_as_rgb(trained, tmp_path):
    _, path = trained
    ckpt = read_checkpoint(path)
    del ckpt["config"]["input"]
    torch.save(ckpt, tmp_path / "old.pt")
    model, _ = load_model(tmp_path / "old.pt")
    assert model.config.input == "rgb" and not Detector(model).needs_depth


def test_warmup_ramps_the_learning_rate_of_both_groups(small):
    from simgrasp.model.train import make_optimizer, set_lr

    cfg = TrainConfig(lr=1e-3, scorer_lr_scale=10.0, warmup_iterations=4)
    opt = make_optimizer(GraspNet(small), cfg)
    seen = []
    for it in (0, 1, 3, 10):
        set_lr(opt, cfg, it)
        seen += [g["lr"] for g in opt.param_groups]
    assert seen == pytest.approx([2.5e-4, 2.5e-3, 5e-4, 5e-3, 1e-3, 1e-2, 1e-3, 1e-2])


def test_lr_steps_divide_the_learning_rate_from_each_step_on(small):
    from simgrasp.model.train import make_optimizer, set_lr

    cfg = TrainConfig(lr=1e-3, scorer_lr_scale=10.0, lr_steps=(5, 8), lr_gamma=0.5)
    opt = make_optimizer(GraspNet(small), cfg)
    seen = []
    for it in (0, 4, 5, 7, 8, 100):
        set_lr(opt, cfg, it)
        seen.append(opt.param_groups[0]["lr"])
        assert opt.param_groups[1]["lr"] == pytest.approx(10 * seen[-1])
    assert seen == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4])


def test_a_step_schedule_is_applied_and_a_resumed_run_keeps_it(tmp_path, small):
    from simgrasp.model.checkpoint import read_checkpoint as read

    data = SyntheticGraspDataset(8, 96)
    cfg = _cfg(iterations=4, lr_steps=(2,), lr_gamma=0.1)
    whole = train(data, tmp_path / "whole", small, cfg, progress=False)
    assert [g["lr"] for g in read(whole)["optimizer"]["param_groups"]] == pytest.approx([3e-4, 3e-4])
    first = train(data, tmp_path / "half", small, _cfg(iterations=2, lr_steps=(2,), lr_gamma=0.1), progress=False)
    assert [g["lr"] for g in read(first)["optimizer"]["param_groups"]] == pytest.approx([3e-3, 3e-3])
    resumed = train(data, tmp_path / "half", small, cfg, resume=first, progress=False)
    assert [g["lr"] for g in read(resumed)["optimizer"]["param_groups"]] == pytest.approx([3e-4, 3e-4])


def test_simulation_labels_on_a_dataset_without_tried_grasps_fail_first(tmp_path, small):
    cfg = _cfg(iterations=1, loss=LossConfig(top_t=16, scorer_labels="simulation"))
    with pytest.raises(ValueError, match="needs grasps tried in simulation.*first batch of 4 images has none"):
        train(SyntheticGraspDataset(4, 96), tmp_path, small, cfg, progress=False)
    assert not (tmp_path / "last.pt").exists()


def test_scorer_only_training_leaves_the_rest_of_the_network_as_it_was(trained, tmp_path, tried):
    # The scorer taught anew on top of a trained network: every parameter and BatchNorm
    # statistic outside the scorer stays bit for bit, so the grasps and the primary score
    # do not move; the scorer's weights do.
    _, init = trained
    cfg = _cfg(iterations=4, trainable="scorer", loss=LossConfig(top_t=16, scorer_labels="simulation", scorer_tried=True))
    path = train(tried, tmp_path, ModelConfig(), cfg, progress=False, init=init)
    before, after = read_checkpoint(init)["state_dict"], read_checkpoint(path)["state_dict"]
    assert before.keys() == after.keys()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(k.startswith("scorer.") for k in moved), sorted(moved)
    assert any(k.startswith("scorer.fc") for k in moved)
    start = _rows(tmp_path / "metrics.jsonl", "start")[0]
    assert start["init"] == str(init) and start["train"]["trainable"] == "scorer"
    assert not _rows(tmp_path / "metrics.jsonl", "base_rates")  # the trained heads keep their biases


def test_trainable_is_checked(tmp_path, small):
    with pytest.raises(ValueError, match="trainable must be one of \\('all', 'scorer'\\), got 'pgp'"):
        _cfg(trainable="pgp")
    with pytest.raises(ValueError, match="trains on top of a trained network; expected an init checkpoint"):
        train(SyntheticGraspDataset(4, 96), tmp_path, small, _cfg(iterations=1, trainable="scorer"), progress=False)
    assert not (tmp_path / "last.pt").exists()


def test_a_checkpoint_without_optimizer_state_is_not_resumed(trained, tmp_path, small):
    from simgrasp.model.export import export_weights

    _, path = trained
    shipped = export_weights(path, tmp_path / "ship" / "w.pt")
    with pytest.raises(CheckpointError, match="w.pt holds no optimizer state .an exported checkpoint, at iteration 30.*--init"):
        train(SyntheticGraspDataset(4, 96), tmp_path / "run", small, _cfg(iterations=40), resume=shipped, progress=False)
    assert not (tmp_path / "run" / "last.pt").exists()
    with pytest.raises(ValueError, match="expected one of resume or init, got both"):
        train(SyntheticGraspDataset(4, 96), tmp_path / "run", small, _cfg(iterations=40), resume=path, init=path)


def test_the_run_folder_is_writable_and_holds_no_other_run(trained, tmp_path):
    from simgrasp.model.train import check_run_folder

    out, last = trained
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="file: expected a run folder, got a file"):
        check_run_folder(tmp_path / "file")
    with pytest.raises(ValueError, match="sub: expected a writable run folder, got (NotADirectoryError|FileExistsError)"):
        check_run_folder(tmp_path / "file" / "sub")
    assert check_run_folder(tmp_path / "new" / "run").is_dir() and not any((tmp_path / "new" / "run").iterdir())
    with pytest.raises(ValueError, match="already holds a run .last.pt.; expected a new folder, or resume from"):
        check_run_folder(out)
    with pytest.raises(ValueError, match="already holds a run"):
        check_run_folder(out, resume=tmp_path / "other.pt")
    assert check_run_folder(out, resume=last) == out


class _BreaksAfter:
    """A dataset whose files break after ``reads`` reads (a disk failing after the scan)."""

    def __init__(self, base, reads: int) -> None:
        self.base, self.reads = base, reads

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        self.reads -= 1
        if self.reads < 0:
            raise ValueError(f"sample {i}: not a readable image")
        return self.base[i]

    def object_ids(self) -> list[str]:
        return self.base.object_ids()


def test_a_run_stopped_by_unreadable_data_saves_the_iterations_it_did(tmp_path, small):
    # 4 reads for the anchor box, then 2 per iteration: the third iteration fails.
    data = SyntheticGraspDataset(4, 96, seed=2)
    with pytest.raises(ValueError, match="not a readable image") as e:
        train(_BreaksAfter(data, 4 + 2 * 2), tmp_path, small, _cfg(batch_size=2, iterations=5), progress=False)
    ckpt = read_checkpoint(tmp_path / "last.pt")
    assert ckpt["iteration"] == 2 and ckpt["optimizer"] is not None
    assert e.value.__notes__ == [f"iteration 2 is saved in {tmp_path / 'last.pt'}; continue with --resume {tmp_path / 'last.pt'}"]
    with pytest.raises(ValueError, match="needs grasps tried in simulation") as e:  # nothing done: nothing saved
        train(data, tmp_path / "b", small, _cfg(iterations=1, loss=LossConfig(top_t=16, scorer_labels="simulation")), progress=False)
    assert not hasattr(e.value, "__notes__") and not (tmp_path / "b" / "last.pt").exists()


def test_a_checkpoint_refuses_network_settings_that_differ_from_its_own(trained):
    from simgrasp.model.checkpoint import check_same_network

    _, path = trained
    ckpt = read_checkpoint(path)
    check_same_network(ckpt, {"backbone": ("resnet18", "--backbone"), "input_size": (64, "--input-size")}, "here")
    with pytest.raises(CheckpointError, match="here holds another network than asked for: --backbone asks for backbone "
                       "'resnet34', the checkpoint has 'resnet18'; --preset sim asks for input 'rgbd', the checkpoint has 'rgb'"):
        check_same_network(ckpt, {"backbone": ("resnet34", "--backbone"), "input": ("rgbd", "--preset sim")}, "here")
    del ckpt["config"]["input"]  # written before the field existed: read as rgb
    check_same_network(ckpt, {"input": ("rgb", "--input")}, "here")


@pytest.mark.parametrize("cls", ["TrainConfig", "LossConfig", "SimMatch", "AugmentConfig"])
def test_every_training_setting_declares_its_range(cls):
    import dataclasses

    from simgrasp.config import check_config, field_rule
    from simgrasp.model import augment, losses, targets, train as train_module

    config = next(getattr(m, cls) for m in (train_module, losses, targets, augment) if hasattr(m, cls))
    sections = {"loss", "augment", "sim_match"}  # nested configs: their own fields declare ranges
    assert [f.name for f in dataclasses.fields(config) if f.name not in sections and field_rule(f) is None] == []
    assert check_config(config()) == config()
