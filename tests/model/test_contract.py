"""The network contract: families registered by name, checkpoints that name theirs, and
the paper's network through it exactly as before."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from simgrasp.data.synthetic import SyntheticGraspDataset
from simgrasp.model.checkpoint import CheckpointError, load_model, read_checkpoint, save_checkpoint
from simgrasp.model.export import export_weights
from simgrasp.model.contract import FAMILIES, PAPER_FAMILY, get_family, load_network
from simgrasp.model.detector import Detector
from simgrasp.model.network import GraspNet

ROOT = Path(__file__).resolve().parents[2]


def test_the_families_and_their_names():
    assert FAMILIES.names() == ["depierre", "ggcnn", "grconvnet"]
    for name in FAMILIES:
        family = get_family(name)
        assert family.name == name and family.summary
        assert family.build(family.config()).family == name
    with pytest.raises(KeyError, match="unknown network family 'vgn'; known: depierre, ggcnn, grconvnet"):
        get_family("vgn")


def test_the_paper_network_through_the_contract_is_the_detector_it_was(net, tmp_path):
    path = save_checkpoint(tmp_path / "paper.pt", net, 0)
    assert read_checkpoint(path)["family"] == PAPER_FAMILY
    through = load_network(path, scorer_candidates=5)
    assert isinstance(through, Detector) and through.family == PAPER_FAMILY
    assert through.score_kinds == ("scorer", "primary") and through.ranking_info == {"scorer_candidates": 5}
    image = SyntheticGraspDataset(1, 96, seed=4)[0].rgb
    direct = Detector.from_checkpoint(path, scorer_candidates=5)
    a, b = through.predict(image)[0], direct.predict(image)[0]
    assert np.array_equal(a.grasps, b.grasps) and np.array_equal(a.scorer, b.scorer) and np.array_equal(a.primary, b.primary)
    # The contract's ranked(score, image_size, top_k) ranks as the detector's scorer_candidates say.
    assert np.array_equal(a.ranked("scorer", (96, 96), 7), a.ranked("scorer", (96, 96), 7, scorer_candidates=5))
    assert through.detect(image, top_k=3) == direct.detect(image, top_k=3)


def test_a_checkpoint_naming_no_family_holds_the_paper_network(net, tmp_path):
    ckpt = read_checkpoint(save_checkpoint(tmp_path / "new.pt", net, 0))
    del ckpt["family"]
    torch.save(ckpt, tmp_path / "old.pt")
    assert isinstance(load_network(tmp_path / "old.pt"), Detector)


def test_checkpoints_of_other_or_unknown_families_say_so(tmp_path):
    ggcnn = get_family("ggcnn")
    path = save_checkpoint(tmp_path / "g.pt", ggcnn.build(ggcnn.config(input_size=96)), 0)
    with pytest.raises(CheckpointError, match="holds a 'ggcnn' network; expected the paper's"):
        load_model(path)
    with pytest.raises(CheckpointError, match="holds a 'ggcnn' network; expected a 'grconvnet' one"):
        get_family("grconvnet").from_checkpoint(read_checkpoint(path), str(path))
    ckpt = read_checkpoint(path)
    ckpt["family"] = "vgn"
    torch.save(ckpt, tmp_path / "vgn.pt")
    with pytest.raises(CheckpointError, match="names network family 'vgn'; expected one of depierre, ggcnn, grconvnet"):
        load_network(tmp_path / "vgn.pt")
    ckpt["family"], ckpt["config"]["variant"] = "ggcnn", "ggcnn"
    torch.save(ckpt, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="weights do not match the ggcnn network"):
        load_network(tmp_path / "mismatch.pt")
    shipped = export_weights(path, tmp_path / "shipped.pt")
    assert read_checkpoint(shipped)["optimizer"] is None and load_network(shipped).family == "ggcnn"


def test_importing_the_contract_loads_no_torch():
    code = "import json, sys; import simgrasp.model.contract; print(json.dumps('torch' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout) is False
