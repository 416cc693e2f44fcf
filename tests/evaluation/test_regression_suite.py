"""CI regression test on grasp success: the shipped weights, in the simulator.

Runs ``python -m simgrasp.evaluate --suite evaluations/regression.toml --check`` exactly as
a user would. The suite's bounds are Wilson 95 % lower bounds of the rates recorded next
to it (evaluations/regression/results.json), plus "scorer beats random"; the command
exits 1 and names the bound when a rate falls below it.

Marked slow (300 simulated trials, the longest check: 15 s on a quiet machine, over a
minute on a busy one): it runs in ``make test-slow``. The suite, --check and bound
behaviour it goes through are covered in the default run by test_evaluate_cli.py and
test_suite.py with a fake backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "evaluations" / "regression.toml"
WEIGHTS = REPO / "assets" / "weights" / "default.pt"


@pytest.mark.slow
def test_shipped_weights_hold_their_recorded_success_rates(tmp_path: Path) -> None:
    assert WEIGHTS.is_file(), f"shipped weights missing: {WEIGHTS}"
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "simgrasp.evaluate", "--suite", str(SUITE), "--check", "--out", str(out), "--no-progress"],
        cwd=tmp_path,  # paths resolve from the repository, never the working directory
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"suite failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "ok   scorer beats random" in proc.stdout
    results = json.loads((out / "results.json").read_text())
    recorded = json.loads((REPO / "evaluations" / "regression" / "results.json").read_text())
    for policy in ("scorer", "primary", "random"):
        assert results["policies"][policy]["trials"] == recorded["policies"][policy]["trials"]
