"""Training a grasp-map network: a few iterations overfit a tiny set, checkpoints load
back behind the contract, a resumed run trains as the uninterrupted one."""

import json

import numpy as np
import pytest
import torch

from simgrasp.model.checkpoint import read_checkpoint, save_checkpoint
from simgrasp.model.contract import get_family, load_family_model, load_network
from simgrasp.model.maps.augment import MapAugmentConfig
from simgrasp.model.maps.train import MapTrainConfig, MapViews
from simgrasp.model.train import mean_grasp_box
from tests.model.conftest import TriedDataset

NETWORKS = {
    "ggcnn": {"input": "depth", "input_size": 64},
    "grconvnet": {"input": "rgbd", "input_size": 64, "channel_size": 8},
}
STILL = MapAugmentConfig(rotate=False, zoom=(1.0, 1.0))


def _cfg(**kw) -> MapTrainConfig:
    base = dict(batch_size=4, workers=0, log_every=1, val_every=0, checkpoint_every=0, lr=3e-3)
    return MapTrainConfig(**{**base, **kw})


def _rows(path, event):
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["event"] == event]


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def trained(request, tmp_path_factory):
    """30 iterations on 4 fixed scenes (no augmentation): a second or two."""
    family = get_family(request.param)
    out = tmp_path_factory.mktemp(request.param)
    cfg = family.config.from_dict(NETWORKS[request.param])
    data = TriedDataset(4, 96)
    ckpt = family.train(data, out, cfg, _cfg(iterations=30, augment=STILL), val_set=TriedDataset(2, 96, seed=1), progress=False)
    return family, data, out, ckpt


def test_a_few_iterations_overfit_a_tiny_set(trained):
    family, data, out, _ = trained
    rows = _rows(out / "metrics.jsonl", "train")
    assert [r["iteration"] for r in rows] == list(range(1, 31))
    first, last = np.mean([r["total"] for r in rows[:5]]), np.mean([r["total"] for r in rows[-5:]])
    assert last < 0.3 * first, f"{first:.3f} -> {last:.3f}"
    assert rows[-1]["total"] == pytest.approx(sum(rows[-1][k] for k in ("quality", "cos", "sin", "width")), rel=1e-5)
    (val,) = _rows(out / "metrics.jsonl", "val")
    assert 0.0 <= val["val_quality"] <= 1.0 and val["val_n"] == 2
    (start,) = _rows(out / "metrics.jsonl", "start")
    assert start["family"] == family.name


def test_checkpoints_load_back_behind_the_contract(trained, tmp_path):
    family, data, _, path = trained
    ckpt = read_checkpoint(path)
    assert ckpt["family"] == family.name and ckpt["iteration"] == 30 and ckpt["optimizer"] is not None
    loaded_family, model, _ = load_family_model(path)
    assert loaded_family is family and type(model) is type(family.build(model.config))
    # The jaw size is the training set's mean h, in network-input pixels.
    assert model.config.jaw_px == pytest.approx(mean_grasp_box(data, 64)[1])
    again = save_checkpoint(tmp_path / "copy.pt", model, 30)
    net = load_network(again, decode={"fallback": True})
    for (k, a), b in zip(model.state_dict().items(), net.model.state_dict().values()):
        assert torch.equal(a, b), k
    sample = data[0]
    d1 = family.detector(model, decode={"fallback": True}).detect(sample.rgb, depths=sample.depth)
    d2 = net.detect(sample.rgb, depths=sample.depth)
    assert d1 == d2 and len(d2[0]) >= 1 and net.family == family.name


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_resume_equals_an_uninterrupted_run(name, tmp_path):
    family = get_family(name)
    cfg = family.config.from_dict({**NETWORKS[name], "input_size": 32})
    if name == "grconvnet":
        cfg = family.config.from_dict({**cfg.to_dict(), "dropout": 0.3})  # dropout masks follow (seed, iteration)
    data = TriedDataset(3, 64, seed=2)
    kw = dict(batch_size=2)
    full = family.train(data, tmp_path / "full", cfg, _cfg(iterations=3, **kw), progress=False)
    half = family.train(data, tmp_path / "half", cfg, _cfg(iterations=1, **kw), progress=False)
    resumed = family.train(data, tmp_path / "resumed", cfg, _cfg(iterations=3, **kw), resume=half, progress=False)
    a, b = read_checkpoint(full)["state_dict"], read_checkpoint(resumed)["state_dict"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4, msg=k)
    with pytest.raises(ValueError, match="iteration 3"):
        family.train(data, tmp_path / "resumed", cfg, _cfg(iterations=3, **kw), resume=resumed, progress=False)


def test_views_carry_the_label_maps_of_their_own_grasps():
    cfg = get_family("ggcnn").config.from_dict({"input": "rgbd", "input_size": 64})
    data = TriedDataset(2, 96)
    views = MapViews(data, cfg, seed=0, cfg=MapAugmentConfig())
    v = views[3]
    assert v.image.shape == (64, 64, 4) and v.maps.shape == (4, 64, 64) and v.maps[0].sum() > 0
    assert np.array_equal(views[3].maps, v.maps)  # a view depends on (seed, j) only
    no_depth = MapViews(type("NoDepth", (), {"__len__": lambda s: 1, "__getitem__": lambda s, i: _without_depth(data[0])})(),
                        cfg, 0, MapAugmentConfig())
    with pytest.raises(ValueError, match="input 'rgbd' needs depth images"):
        no_depth[0]


def _without_depth(sample):
    sample.depth = None
    return sample
