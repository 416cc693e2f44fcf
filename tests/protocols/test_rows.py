"""Row logs: rows appended one a line, a torn last line repaired, the last run of a key wins."""

import json

from simgrasp.protocols.clear import CLEAR
from simgrasp.protocols.rows import TRIALS_FILE, RowLog, SavedRows, read_rows
from simgrasp.protocols.trial import TRIAL


def TrialLog(folder):
    return RowLog(folder / TRIALS_FILE)


def latest_rows(rows):
    """The last row of each (policy, seed), in the order of their last appearance (by hand)."""
    keep = {}
    for r in rows:
        keep.pop((r["policy"], r["seed"]), None)
        keep[(r["policy"], r["seed"])] = r
    return list(keep.values())


def done_keys(rows):
    return TRIAL.done(latest_rows(rows))


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
    assert TRIAL.saved_rows(log, keep=lambda r: r["policy"] == "q").groups == ["q"]


def test_saved_rows_by_policy_come_in_trial_order(tmp_path):
    rows = [row(5, trial=2), {**row(9), "policy": "q", "trial": 0}, row(3, trial=0), row(4, trial=1), row(3, trial=0)]
    groups = TRIAL.saved_rows(write(tmp_path / TRIALS_FILE, rows)).by_group()
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
    assert len(saved) == 0 and list(saved) == [] and saved.by_group() == {} and done_keys(saved) == set()


def test_a_job_of_several_rows_lands_whole_and_its_last_run_counts(tmp_path):
    first = [row(0, attempt=0, episode=0), row(0, attempt=1, episode=0, infrastructure_error=True)]
    again = [row(0, attempt=0, episode=0), row(0, attempt=1, episode=0, episode_done="clear")]
    with TrialLog(tmp_path) as log:
        log.append_all(first)
        log.append_all([row(1, attempt=0, episode=1, episode_done="failures")])
    saved = CLEAR.saved_rows(tmp_path / TRIALS_FILE)
    assert list(saved) == [first[0], first[1], read_rows(tmp_path / TRIALS_FILE)[-1]] and CLEAR.done(saved) == {("p", 1)}
    with TrialLog(tmp_path) as log:
        log.append_all(again[:1])  # a longer first run is replaced by the whole of the next one
        log.append_all(again[1:])
    saved = CLEAR.saved_rows(tmp_path / TRIALS_FILE)
    assert [r.get("episode_done") for r in saved] == ["failures", None, "clear"]
    assert CLEAR.done(saved) == {("p", 0), ("p", 1)}
    assert [r["attempt"] for r in saved.by_group()["p"]] == [0, 1, 0]  # by (trial, seed), then place


def test_a_log_names_its_rows_by_its_own_key(tmp_path):
    def scene(r):
        return int(r["object_index"]), int(r["scene_index"])

    path = tmp_path / "generation.jsonl"
    path.write_text(json.dumps({"object_index": 0, "scene_index": 0, "n": 1}) + "\n" + '{"policy": "p", "seed": 1}\n'
                    + json.dumps({"object_index": 0, "scene_index": 0, "n": 2}) + "\n" + '{"object_index": 1, "sc')
    with RowLog(path, scene) as log:  # the torn row goes, the row of another log's kind is no row of this one
        log.append({"object_index": 1, "scene_index": 0, "n": 3})
    assert [r["n"] for r in read_rows(path, scene)] == [1, 2, 3]
    assert [r["n"] for r in SavedRows(path, scene)] == [2, 3]
