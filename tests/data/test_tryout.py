"""python -m simgrasp.dataset tryout: the network's own grasps tried in the rebuilt scenes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from simgrasp.data.candidates import CandidateConfig
from simgrasp.data.generate import GenerateConfig
from simgrasp.data.jacquard import JacquardDataset, find_scenes
from simgrasp.data.runner import generate_dataset
from simgrasp.data.tried import read_tried_file, tried_grasps
from simgrasp.data.tryout import LOG_NAME, TryoutConfig, append_rows, choose, has_rows_of, run_tryout, scene_rng
from simgrasp.dataset import main as dataset_main
from simgrasp.model.checkpoint import save_checkpoint
from simgrasp.model.config import ModelConfig
from simgrasp.model.detector import Prediction
from simgrasp.model.network import GraspNet


def test_choose_takes_each_score_best_then_samples_the_pool() -> None:
    by_primary = np.arange(8)
    by_scorer = np.array([6, 7, 5, 4, 3, 2, 1, 0])
    cfg = TryoutConfig(by_scorer=2, by_primary=3, sampled=2, pool=5)
    picked = choose(by_scorer, by_primary, cfg, np.random.default_rng(0))
    assert picked[:5] == [(6, "network:scorer"), (7, "network:scorer"), (0, "network:primary"),
                          (1, "network:primary"), (2, "network:primary")]
    assert {j for j, s in picked[5:]} == {3, 4} and [s for _, s in picked[5:]] == ["network:sampled"] * 2
    # a grasp first by both scores is tried once, under the first source
    both = choose(by_primary, by_primary, TryoutConfig(by_scorer=1, by_primary=1, sampled=0), np.random.default_rng(0))
    assert both == [(0, "network:scorer")]
    # the pool may run short: no index twice
    short = choose(by_scorer, by_primary, TryoutConfig(0, 2, sampled=9, pool=3), np.random.default_rng(1))
    assert sorted(j for j, _ in short) == [0, 1, 2]


def test_choose_skips_what_the_gripper_cannot_make() -> None:
    # Odd indices cannot be made: each ranking's best makeable ones are tried instead, and
    # the pool is sampled among makeable grasps only.
    def even(order, keep):
        return np.asarray([j for j in order if j % 2 == 0])[:keep]

    by_primary = np.arange(10)
    picked = choose(by_primary[::-1], by_primary, TryoutConfig(1, 2, sampled=5, pool=8), np.random.default_rng(0), even)
    assert picked[:3] == [(8, "network:scorer"), (0, "network:primary"), (2, "network:primary")]
    assert sorted(j for j, _ in picked[3:]) == [4, 6]
    # nothing makeable: the best are taken as they are (a policy then executes its best)
    none = choose(by_primary, by_primary, TryoutConfig(1, 1, 3), np.random.default_rng(0), lambda o, k: np.zeros(0, int))
    assert none == [(0, "network:scorer")]


def test_config_rejects_nothing_to_try() -> None:
    with pytest.raises(ValueError, match="not all 0"):
        TryoutConfig(by_scorer=0, by_primary=0, sampled=0)
    with pytest.raises(ValueError, match=">= 0"):
        TryoutConfig(by_scorer=-1)
    with pytest.raises(ValueError, match="expected a tag without ':', ';' or spaces, got 'a:b'"):
        TryoutConfig(tag="a:b")


def test_a_tag_names_the_rows_and_what_is_skipped() -> None:
    picked = choose(np.arange(4)[::-1], np.arange(4), TryoutConfig(1, 1, 1, pool=4, tag="round2"), np.random.default_rng(0))
    assert [s for _, s in picked] == ["round2:scorer", "round2:primary", "round2:sampled"]
    tried = tried_grasps([(np.array([1.0, 2, 3, 4, 5]), 1, "success", "network:scorer")])
    assert has_rows_of(tried, "network") and not has_rows_of(tried, "round2") and not has_rows_of(tried, "net")


def test_scene_rng_depends_on_seed_and_scene_only() -> None:
    a = scene_rng(0, "0_7-jenga").integers(1 << 30, size=4)
    assert np.array_equal(a, scene_rng(0, "0_7-jenga").integers(1 << 30, size=4))
    assert not np.array_equal(a, scene_rng(1, "0_7-jenga").integers(1 << 30, size=4))
    assert not np.array_equal(a, scene_rng(0, "1_7-jenga").integers(1 << 30, size=4))


def test_append_rows_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "0_a_candidates.txt"
    append_rows(path, [(np.array([10.0, 11, 20, 30, 8]), 1, "success", "antipodal")])
    merged = append_rows(path, [(np.array([12.0, 13, -5, 25, 8]), 0, "approach_collision", "network:scorer")])
    again = read_tried_file(path)
    assert again.sources == ("antipodal", "network:scorer") == merged.sources
    assert again.reasons == ("success", "approach_collision") and list(again.success) == [1, 0]
    assert np.allclose(again.grasps[1], [12, 13, -5, 25, 8])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tryout") / "data"
    cfg = GenerateConfig(candidates=CandidateConfig(antipodal=10, random=2, jitter=2), max_grasps=4)
    generate_dataset("pybullet_objects:jenga", out, 2, workers=1, seed=3, cfg=cfg, progress=False)
    return out


class TruthDetector:
    """Ranks the scene's first stored (successful) grasp first by the primary score and
    the same grasp moved off the object first by the scorer."""

    needs_depth = False
    score_kinds = ("scorer", "primary")

    def __init__(self, data: Path) -> None:
        ds = JacquardDataset(data)
        self.truth = {ds[i].rgb.tobytes(): ds[i].grasps[0].astype(np.float64) for i in range(len(ds))}

    def predict(self, images, depths=None):
        out = []
        for rgb in images:
            good = self.truth[rgb.tobytes()]
            off = good.copy()
            off[0] = np.clip(off[0] + 150.0, 0, rgb.shape[1] - 1)
            out.append(Prediction(np.stack([good, off]), primary=np.array([0.9, 0.1]), scorer=np.array([0.1, 0.9])))
        return out


def fresh(scenes: Path, tmp_path: Path) -> Path:
    """A copy of the generated scenes that no test has tried anything on."""
    return Path(shutil.copytree(scenes, tmp_path / "data"))


def test_outcomes_are_trials_in_the_rebuilt_scene(scenes: Path, tmp_path: Path, monkeypatch) -> None:
    scenes = fresh(scenes, tmp_path)
    detector = TruthDetector(scenes)
    monkeypatch.setattr("simgrasp.model.contract.load_network", lambda path: detector)
    ckpt = tmp_path / "unused.pt"
    ckpt.write_bytes(b"")
    before = {s.scene_id: len(read_tried_file(s.path("candidates"))) for s in find_scenes(scenes)}
    summary = run_tryout(ckpt, [scenes], cfg=TryoutConfig(by_scorer=1, by_primary=1, sampled=0), progress=False)
    assert summary["scenes_tried"] == len(before) == 2 and summary["trials"] == 4
    assert summary["success_by_source"]["network:primary"]["rate"] == 1.0  # the stored grasp holds again
    assert summary["success_by_source"]["network:scorer"]["rate"] == 0.0  # 150 px off the object misses
    for s in find_scenes(scenes):
        tried = read_tried_file(s.path("candidates"))
        assert len(tried) == before[s.scene_id] + 2 and tried.sources[-2:] == ("network:scorer", "network:primary")
    log = [json.loads(line) for line in (scenes / LOG_NAME).read_text().splitlines()]
    assert len(log) == 2 and all(r["tried"] == 2 for r in log)
    # a second run finds every scene done and changes nothing
    again = run_tryout(ckpt, [scenes], cfg=TryoutConfig(by_scorer=1, by_primary=1, sampled=0), progress=False)
    assert again["scenes_skipped"] == 2 and again["trials"] == 0
    assert {s.scene_id: len(read_tried_file(s.path("candidates"))) for s in find_scenes(scenes)} == {
        k: v + 2 for k, v in before.items()
    }


def test_cli_with_a_real_checkpoint(scenes: Path, tmp_path: Path, capsys) -> None:
    data = fresh(scenes, tmp_path)
    torch.manual_seed(0)
    ckpt = tmp_path / "tiny.pt"
    save_checkpoint(ckpt, GraspNet(ModelConfig(input_size=64, scorer_channels=16, scorer_hidden=8, scorer_param_width=16)), 0)
    code = dataset_main(["tryout", "--checkpoint", str(ckpt), "--data", str(data), "--by-scorer", "2",
                         "--by-primary", "1", "--sampled", "1", "--no-progress"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scenes_tried"] == 2 and 4 <= summary["trials"] <= 8
    ds = JacquardDataset(data)
    for i in range(len(ds)):
        sources = ds.tried(i).sources
        assert sum(s.startswith("network:") for s in sources) >= 2


def test_cli_names_a_missing_checkpoint(tmp_path: Path, capsys) -> None:
    assert dataset_main(["tryout", "--checkpoint", str(tmp_path / "none.pt"), "--data", str(tmp_path)]) == 2
    assert "checkpoint not found" in capsys.readouterr().err


@pytest.mark.parametrize("family, config", [("ggcnn", {"input": "depth", "input_size": 128}),
                                            ("grconvnet", {"input": "rgbd", "input_size": 128, "channel_size": 8})])
def test_tryout_goes_through_the_network_contract_for_every_family(scenes: Path, tmp_path: Path, capsys, family, config) -> None:
    from simgrasp.model.contract import get_family
    from simgrasp.model.export import export_weights

    data = fresh(scenes, tmp_path)
    torch.manual_seed(0)
    fam = get_family(family)
    model = fam.build(fam.config.from_dict(config))
    with torch.no_grad():  # quality raised so that its peaks clear the released decoding's threshold (0.2)
        model.heads.quality.bias.add_(1.0)
    ckpt = export_weights(save_checkpoint(tmp_path / "last.pt", model, 0), tmp_path / "w.pt")
    code = dataset_main(["tryout", "--checkpoint", str(ckpt), "--data", str(data), "--depth", "stereo", "--by-scorer", "1",
                         "--by-primary", "1", "--sampled", "0", "--no-progress"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    # One score: both rankings are the same, so a scene tries its one best grasp once, by
    # the first ranking (a scene whose network proposes no grasp tries none).
    ds = JacquardDataset(data)
    rows = [src for i in range(len(ds)) for src in ds.tried(i).sources if src.startswith("network:")]
    assert summary["scenes_tried"] == 2 and 1 <= summary["trials"] == len(rows) <= 2
    assert set(rows) == {"network:scorer"}
