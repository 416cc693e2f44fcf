"""Summaries of trial rows: rates per object family next to the per-object ones, and the
terminal table that shows them when a run spans several families."""

from __future__ import annotations

from simgrasp.evaluation.results import family_of, summarize
from simgrasp.evaluation.tables import results_table


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
