"""The side-by-side plumbing (simgrasp.evaluation.against) on tiny runs, this checkout
against itself (as a folder and as a commit)."""

from __future__ import annotations

import subprocess

import pytest

from simgrasp.evaluation.against import (
    HERE, AgainstError, agreement_rows, agreement_table, cases, checkout, compare_costs, cost_per_unit, run_probe,
)


def test_a_folder_is_used_as_it_is_and_a_commit_gets_a_temporary_worktree():
    with checkout(str(HERE)) as root:
        assert root == HERE
    head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    with checkout("HEAD") as root:
        assert root != HERE and (root / "simgrasp" / "__init__.py").is_file()
    assert not root.exists()  # removed afterwards
    with pytest.raises(AgainstError, match="neither a checkout folder nor a commit"):
        with checkout("no-such-commit-or-folder"):
            pass


def test_a_probe_reports_cpu_per_unit_and_a_failing_one_says_why():
    (row,) = run_probe(HERE, ("trials", "random_urdfs:900-900", "single", 0, 1))
    assert row["units"] == 1 and row["executed"] == 1 and row["cpu_s"] > 0
    assert cost_per_unit(row, end_to_end=False) == row["cpu_s"]
    with pytest.raises(AgainstError, match="probe trials .* failed"):
        run_probe(HERE, ("trials", "no_such_objects:1", "single", 0, 1))


def test_an_evaluation_probe_counts_the_rows_of_its_run_before_the_run_folder_goes():
    (row,) = run_probe(HERE, ("evaluate", "random_urdfs:900-901", "random", 1, 2))
    assert row["units"] == 2 and 0 <= row["successes"] <= 2 and row["cpu_s"] > 0


def test_compare_costs_prints_both_sides_and_their_ratio():
    lines: list[str] = []
    chosen = cases(["single"], "random_urdfs:900-900", 1, 1, 1, 1)
    result = compare_costs(HERE, chosen, rounds=1, say=lines.append)
    ((mine, theirs),) = result.values()
    assert mine > 0 and theirs > 0
    assert lines[-1].startswith("single trials") and lines[-1].split()[-3].endswith("x")
    with pytest.raises(AgainstError, match="unknown case"):
        cases(["nonsense"], "x", 1, 1, 1, 1)


def test_agreement_compares_success_seed_by_seed():
    rows = agreement_rows(HERE, "random_urdfs:900-901", ["single"], ["heuristic"], 0, 2, jobs=2, pieces=2)
    assert len(rows["this"]) == len(rows["ref"]) == 2
    (line,) = agreement_table(rows)
    assert line["agreement"] == 1.0 and line["within"] and line["seeds"] == 2
    made_up = {"this": [{"kind": "single", "policy": "p", "seed": s, "success": s < 3} for s in range(4)],
               "ref": [{"kind": "single", "policy": "p", "seed": s, "success": s < 1} for s in range(4)]}
    (line,) = agreement_table(made_up)
    assert line["agreement"] == 0.5 and line["rate"] == 0.75 and line["ref_rate"] == 0.25


def test_the_plate_check_probe_runs_the_shipped_network_card():
    (row,) = run_probe(HERE, ("platecheck", "random_urdfs:900-999", "scorer", 0, 1))
    assert row["units"] == 1 and 1 <= row["kept"] <= 5
