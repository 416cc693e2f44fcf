"""The README's and the docs' tables come from the records: generated, and checked."""

import json
import shutil
from pathlib import Path

import pytest

from simgrasp.docs import main
from simgrasp.evaluation.docs_tables import Records

REPO = Path(__file__).resolve().parents[2]


def test_committed_pages_and_plots_are_what_the_records_give():
    stale = Records(REPO).stale()
    assert not stale, f"stale generated files {[str(p.relative_to(REPO)) for p in stale]}: run python -m simgrasp.docs"


def _root(tmp_path):
    root = tmp_path / "repo"
    (root / "evaluations" / "heldout").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "policies").mkdir()
    (root / "evaluations" / "heldout.toml").write_text(
        'name = "heldout"\ndescription = "Two policies."\npolicies = ["a", "b"]\n'
        '[[bounds]]\nbetter = "a"\nworse = "b"\nmin_difference = 0.0\n')
    results = {"run": {"policies": [], "objects": "x", "seed": 0, "trials": 10, "backend": "sim", "backend_options": {}},
               "policies": {"a": {"success": {"n": 10, "successes": 9, "rate": 0.9, "ci95": [0.6, 0.98]}},
                            "b": {"success": {"n": 10, "successes": 4, "rate": 0.4, "ci95": [0.17, 0.69]}}},
               "paired": [{"a": "b", "b": "a", "pairs": 10, "difference": -0.5, "ci95": [-0.75, -0.12]}]}
    (root / "evaluations" / "heldout" / "results.json").write_text(json.dumps(results))
    (root / "README.md").write_text("# x\n<!-- generated:headline -->\nold\n<!-- end generated -->\ntail\n")
    (root / "docs" / "results.md").write_text("<!-- generated:suites -->\n<!-- end generated -->\n")
    (root / "evaluations" / "targets").mkdir()
    (root / "evaluations" / "targets" / "targets.toml").write_text(
        '[[target]]\nwhat = "best"\nsuite = "heldout"\npolicies = ["a", "b"]\nat_least = 0.95\nlimits = "small"\n')
    return root


def test_blocks_are_written_from_the_records_and_a_hand_edit_is_caught(tmp_path, capsys):
    root = _root(tmp_path)
    assert main(["--root", str(root), "--check"]) == 1
    assert main(["--root", str(root)]) == 0
    readme = (root / "README.md").read_text()
    assert "| a | 9/10 | 90.0% | [60.0, 98.0] | 0 |" in readme and readme.endswith("tail\n") and "old" not in readme
    assert "a - b: +50.0 points [+12.0, +75.0] over 10 paired scenes" in readme  # the bound's pair, signed its way
    results_md = (root / "docs" / "results.md").read_text()
    assert "### heldout" in results_md and "![heldout: success with 95 % intervals](img/heldout.svg)" in results_md
    assert (root / "docs" / "img" / "heldout.svg").read_text().startswith("<svg")
    assert main(["--root", str(root), "--check"]) == 0
    (root / "README.md").write_text(readme.replace("90.0%", "95.0%"))  # a figure typed by hand
    assert main(["--root", str(root), "--check"]) == 1
    assert "stale: README.md" in capsys.readouterr().out


def test_targets_say_met_or_missed_by_how_much(tmp_path):
    root = _root(tmp_path)
    (root / "docs" / "t.md").write_text("<!-- generated:targets -->\n<!-- end generated -->\n")
    assert main(["--root", str(root)]) == 0
    assert "| best | >= 95.0% | a 90.0% [60.0, 98.0] | missed by 5.0 points | small; no failures |" in (
        root / "docs" / "t.md").read_text()


def test_an_unknown_block_is_refused_naming_it(tmp_path, capsys):
    root = _root(tmp_path)
    (root / "docs" / "x.md").write_text("<!-- generated:nope -->\n<!-- end generated -->\n")
    assert main(["--root", str(root)]) == 2
    assert "unknown generated block 'nope'" in capsys.readouterr().err


def test_the_robust_reading_follows_the_records():
    from simgrasp.evaluation.docs_tables import robust_reading

    def policy(nominal, robust, friction):
        return {"nominal": {"rate": nominal}, "success": {"rate": robust},
                "sensitivity": {"friction": {"effect": friction[0], "ci95": friction[1:]},
                                "mass": {"effect": 0.01, "ci95": [-0.05, 0.07]}}}

    r = {"policies": {"a": policy(0.9, 0.8, (0.2, 0.05, 0.35)), "b": policy(0.5, 0.5, (0.02, -0.1, 0.14))},
         "paired": [{"a": "a", "b": "b", "difference": 0.3, "holds": True}]}
    text = "\n".join(robust_reading(r))
    assert "a -10.0, b +0.0" in text
    assert "clear of zero, largest first: a: friction +20.0 [+5.0, +35.0]." in text and "b: friction" not in text
    assert "hold under every parameter's halves: a over b" in text
    r["paired"][0]["holds"] = False
    assert "some interval reaching zero under a parameter half: a - b" in "\n".join(robust_reading(r))


def test_no_result_figure_is_typed_by_hand_outside_the_generated_blocks():
    """A measured rate (one decimal and a percent sign), an interval, or a success count
    ``k/n = ...`` in the README or a docs page lies in a generated block, or the page says
    something the records do not (the dated experiment log is a record:
    evaluations/experiments.md)."""
    import re

    block = re.compile(r"<!-- generated:[a-z_]+ -->\n.*?<!-- end generated -->", re.S)
    fence = re.compile(r"```.*?```", re.S)
    figure = re.compile(r"\b\d{1,3}\.\d\s?%|\[[+-]?\d+\.\d+, [+-]?\d+\.\d+\]|\b\d+/\d+ = ")
    typed = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = fence.sub("", block.sub("", page.read_text()))
        typed += [f"{page.name}: {line.strip()}" for line in text.splitlines() if figure.search(line)]
    assert not typed, typed
