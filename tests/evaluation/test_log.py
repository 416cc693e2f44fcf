"""trials.jsonl: rows appended one a line, a torn last line repaired, last row wins."""

import json

from simgrasp.evaluation.log import TRIALS_FILE, TrialLog, done_keys, latest_rows, read_rows


def row(seed, **kw):
    return {"policy": "p", "seed": seed, **kw}


def test_a_complete_last_row_without_its_newline_is_kept(tmp_path):
    text = "\n".join(json.dumps(row(s)) for s in range(3))  # no final newline
    (tmp_path / TRIALS_FILE).write_text(text)
    with TrialLog(tmp_path) as log:
        log.append(row(3))
    assert [r["seed"] for r in read_rows(tmp_path / TRIALS_FILE)] == [0, 1, 2, 3]


def test_a_torn_last_row_is_dropped(tmp_path):
    (tmp_path / TRIALS_FILE).write_text(json.dumps(row(0)) + "\n" + json.dumps(row(1))[:-4])
    with TrialLog(tmp_path) as log:
        log.append(row(2))
    assert (tmp_path / TRIALS_FILE).read_text().splitlines() == [json.dumps(row(0)), json.dumps(row(2), sort_keys=True)]


def test_rows_without_an_int_seed_or_a_str_policy_are_not_rows(tmp_path):
    lines = [row(0), row("abc"), row(True), {"policy": 3, "seed": 1}, row(1)]
    (tmp_path / TRIALS_FILE).write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert [r["seed"] for r in read_rows(tmp_path / TRIALS_FILE)] == [0, 1]


def test_the_last_row_of_a_trial_wins_and_infrastructure_errors_are_not_done():
    rows = [row(0, success=False, infrastructure_error=True), row(1, success=True), row(0, success=True)]
    assert latest_rows(rows) == [row(1, success=True), row(0, success=True)]
    assert done_keys(rows) == {("p", 0), ("p", 1)}
    assert done_keys(rows[:2]) == {("p", 1)}
