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
    monkeypatch.setattr("simgrasp.jaccard.Detector.from_checkpoint", lambda path, device, scorer_candidates=0: detector)
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
