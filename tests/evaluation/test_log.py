"""trials.jsonl: rows appended one a line, a torn last line repaired, last row wins."""

import json

from simgrasp.evaluation.log import TRIALS_FILE, SavedRows, TrialLog, done_keys, latest_rows, read_rows


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


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_saved_rows_are_the_latest_rows_held_as_places_in_the_log(tmp_path):
    rows = [row(0, trial=0, success=False, infrastructure_error=True), row(1, trial=1), {**row(0), "policy": "q"},
            row(0, trial=0, success=True), row(2, trial=2)]
    log = write(tmp_path / TRIALS_FILE, rows)
    saved = SavedRows(log)
    assert list(saved) == latest_rows(rows) and len(saved) == 4
    assert saved[0] == row(1, trial=1) and saved[-1] == row(2, trial=2) and saved[1:3] == latest_rows(rows)[1:3]
    assert done_keys(saved) == {("p", 0), ("p", 1), ("p", 2), ("q", 0)}
    assert SavedRows(log, keep=lambda r: r["policy"] == "q").policies == ["q"]


def test_saved_rows_by_policy_come_in_trial_order(tmp_path):
    rows = [row(5, trial=2), {**row(9), "policy": "q", "trial": 0}, row(3, trial=0), row(4, trial=1), row(3, trial=0)]
    groups = SavedRows(write(tmp_path / TRIALS_FILE, rows)).by_policy()
    assert [r["seed"] for r in groups["p"]] == [3, 4, 5]
    assert [r["seed"] for r in groups["p"]] == [3, 4, 5]  # read again from the log each time
    assert [r["seed"] for r in groups["q"]] == [9]


def test_saved_rows_stay_valid_while_the_log_grows_and_is_repaired(tmp_path):
    text = json.dumps(row(0)) + "\n" + json.dumps(row(1))  # a complete last row without its newline
    (tmp_path / TRIALS_FILE).write_text(text + "\n" + '{"policy": "p", "se')  # and a torn one after it
    saved = SavedRows(tmp_path / TRIALS_FILE)
    assert [r["seed"] for r in saved] == [0, 1]
    with TrialLog(tmp_path) as log:  # drops the torn row, appends after the others
        log.append(row(2))
    assert [r["seed"] for r in saved] == [0, 1]
    assert [r["seed"] for r in SavedRows(tmp_path / TRIALS_FILE)] == [0, 1, 2]


def test_no_log_is_no_rows(tmp_path):
    saved = SavedRows(tmp_path / TRIALS_FILE)
    assert len(saved) == 0 and list(saved) == [] and saved.by_policy() == {} and done_keys(saved) == set()
