from __future__ import annotations

from pathlib import Path

import numpy as np

from simgrasp.data.writer import generation_folder, noisy_depth, object_id_for, read_log, summarize


def test_object_ids_are_path_safe() -> None:
    assert object_id_for(3, "random_urdfs/003") == "0003-random_urdfs-003"
    assert "/" not in object_id_for(12, "shapenet/02876657/abc def")


def test_noisy_depth_adds_noise_and_edge_holes() -> None:
    d = np.full((64, 64), 0.55, np.float32)
    d[20:40, 20:40] = 0.50  # an object 5 cm tall
    n = noisy_depth(d, np.random.default_rng(0), sigma_m=0.002, edge_dropout=1.0)
    assert n.dtype == np.float32 and d[0, 0] == np.float32(0.55)  # input untouched
    flat = n[:10, :10]
    assert 0.0002 < flat.std() < 0.002  # 2 mm at 1 m scales to ~0.6 mm at 0.55 m
    assert (n[19:21, 25] == 0).any() and (n[:10, :10] != 0).all()


def test_log_round_trip_and_summary(tmp_path: Path) -> None:
    scene = {"object_index": 0, "scene_index": 0}
    with generation_folder(tmp_path).log() as log:
        log.append({**scene, "kept": True, "grasps": 4, "lift_trials": 10, "full_trials": 5, "seconds": 2.0})
        log.append({**scene, "scene_index": 1, "kept": False, "reason": "no_successful_grasp", "lift_trials": 20,
                    "seconds": 1.0})
    with (tmp_path / "generation.jsonl").open("a") as f:
        f.write('{"kept": tr')  # a run killed mid-line
    rows = read_log(tmp_path)
    s = summarize(rows)
    assert len(rows) == 2
    assert (s["scenes_kept"], s["scenes_dropped"], s["grasps"], s["trials"]) == (1, 1, 4, 35)
    assert s["dropped_by_reason"] == {"no_successful_grasp": 1}
    assert s["scenes_per_worker_hour"] == 3600.0 * 2 / 3.0


def test_the_log_is_repaired_before_more_rows_are_appended(tmp_path: Path) -> None:
    (tmp_path / "generation.jsonl").write_text('{"object_index": 0, "scene_index": 0}\n{"object_index": 0, "sce')
    with generation_folder(tmp_path).log() as log:  # the torn row is dropped, not glued to the next
        log.append({"object_index": 0, "scene_index": 1})
    assert [r["scene_index"] for r in read_log(tmp_path)] == [0, 1]
    assert (tmp_path / "generation.jsonl").read_text().count("\n") == 2
