"""The train command over the network families: presets, flags that belong to one family,
and runs of GG-CNN2 and GR-ConvNet through the same checks as the paper's network."""

import argparse
import contextlib
import io

import pytest

from simgrasp.model.checkpoint import read_checkpoint
from simgrasp.model.ggcnn.config import GGCNNConfig
from simgrasp.model.grconvnet.config import GRConvNetConfig
from simgrasp.model.maps.train import MapTrainConfig
from simgrasp.train import build_configs, main
from tests.data.conftest import write_jacquard_scene


def _args(**kw) -> argparse.Namespace:
    keys = ("preset", "family", "backbone", "input_size", "k", "pretrained", "iterations", "batch", "lr", "seed",
            "workers", "val_every", "val_limit", "checkpoint_every")
    return argparse.Namespace(**{**{k: None for k in keys}, **kw})


def test_the_presets_of_each_family():
    model, train = build_configs(_args(preset="ggcnn2"))
    assert isinstance(model, GGCNNConfig) and isinstance(train, MapTrainConfig)
    assert (model.variant, model.input, model.input_size, train.iterations) == ("ggcnn2", "depth", 300, 3200)
    assert (train.batch_size, train.lr, train.augment.rotate, train.augment.zoom) == (8, 1e-3, True, (0.5, 1.0))
    assert build_configs(_args(preset="ggcnn2-paper"))[1].iterations == 50_000
    model, train = build_configs(_args(preset="grconvnet"))
    assert isinstance(model, GRConvNetConfig)
    assert (model.channel_size, model.input, model.input_size, model.dropout, train.iterations) == (16, "rgbd", 224, 0.0, 1200)
    model, train = build_configs(_args(preset="grconvnet-paper"))
    assert (model.channel_size, train.iterations) == (32, 50_000)
    # --family alone takes its CPU preset; flags override presets as for the paper's network.
    assert build_configs(_args(family="ggcnn")) == build_configs(_args(preset="ggcnn2"))
    model, train = build_configs(_args(family="grconvnet", input="depth", iterations=10, batch=2))
    assert (model.input, model.channel_size, train.iterations, train.batch_size) == ("depth", 16, 10, 2)


def test_flags_of_another_family_are_refused(tmp_path):
    with pytest.raises(ValueError, match="--family grconvnet and --preset cpu \\(a depierre preset\\) disagree"):
        build_configs(_args(family="grconvnet", preset="cpu"))
    with pytest.raises(ValueError, match="--backbone, --k set the paper's network \\(depierre\\); the ggcnn family takes"):
        build_configs(_args(preset="ggcnn2", backbone="resnet34", k=4))
    toml = tmp_path / "c.toml"
    toml.write_text('[model]\nchannel_size = 32\nresidual_blocks = 3\n[train]\njaw_limit = 5\n')
    model, train = build_configs(_args(family="grconvnet", config=toml))
    assert (model.channel_size, model.residual_blocks, train.jaw_limit) == (32, 3, 5)
    toml.write_text('[model]\nbackbone = "resnet18"\n')
    with pytest.raises(ValueError, match="unknown key 'backbone'"):
        build_configs(_args(family="ggcnn", config=toml))
    with pytest.raises(ValueError, match="--input-size: input_size must be a positive multiple of 4, got 50"):
        build_configs(_args(family="ggcnn", input_size=50))


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["--no-progress", "--workers", "0", "--batch", "2", *argv])
        except SystemExit as e:
            status = e.code
    return status, out.getvalue(), err.getvalue()


def _refused(result, fragment: str) -> None:
    status, _, err = result
    assert status == 2 and err.count("\n") == 1 and err.startswith("simgrasp.train: error: ") and fragment in err, err


@pytest.fixture
def scenes(tmp_path):
    root = tmp_path / "data"
    for i in range(3):
        write_jacquard_scene(root / f"obj{i}", 0, f"obj{i}", "16;16;0;14;5\n10;12;45;12;4\n")
    return root


@pytest.mark.parametrize("preset, size", [("ggcnn2", "64"), ("grconvnet", "32")])
def test_a_family_trains_and_resumes_through_the_command(preset, size, scenes, tmp_path):
    run = tmp_path / "run"
    status, out, err = _run("--data", str(scenes), "--out", str(run), "--preset", preset, "--input-size", size,
                            "--iterations", "2", "--val", str(scenes))
    assert status == 0, err
    assert "training on 3 images" in out and f"at {size} px" in out
    ckpt = read_checkpoint(run / "last.pt")
    assert ckpt["family"] == ("ggcnn" if preset == "ggcnn2" else "grconvnet") and ckpt["iteration"] == 2
    # Resumed without naming the family: the checkpoint's; naming another is refused.
    status, out, err = _run("--data", str(scenes), "--out", str(run), "--resume", str(run / "last.pt"), "--iterations", "3")
    assert status == 0 and "resuming" in out and read_checkpoint(run / "last.pt")["iteration"] == 3, err
    _refused(_run("--data", str(scenes), "--out", str(run), "--resume", str(run / "last.pt"), "--iterations", "5",
                  "--preset", "cpu"), f"holds a {ckpt['family']} network; --preset cpu trains the depierre family")
    _refused(_run("--data", str(scenes), "--out", str(run), "--resume", str(run / "last.pt"), "--iterations", "5",
                  "--input", "rgb"), "--input asks for input 'rgb', the checkpoint has")


def test_a_depth_network_needs_depth_images(tmp_path):
    _refused(_run("--data", "synthetic:2", "--out", str(tmp_path / "r"), "--family", "ggcnn", "--input-size", "64"),
             "input 'depth' reads depth images; expected them in --data synthetic:2, found none")
    assert not (tmp_path / "r" / "last.pt").exists()
