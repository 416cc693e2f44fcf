import pytest

from simgrasp.evaluation.suite import Bound, SuiteError, check_bounds, load_suite

RESULTS = {
    "policies": {"a": {"success": {"rate": 0.7}}, "b": {"success": {"rate": 0.4}}, "c": {"success": {"rate": None}}},
    "paired": [{"a": "a", "b": "b", "difference": 0.3, "pairs": 10}],
}


def test_bounds_hold_or_fail_on_the_measured_figures():
    checks = check_bounds(
        (
            Bound(policy="a", min_success_rate=0.7),
            Bound(policy="b", min_success_rate=0.5),
            Bound(policy="c", min_success_rate=0.0),
            Bound(better="a", worse="b", min_difference=0.2),
            Bound(better="b", worse="a"),  # stored the other way round: -0.3
        ),
        RESULTS,
    )
    assert [c.passed for c in checks] == [True, False, False, True, False]
    assert "measured 40.0%" in checks[1].message and "no valid trials" in checks[2].message
    assert "-30.0 pts" in checks[4].message


@pytest.mark.parametrize(
    "text, message",
    [
        ('policies = ["a"]\ntrails = 3\n', "unknown keys \\['trails'\\]"),
        ("policies = []\n", "non-empty list"),
        ('policies = ["a"]\n[[bounds]]\npolicy = "z"\nmin_success_rate = 0.5\n', "does not run"),
        ('policies = ["a"]\n[[bounds]]\npolicy = "a"\nmin_success_rate = 50\n', "in \\[0, 1\\]"),
        ('policies = ["a"]\n[[bounds]]\nbetter = "a"\n', "expected either"),
        # A value of the wrong type names the field, the type expected and what came.
        ('policies = ["a"]\ntrials = "ten"\n', r"'trials' expects an integer, got str \('ten'\)"),
        ('policies = ["a"]\ntrials = 2.7\n', r"'trials' expects an integer, got float \(2.7\)"),
        ('policies = ["a"]\ntrials = true\n', r"'trials' expects an integer, got bool \(True\)"),
        ('policies = ["a"]\nseed = "0"\n', r"'seed' expects an integer, got str \('0'\)"),
        ('policies = ["a"]\nbounds = 3\n', r"'bounds' expects a list, got int \(3\)"),
        (
            'policies = ["a"]\n[[bounds]]\npolicy = "a"\nmin_success_rate = "high"\n',
            r"'min_success_rate' expects a number, got str \('high'\)",
        ),
    ],
)
def test_bad_suites_say_what_is_wrong(tmp_path, text, message):
    p = tmp_path / "s.toml"
    p.write_text(text)
    with pytest.raises(SuiteError, match=message):
        load_suite(p)



def test_protocol_is_read_and_checked(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('policies = ["heuristic"]\nprotocol = "clear"\n')
    assert load_suite(p).protocol == "clear"
    p.write_text('policies = ["heuristic"]\n')
    assert load_suite(p).protocol == "trial"
    p.write_text('policies = ["heuristic"]\nprotocol = "declutter"\n')
    with pytest.raises(SuiteError, match="'protocol' must be one of clear, robust, trial, got 'declutter'"):
        load_suite(p)


def test_every_recorded_suite_holds_its_bounds():
    """The suites' files load, and the results recorded beside them hold their bounds (a
    bound raised past what was measured, or a record replaced by a worse one, fails here)."""
    import json
    from pathlib import Path

    from simgrasp.evaluation.suite import check_bounds, load_suite

    evaluations = Path(__file__).resolve().parents[2] / "evaluations"
    checked = 0
    for path in sorted(evaluations.glob("*.toml")):
        suite = load_suite(path)
        recorded = evaluations / path.stem / "results.json"
        if recorded.is_file():
            failed = [c.message for c in check_bounds(suite.bounds, json.loads(recorded.read_text())) if not c.passed]
            assert not failed, f"{path.name}: {failed}"
            checked += 1
    assert checked >= 5
