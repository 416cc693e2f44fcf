"""python -m simgrasp.jaccard: rectangle metric and, with --sgt, re-execution in rebuilt scenes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from simgrasp.data.candidates import CandidateConfig
from simgrasp.data.generate import GenerateConfig
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.data.runner import generate_dataset
from simgrasp.jaccard import main, sgt_accuracy
from simgrasp.model.detector import Prediction
from simgrasp.model.checkpoint import save_checkpoint
from simgrasp.model.config import ModelConfig
from simgrasp.model.network import GraspNet


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sgt") / "data"
    cfg = GenerateConfig(candidates=CandidateConfig(antipodal=10, random=2), max_grasps=4)
    generate_dataset("pybullet_objects:jenga", out, 2, workers=1, seed=3, cfg=cfg, progress=False)
    return out


class TruthDetector:
    """Predicts, for each image, the dataset's own first ground-truth grasp (both scores
    pick it), or that grasp moved far off the object when ``offset_px`` is set."""

    def __init__(self, dataset: JacquardDataset, offset_px: float = 0.0) -> None:
        self.truth = {dataset[i].rgb.tobytes(): dataset[i].grasps[:1].copy() for i in range(len(dataset))}
        self.offset_px = offset_px
        self.scorer_candidates = 0
        self.family = "depierre"
        self.score_kinds = ("scorer", "primary")
        self.ranking_info = {"scorer_candidates": 0}

    def predict(self, images):
        out = []
        for rgb in images:
            g = self.truth[rgb.tobytes()].astype(np.float64)
            g[:, 0] = np.clip(g[:, 0] + self.offset_px, 0, rgb.shape[1] - 1)
            out.append(Prediction(grasps=g, primary=np.ones(1), scorer=np.ones(1)))
        return out

    def predict_samples(self, samples):
        return self.predict([s.rgb for s in samples])


def test_stored_grasps_pass_sgt_and_misplaced_ones_fail(scenes: Path) -> None:
    ds = JacquardDataset(scenes)
    assert len(ds) == 2
    good = sgt_accuracy(TruthDetector(ds), ds)
    assert good == {"primary": 1.0, "scorer": 1.0, "n": 2}
    off = sgt_accuracy(TruthDetector(ds, offset_px=150.0), ds)
    assert off["primary"] == 0.0 and off["scorer"] == 0.0


@pytest.mark.parametrize("offset_px, expected", [(0.0, 1.0), (150.0, 0.0)])
def test_cli_writes_both_metrics(scenes: Path, tmp_path: Path, monkeypatch, offset_px: float, expected: float) -> None:
    # The CLI over a detector whose answers the fixture fixes: the stored grasps (every
    # metric 1) or the same grasps moved off the object (every metric 0).
    detector = TruthDetector(JacquardDataset(scenes), offset_px)
    detector.config = ModelConfig()
    monkeypatch.setattr("simgrasp.jaccard.load_network", lambda path, device, **options: detector)
    out = tmp_path / "result.json"
    main(["--checkpoint", str(tmp_path / "unused.pt"), "--data", str(scenes), "--sgt", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["n"] == 2
    for key in ("accuracy_primary", "accuracy_scorer", "sgt_primary", "sgt_scorer"):
        assert result[key] == expected, key


def test_cli_reads_a_checkpoint(scenes: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    ckpt = tmp_path / "tiny.pt"
    save_checkpoint(ckpt, GraspNet(ModelConfig(input_size=64, scorer_channels=16, scorer_hidden=8, scorer_param_width=16)), 0)
    out = tmp_path / "result.json"
    main(["--checkpoint", str(ckpt), "--data", str(scenes), "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["n"] == 2 and result["model"]["input_size"] == 64 and result["sgt_primary"] is None
    assert (result["depth"], result["scorer_candidates"]) == (None, 0)
    # A depth-reading network over the camera's depth, the scorer ranking the primary's top 5.
    save_checkpoint(ckpt, GraspNet(ModelConfig(input="rgbd", input_size=64, scorer_channels=16, scorer_hidden=8)), 0)
    main(["--checkpoint", str(ckpt), "--data", str(scenes), "--out", str(out), "--depth", "stereo", "--scorer-candidates", "5"])
    result = json.loads(out.read_text())
    assert (result["n"], result["depth"], result["scorer_candidates"], result["model"]["input"]) == (2, "stereo", 5, "rgbd")


def test_sgt_needs_scene_records(scenes: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    for p in scenes.rglob("*"):
        if p.is_file() and not p.name.endswith("_scene.json"):
            target = bare / p.relative_to(scenes)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
    ds = JacquardDataset(bare)
    with pytest.raises(ValueError, match="no scene record"):
        sgt_accuracy(TruthDetector(ds), ds)


# Randomly initialised, small networks of the grasp-map families (GG-CNN2 on depth, GR-ConvNet-8 on RGB-D).
MAP_NETWORKS = {"ggcnn": {"input": "depth", "input_size": 128}, "grconvnet": {"input": "rgbd", "input_size": 128, "channel_size": 8}}


def exported_checkpoint(tmp_path: Path, family: str) -> Path:
    """A tiny network of ``family`` saved by training's checkpoint code, then shipped by the
    export path (``python -m simgrasp.model.export``)."""
    from simgrasp.model.contract import get_family
    from simgrasp.model.export import export_weights

    torch.manual_seed(0)
    fam = get_family(family)
    model = fam.build(fam.config.from_dict(MAP_NETWORKS[family]))
    with torch.no_grad():  # quality raised so that its peaks clear the released decoding's threshold (0.2)
        model.heads.quality.bias.add_(1.0)
    trained = save_checkpoint(tmp_path / "last.pt", model, 0)
    return export_weights(trained, tmp_path / f"{family}.pt")


@pytest.mark.parametrize("family", sorted(MAP_NETWORKS))
def test_cli_and_sgt_go_through_the_network_contract_for_every_family(scenes: Path, tmp_path: Path, family: str) -> None:
    ckpt = exported_checkpoint(tmp_path, family)
    out = tmp_path / "result.json"
    main(["--checkpoint", str(ckpt), "--data", str(scenes), "--out", str(out), "--depth", "stereo", "--sgt"])
    result = json.loads(out.read_text())
    assert (result["n"], result["family"], result["score_kinds"]) == (2, family, ["quality"])
    assert 0.0 <= result["accuracy_quality"] <= 1.0 and 0.0 <= result["sgt_quality"] <= 1.0
    assert result["seconds"] > 0
    assert result["model"]["input"] == MAP_NETWORKS[family]["input"] and result["scorer_candidates"] is None
    with pytest.raises(SystemExit, match="paper's network only"):
        main(["--checkpoint", str(ckpt), "--data", str(scenes), "--depth", "stereo", "--scorer-candidates", "5"])


@pytest.mark.parametrize("family", sorted(MAP_NETWORKS))
def test_detect_goes_through_the_network_contract_for_every_family(scenes: Path, tmp_path: Path, family: str, capsys) -> None:
    import cv2

    from simgrasp.detect import main as detect_main

    ckpt = exported_checkpoint(tmp_path, family)
    sample = JacquardDataset(scenes)[0]
    image, depth = tmp_path / "scene.png", tmp_path / "depth.npy"
    cv2.imwrite(str(image), cv2.cvtColor(sample.rgb, cv2.COLOR_RGB2BGR))
    with pytest.raises(SystemExit, match="--depth"):
        detect_main([str(image), "--checkpoint", str(ckpt)])
    np.save(depth, np.full(sample.rgb.shape[:2], 0.6, np.float32))
    detect_main([str(image), "--checkpoint", str(ckpt), "--depth", str(depth), "--top", "3", "--out", str(tmp_path / "o.png")])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "quality=" in ln]
    assert 1 <= len(lines) <= 3 and (tmp_path / "o.png").is_file()
    with pytest.raises(SystemExit, match="one of quality"):
        detect_main([str(image), "--checkpoint", str(ckpt), "--depth", str(depth), "--score", "scorer"])
