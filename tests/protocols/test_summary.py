"""Summaries of trial rows: rates per object family next to the per-object ones, the
terminal table that shows them when a run spans several families, and the one summary
whether the rows are held in a list or streamed from the log."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

from synthetic_rows import synthetic_rows

from simgrasp.protocols.rows import TRIALS_FILE
from simgrasp.protocols.summary import family_of, summarize, summarize_groups
from simgrasp.protocols.tables import results_table
from simgrasp.protocols.trial import TRIAL


def row(policy: str, seed: int, obj: str, success: bool, infra: bool = False) -> dict:
    return {"policy": policy, "seed": seed, "trial": seed, "object": obj, "success": success,
            "reason": "sim_error" if infra else ("success" if success else "missed"), "infrastructure_error": infra}


def test_family_is_the_name_without_its_last_part():
    assert family_of("procedural/frame/003") == "procedural/frame"
    assert family_of("random_urdfs/812") == "random_urdfs"
    assert family_of("shapenet/02691156/1a04e3/model") == "shapenet/02691156/1a04e3"
    assert family_of("duck") == "duck"


def test_rates_per_family_leave_out_infrastructure_errors():
    objects = ["procedural/frame/000", "procedural/frame/001", "random_urdfs/800", "procedural/frame/002"]
    rows = [row("a", s, o, ok) for s, (o, ok) in enumerate(zip(objects, [True, False, True, True]))]
    rows.append(row("a", 9, "procedural/frame/003", False, infra=True))
    rows += [row("b", s, o, False) for s, o in enumerate(objects)]
    res = summarize(rows)
    fam = res["policies"]["a"]["per_family"]
    assert {f: (r["successes"], r["n"]) for f, r in fam.items()} == {"procedural/frame": (2, 3), "random_urdfs": (1, 1)}
    assert res["policies"]["b"]["per_family"]["procedural/frame"]["successes"] == 0
    text = results_table(res)
    assert "per object family:" in text
    frame_line = next(line for line in text.splitlines() if line.startswith("procedural/frame"))
    assert "2/3 66.7%" in frame_line and "0/3 0.0%" in frame_line


def test_one_family_gets_no_family_table():
    rows = [row("a", s, f"random_urdfs/{800 + s}", s % 2 == 0) for s in range(4)]
    assert "per object family" not in results_table(summarize(rows))


# -- one home for rows -> results, however the rows come ---------------------------------
RECORDED = Path(__file__).with_name("synthetic_results.json")  # written by the summary that held every row
ORDER = ["random", "heuristic"]


def write_log(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    return path


def latest_rows(rows: list[dict], folder: Path) -> list[dict]:
    """The last row of each (policy, seed) of ``rows``, as the trial protocol reads them from a log."""
    return list(TRIAL.saved_rows(write_log(folder / "latest.jsonl", rows)))


def test_results_equal_those_the_row_holding_summary_recorded(tmp_path):
    rows = synthetic_rows(150, seed=7)
    assert summarize(latest_rows(rows, tmp_path), ORDER) == json.loads(RECORDED.read_text())


def test_results_streamed_from_the_log_equal_those_of_the_row_list(tmp_path):
    rows = synthetic_rows(150, seed=7)
    saved = TRIAL.saved_rows(write_log(tmp_path / TRIALS_FILE, rows))
    assert summarize_groups(saved.by_group(), ORDER) == json.loads(RECORDED.read_text())


def test_the_order_in_which_trials_finished_does_not_change_a_figure(tmp_path):
    rows = latest_rows(synthetic_rows(60, seed=3), tmp_path)
    shuffled = list(rows)
    random.Random(1).shuffle(shuffled)
    assert summarize(shuffled, ORDER) == summarize(rows, ORDER)


def test_the_summary_of_10000_rows_holds_no_row(tmp_path):
    rows = synthetic_rows(3334, seed=11, candidates=5)  # 10,002 rows and some re-runs, ~1 KB each in the log
    log = write_log(tmp_path / TRIALS_FILE, rows)
    expected = summarize(latest_rows(rows, tmp_path), ORDER)
    del rows
    tracemalloc.start()
    try:
        streamed = summarize_groups(TRIAL.saved_rows(log).by_group(), ORDER)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert streamed == expected
    # Some 200 bytes a row at the peak (the log's index, spans, seeds and outcomes, numpy's
    # sorting); held rows would take more than the log's own size.
    assert peak < log.stat().st_size / 3, (peak, log.stat().st_size)


def test_scenes_that_hold_fewer_objects_than_asked_are_counted_and_said():
    from simgrasp.protocols.summary import policy_summary
    from simgrasp.protocols.tables import scene_note

    rows = [
        {"policy": "p", "seed": s, "trial": s, "object": "o", "success": s % 2 == 0, "reason": "success",
         "scene": {"kind": "pile:5", "asked": 5, "objects": 5 - (s < 3), "left_out": ["x"] * (s < 3), "draw": 0}}
        for s in range(10)
    ]
    summary = policy_summary(rows)
    assert summary["scenes"] == {"trials": 10, "short": 3, "mean_objects": 4.7, "mean_asked": 5.0}
    note = scene_note({"policies": {"p": summary}})
    assert "3 of 10 held fewer objects than asked" in note and "4.70 of 5" in note
    assert "scenes" not in policy_summary([{**r, "scene": None} for r in rows])
    assert scene_note({"policies": {"p": policy_summary(rows[3:])}}) == ""
