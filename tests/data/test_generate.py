"""The generator end to end on a tiny run (one elongated object, the default 64 candidates)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from simgrasp.backends import base
from simgrasp.data.candidates import CandidateConfig
from simgrasp.data.generate import GenerateConfig, SceneAnnotator, label_of, scene_seeds
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.data.runner import generate_dataset
from simgrasp.data.sgt import SGTRunner, load_record, sgt_success
from simgrasp.data.writer import LOG_NAME, read_log
from simgrasp.geometry import GraspRect

OBJECTS = "pybullet_objects:jenga"  # a long block: a grasp drawn with the wrong angle sign lands on it
CFG = GenerateConfig(max_grasps=5, noisy_depth=True)  # the default candidates: 64 tried per scene
SCENES = 3


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*_*.*")) if p.name != LOG_NAME}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "one_worker"
    summary = generate_dataset(OBJECTS, out, SCENES, workers=1, seed=7, cfg=CFG, progress=False)
    return out, summary


def test_round_trip_through_the_reader(generated: tuple[Path, dict]) -> None:
    out, summary = generated
    assert summary["scenes_attempted"] == SCENES and summary["scenes_kept"] >= 2
    ds = JacquardDataset(out, depth="stereo")
    assert len(ds) == summary["scenes_kept"] and not ds.dropped
    assert set(ds.object_ids()) == {"0000-pybullet_objects-jenga"}
    straddle = mirrored = total = 0
    for i in range(len(ds)):
        s = ds[i]
        assert s.rgb.shape == (320, 320, 3) and s.mask is not None and s.depth is not None
        assert 1 <= len(s.grasps) <= CFG.max_grasps
        assert np.allclose(s.grasps[:, 4], s.grasps[0, 4])  # the jaw size in pixels
        off = lambda x, y: not s.mask[int(round(y)), int(round(x))]  # noqa: E731
        for g in s.grasp_rects():
            assert s.mask[int(round(g.y)), int(round(g.x))], "a stored grasp is centred on the object"
            straddle += all(off(x, y) for x, y in g.jaw_endpoints())
            flipped = GraspRect(g.x, g.y, -g.theta_deg, g.w, g.h)
            mirrored += all(off(x, y) for x, y in flipped.jaw_endpoints())
            total += 1
    # Stored grasps lie across the block in the image; with the angle sign flipped most would not.
    assert straddle >= 0.8 * total
    assert mirrored <= straddle - 0.2 * total


def test_stored_grasps_succeed_in_the_rebuilt_scene(generated: tuple[Path, dict]) -> None:
    out, _ = generated
    ds = JacquardDataset(out)
    prefix = ds.scenes[0].prefix
    record = load_record(prefix)
    assert record["scene_index"] == 0 and record["dataset_seed"] == 7
    with SGTRunner() as runner:
        for i in range(min(2, len(ds))):
            for g in ds[i].grasps[:2]:
                outcome = sgt_success(ds.scenes[i].prefix, g, runner)
                assert outcome.success, outcome.detail or outcome.reason


def test_two_workers_write_the_same_files(generated: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = generated
    two = tmp_path / "two_workers"
    generate_dataset(OBJECTS, two, SCENES, workers=2, seed=7, cfg=CFG, progress=False)
    a, b = _files(out), _files(two)
    assert a.keys() == b.keys() and a == b


def test_resume_after_an_interruption(generated: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = generated
    run = tmp_path / "resumed"
    shutil.copytree(out, run)
    rows = read_log(run)
    last = next(r for r in reversed(rows) if r["kept"])
    # as if killed while writing that scene: its grasps file and log row are missing,
    # and the log ends in half a line
    for p in run.rglob(f"{last['scene_id']}_grasps.txt"):
        p.unlink()
    kept_rows = [r for r in rows if r is not last]
    (run / LOG_NAME).write_text("".join(json.dumps(r) + "\n" for r in kept_rows) + '{"object_ind')
    with pytest.raises(ValueError, match="--resume"):
        generate_dataset(OBJECTS, run, SCENES, seed=7, cfg=CFG, progress=False)
    with pytest.raises(ValueError, match="seed"):
        generate_dataset(OBJECTS, run, SCENES, seed=8, cfg=CFG, resume=True, progress=False)
    summary = generate_dataset(OBJECTS, run, SCENES, seed=7, cfg=CFG, resume=True, progress=False)
    assert summary["scenes_this_run"] == 1 and summary["scenes_attempted"] == SCENES
    assert _files(run) == _files(out)


def test_scenes_without_grasps_are_dropped_and_counted(tmp_path: Path) -> None:
    cfg = GenerateConfig(min_mask_px=10**9)  # nothing is ever visible enough: no trial runs
    summary = generate_dataset(OBJECTS, tmp_path / "none", 2, seed=0, cfg=cfg, progress=False)
    assert summary["scenes_kept"] == 0 and summary["dropped_by_reason"] == {"object_not_visible": 2}
    assert not list((tmp_path / "none").rglob("*_RGB.png"))


def test_scene_seeds_depend_on_the_triple_only() -> None:
    a, ra = scene_seeds(1, 2, 3)
    b, rb = scene_seeds(1, 2, 3)
    assert a == b and ra.integers(1 << 30) == rb.integers(1 << 30)
    assert len({scene_seeds(1, o, s)[0] for o in range(3) for s in range(3)}) == 9


def test_sgt_cli_reports_each_prediction(generated: tuple[Path, dict], tmp_path: Path, capsys) -> None:
    from simgrasp.dataset import main

    out, _ = generated
    ds = JacquardDataset(out)
    g = [float(v) for v in ds[0].grasps[0]]
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"scene_id": ds.scene_ids()[0], "grasp": g}) + "\n")
    assert main(["sgt", "--data", str(out), "--predictions", str(preds), "--out", str(tmp_path / "o.jsonl")]) == 0
    assert "SGT success: 1/1" in capsys.readouterr().out
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert row["outcome"]["success"] and row["scene_id"] == ds.scene_ids()[0]
    preds.write_text(json.dumps({"scene_id": "9_nothing", "grasp": g}) + "\n")
    assert main(["sgt", "--data", str(out), "--predictions", str(preds)]) == 2


@pytest.mark.parametrize("flag", [[], ["--appearance", "fixed"]])
def test_generator_randomises_appearance_unless_told_not_to(tmp_path, flag):
    import argparse

    from simgrasp.data.io import read_depth
    from simgrasp.data.runner import run_cli
    from simgrasp.dataset import COMMANDS

    p = argparse.ArgumentParser()
    COMMANDS["generate"][0](p)
    args = p.parse_args(["--objects", "pybullet_objects:cube", "--out", str(tmp_path), "--scenes-per-object", "1"] + flag)
    assert run_cli(args) == 0
    mode = json.loads((tmp_path / "generation.json").read_text())["config"]["sim"]["appearance"]["mode"]
    assert mode == ("fixed" if flag else "randomized")
    perfect = [read_depth(f) for f in tmp_path.rglob("*_perfect_depth.tiff")]
    stereo = [read_depth(f) for f in tmp_path.rglob("*_stereo_depth.tiff")]
    assert len(perfect) == 1 and (perfect[0] > 0).all()  # the perfect depth has no holes in any mode
    # a randomised look writes the noisy depth the grasps were tried with as the stereo file
    assert len(stereo) == (0 if flag else 1)
    if stereo:
        assert (stereo[0] == 0).any() and not np.array_equal(stereo[0], perfect[0])


REASONS = {v for k, v in vars(base).items() if k.isupper() and isinstance(v, str)}


def test_every_tried_grasp_is_stored_with_its_outcome(generated: tuple[Path, dict]) -> None:
    out, _ = generated
    ds = JacquardDataset(out)
    rows = {r["scene_id"]: r for r in read_log(out) if r["kept"]}
    c = CFG.candidates
    for i in range(len(ds)):
        tried, s = ds.tried(i), ds[i]
        assert tried is not None and len(tried) == c.antipodal + c.random + c.jitter >= 64
        assert set(tried.success.tolist()) == {0, 1}, "both outcomes on every scene"
        # (random proposals make up for antipodal pairs the silhouette could not give)
        assert set(tried.sources) == {"antipodal", "random", "jitter"} and tried.sources.count("jitter") == c.jitter
        assert set(tried.reasons) <= REASONS and set(tried.reasons) - {"success"}
        row = rows[ds.scene_ids()[i]]
        assert row["outcomes"] == dict(Counter(tried.reasons)) and row["tried_success"] == (tried.success == 1).sum()
        # The grasps file holds successes of the sidecar, exactly as tried.
        ok = {tuple(g) for g in tried.grasps[tried.success == 1]}
        assert all(tuple(g) in ok for g in s.grasps)
        np.testing.assert_array_equal(s.tested, tried.grasps)  # no simulation fault here: every row a label
        assert s.tested_success.tolist() == (tried.success == 1).tolist()


def test_jitter_perturbs_successes_narrower_and_wider(generated: tuple[Path, dict]) -> None:
    out, _ = generated
    ds = JacquardDataset(out)
    c = CFG.candidates
    ratios = []
    for i in range(len(ds)):
        t = ds.tried(i)
        first = np.array([s != "jitter" for s in t.sources])
        base_ok = t.grasps[first & (t.success == 1)]
        for g in t.grasps[~first]:
            near = (np.abs(base_ok[:, :2] - g[:2]) <= c.jitter_centre_px + 0.01).all(1)
            assert near.any(), f"jittered grasp {g} is near no success"
            ratios.append(g[3] / base_ok[near][:, 3])
    r = np.concatenate(ratios)
    assert r.min() < 0.8 and r.max() > 1.2


def test_precheck_changes_no_outcome(tmp_path: Path) -> None:
    small = CandidateConfig(antipodal=6, random=4, jitter=4)
    texts = []
    for precheck in (False, True):
        annotator = SceneAnnotator(OBJECTS, GenerateConfig(candidates=small, precheck=precheck))
        try:
            row = annotator.annotate(tmp_path / str(precheck), 3, 0, 0)
        finally:
            annotator.close()
        assert row["kept"] and row["lift_trials"] == (14 if precheck else 0)
        texts.append(next((tmp_path / str(precheck)).rglob("*_candidates.txt")).read_text())
    assert texts[0] == texts[1]


def test_simulation_faults_are_not_labels() -> None:
    assert label_of(base.Outcome(False, base.SIM_ERROR)) == -1
    assert label_of(base.Outcome(False, base.MISSED)) == 0
    assert label_of(base.Outcome(True, base.SUCCESS)) == 1


def test_pile_scenes_hold_several_objects_and_their_verified_grasps(tmp_path):
    import argparse

    from simgrasp.data.runner import run_cli
    from simgrasp.dataset import COMMANDS

    p = argparse.ArgumentParser()
    COMMANDS["generate"][0](p)
    args = p.parse_args(["--objects", "random_urdfs:900-905", "--out", str(tmp_path), "--scenes-per-object", "1",
                         "--limit-objects", "1", "--scene", "pile:3", "--appearance", "fixed"])
    assert run_cli(args) == 0
    (record_file,) = tmp_path.rglob("*_scene.json")
    record = load_record(record_file)
    assert record["scene"]["kind"] == "pile:3" and len(record["scene"]["others"]) == 2
    ds = JacquardDataset(tmp_path)
    sample = ds[0]
    assert len(sample.grasps) >= 1
    g = GraspRect.from_array(sample.grasps[0])
    assert sgt_success(record_file, g).success  # rebuilt with all three objects, the grasp works again
