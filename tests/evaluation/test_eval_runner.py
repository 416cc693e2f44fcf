import itertools
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from simgrasp.backends.base import POLICY_ERROR, SIM_ERROR, SkippedObject
from simgrasp.evaluation.runner import LOCK_FILE, RunError, run_evaluation
from simgrasp.protocols.base import pending_jobs
from simgrasp.protocols.folder import RunFolder
from simgrasp.protocols.rows import TRIALS_FILE, read_rows
from simgrasp.policies import POLICIES

VOLATILE_ROW = {"timings_s", "started_at", "finished_at"}


def stable_rows(rows):
    return sorted(
        ({k: v for k, v in r.items() if k not in VOLATILE_ROW} for r in rows), key=lambda r: (r["policy"], r["seed"])
    )


def stable_results(results):
    out = json.loads(json.dumps(results))
    out.pop("throughput")
    for s in out["policies"].values():
        s.pop("throughput")
    return out


@pytest.mark.parametrize("name", POLICIES.names())
def test_every_registered_policy_runs_one_trial(name, fake_config, tiny_cards, tmp_path):
    ref = tiny_cards.get(name, name)
    res = run_evaluation(replace(fake_config, policies=(ref,), trials=1), tmp_path / "run", progress=False)
    (row,) = res.rows
    assert row["policy"] == name and row["seed"] == fake_config.seed
    assert row["reason"] is not None and row["error"] is None, row["error"]
    assert row["image_grasp"] is not None and row["world_grasp"] is not None
    assert res.results["policies"][name]["trials"] == 1


def test_heuristic_beats_random_on_the_fake_scenes(fake_config, tmp_path):
    res = run_evaluation(fake_config, tmp_path / "run", progress=False)
    pol = res.results["policies"]
    assert pol["heuristic"]["success"]["rate"] > pol["random"]["success"]["rate"]
    (pair,) = res.results["paired"]
    assert pair["pairs"] == fake_config.trials and pair["difference"] > 0
    seeds = {p: sorted(r["seed"] for r in res.rows if r["policy"] == p) for p in ("heuristic", "random")}
    assert seeds["heuristic"] == seeds["random"] == list(range(3, 9))  # trial i uses seed S+i, paired


def test_same_rows_with_one_and_two_workers(fake_config, tmp_path):
    one = run_evaluation(fake_config, tmp_path / "w1", progress=False)
    two = run_evaluation(replace(fake_config, workers=2), tmp_path / "w2", progress=False)
    assert stable_rows(two.rows) == stable_rows(one.rows)
    assert stable_rows(read_rows(tmp_path / "w2" / TRIALS_FILE)) == stable_rows(one.rows)
    assert stable_results(two.results) == stable_results(one.results)


def test_resume_after_an_interruption_gives_the_same_results(fake_config, tmp_path, monkeypatch):
    full = run_evaluation(fake_config, tmp_path / "full", progress=False)
    cut = tmp_path / "cut"
    monkeypatch.setenv("FAKE_INTERRUPT_SEED", "6")
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(fake_config, cut, progress=False)
    monkeypatch.delenv("FAKE_INTERRUPT_SEED")
    saved = read_rows(cut / TRIALS_FILE)
    assert 0 < len(saved) < 2 * fake_config.trials  # the trials before Ctrl-C were kept
    with open(cut / TRIALS_FILE, "a") as f:
        f.write('{"policy": "heuristic", "seed": 7, "succ')  # a row cut short by a crash
    resumed = run_evaluation(fake_config, cut, resume=True, progress=False)
    assert len(read_rows(cut / TRIALS_FILE)) == 2 * fake_config.trials
    assert stable_rows(resumed.rows) == stable_rows(full.rows)
    on_disk = json.loads((cut / "results.json").read_text())
    assert stable_results(on_disk) == stable_results(json.loads((tmp_path / "full" / "results.json").read_text()))


def test_resume_refuses_a_different_run(fake_config, tmp_path):
    run_evaluation(replace(fake_config, trials=2), tmp_path / "run", progress=False)
    with pytest.raises(RunError, match="cannot resume"):
        run_evaluation(replace(fake_config, seed=99), tmp_path / "run", resume=True, progress=False)
    with pytest.raises(RunError, match="already holds a run"):
        run_evaluation(fake_config, tmp_path / "run", progress=False)


def test_policy_faults_are_recorded_and_the_run_goes_on(fake_config, tmp_path):
    refs = (
        "helper_policies:RaisesEvery3rd",
        "helper_policies:nan_policy",
        "helper_policies:OutsidePolicy",
        "helper_policies:ZeroWidthPolicy",
    )
    res = run_evaluation(replace(fake_config, policies=refs), tmp_path / "run", progress=False)
    by = {p: [r for r in res.rows if r["policy"] == p] for p in refs}
    flaky = by[refs[0]]
    assert len(flaky) == fake_config.trials
    assert [r["reason"] == POLICY_ERROR for r in flaky] == [i % 3 == 1 for i in range(fake_config.trials)]
    assert all("detector exploded" in r["error"] for r in flaky if r["reason"] == POLICY_ERROR)
    assert any(r["success"] for r in flaky)  # the other trials ran normally
    assert all(r["reason"] == POLICY_ERROR for p in refs[1:] for r in by[p])
    assert "non-finite" in by[refs[1]][0]["error"] and "outside" in by[refs[2]][0]["error"]
    assert "positive" in by[refs[3]][0]["error"]
    # Policy errors count against the policy.
    assert res.results["policies"][refs[1]]["success"]["n"] == fake_config.trials


def test_backend_faults_are_kept_apart(fake_config, tmp_path):
    cfg = replace(fake_config, policies=("heuristic",), backend_options={"fail_seeds": [4, 6]})
    res = run_evaluation(cfg, tmp_path / "run", progress=False)
    s = res.results["policies"]["heuristic"]
    assert s["trials"] == 6 and s["infrastructure_errors"] == 2 and s["infrastructure_reasons"] == {SIM_ERROR: 2}
    assert s["success"]["n"] == 4  # left out of the denominator
    assert {r["seed"] for r in res.rows if r["reason"] == SIM_ERROR} == {4, 6}


def test_a_run_that_lost_trials_warns_in_its_table_report_and_results(fake_config, tmp_path):
    from simgrasp.protocols import get_protocol

    cfg = replace(fake_config, policies=("heuristic", "random"), backend_options={"fail_seeds": [4, 6]})
    res = run_evaluation(cfg, tmp_path / "run", progress=False)
    w = res.results["warning"]
    assert (w["lost"], w["trials"], w["rates_cover"], w["of"], w["causes"]) == (4, 12, 4, 6, {SIM_ERROR: 4})
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["warning"] == w
    text = get_protocol("trial").text(res.results)
    assert text.startswith("WARNING: 4 of 12 trials (33.3 %) were lost") and "cover as few as 4 of 6 scenes" in text
    assert "WARNING: 4 of 12 trials" in (tmp_path / "run" / "report.html").read_text()
    # A run that lost nothing, or a share under the threshold, carries no warning.
    clean = run_evaluation(replace(cfg, backend_options={}), tmp_path / "clean", progress=False)
    assert "warning" not in clean.results and not get_protocol("trial").text(clean.results).startswith("WARNING")


def test_a_fatal_backend_error_stops_the_run_with_rows_saved(fake_config, tmp_path):
    cfg = replace(fake_config, policies=("heuristic",), backend_options={"fatal_seeds": [5]})
    res = run_evaluation(cfg, tmp_path / "run", progress=False)
    assert res.stopped and "connection lost" in res.stopped
    assert [r["seed"] for r in read_rows(tmp_path / "run" / TRIALS_FILE)] == [3, 4, 5]


def test_record_writes_images_and_the_report_shows_them(fake_config, tmp_path):
    res = run_evaluation(replace(fake_config, record=True, trials=2), tmp_path / "run", progress=False)
    assert all((tmp_path / "run" / r["image"]).is_file() for r in res.rows)
    html = (tmp_path / "run" / "report.html").read_text()
    assert "<svg" in html and html.count("data:image/png;base64,") == 4
    # failures first in the gallery
    first_card = html.index('<div class="card')
    assert 'class="card fail"' in html[first_card : first_card + 40] or "fail" not in html[first_card:]


def test_bad_input_fails_before_any_trial(fake_config, tmp_path):
    with pytest.raises(RunError, match="known: .*heuristic"):
        run_evaluation(replace(fake_config, policies=("nope",)), tmp_path / "a", progress=False)
    with pytest.raises(RunError, match="empty object spec"):
        run_evaluation(replace(fake_config, objects=" "), tmp_path / "b", progress=False)
    with pytest.raises(RunError, match="cannot start backend.*names no objects"):
        run_evaluation(replace(fake_config, objects="fake:"), tmp_path / "c", progress=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RunError, match="not writable"):
        run_evaluation(fake_config, blocker / "run", progress=False)
    assert not any((tmp_path / n).exists() for n in "abc")  # nothing ran, no folder left


def test_record_saves_the_image_of_a_trial_whose_policy_failed(fake_config, tmp_path):
    cfg = replace(fake_config, policies=("helper_policies:RaisesEvery3rd", "helper_policies:nan_policy"), record=True)
    res = run_evaluation(replace(cfg, trials=3), tmp_path / "run", progress=False)
    failed = [r for r in res.rows if r["reason"] == POLICY_ERROR]
    assert len(failed) == 4  # one of RaisesEvery3rd's, every nan_policy trial
    assert all(r["image"] and (tmp_path / "run" / r["image"]).is_file() for r in res.rows)


def test_a_folder_in_use_by_another_run_is_refused_and_a_dead_runs_lock_is_not(fake_config, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with RunFolder(out).lock():
        with pytest.raises(RunError, match="in use by another run"):
            run_evaluation(fake_config, out, progress=False)
    assert not (out / TRIALS_FILE).exists()
    # The lock file a finished (or killed) holder leaves behind blocks nothing.
    assert (out / LOCK_FILE).exists()
    res = run_evaluation(fake_config, out, progress=False)
    assert len(res.rows) == 2 * fake_config.trials


def test_infrastructure_errors_are_run_again_on_resume_and_the_last_row_counts(fake_config, tmp_path):
    cfg = replace(fake_config, policies=("heuristic",))
    run_evaluation(replace(cfg, backend_options={"fail_seeds": [4, 6]}), tmp_path / "run", progress=False)
    # The fault is gone (same identity but for the failing seeds): resume retries the two trials.
    (tmp_path / "run" / "run.json").unlink()
    res = run_evaluation(cfg, tmp_path / "run", resume=True, progress=False)
    rows = read_rows(tmp_path / "run" / TRIALS_FILE)
    assert [r["seed"] for r in rows] == [3, 4, 5, 6, 7, 8, 4, 6]
    s = res.results["policies"]["heuristic"]
    assert s["trials"] == 6 and s["infrastructure_errors"] == 0 and s["success"]["n"] == 6
    assert len(res.rows) == 6


def test_a_corrupt_run_file_is_one_clear_error_on_resume(fake_config, tmp_path):
    run_evaluation(fake_config, tmp_path / "run", progress=False)
    (tmp_path / "run" / "run.json").write_text('{"identity": {')
    with pytest.raises(RunError, match="run.json is not valid JSON"):
        run_evaluation(fake_config, tmp_path / "run", resume=True, progress=False)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"seed": -1}, "expected --seed >= 0, got -1"),
        ({"trials": 2.7}, "expected trials to be an int, got float (2.7)"),
        ({"trials": True}, "expected trials to be an int, got bool (True)"),
        ({"seed": "abc"}, "expected seed to be an int, got str ('abc')"),
    ],
)
def test_bad_run_values_are_refused_before_any_trial(fake_config, tmp_path, change, message):
    with pytest.raises(RunError) as e:
        run_evaluation(replace(fake_config, **change), tmp_path / "run", progress=False)
    assert message in str(e.value)
    assert not (tmp_path / "run").exists()


def test_jobs_are_made_one_at_a_time(fake_config):
    jobs = pending_jobs(["a", "b"], fake_config.seed, 100_000_000, {("a", 3)})
    assert isinstance(jobs, Iterator)
    assert [(j.policy, j.seed, j.index) for j in itertools.islice(jobs, 3)] == [("b", 3, 0), ("a", 4, 1), ("b", 4, 1)]


def test_skipped_objects_are_in_results_and_report(fake_config, tmp_path, monkeypatch):
    import fake_backend

    monkeypatch.setattr(
        fake_backend.FakeBackend, "skipped_objects", lambda self: (SkippedObject("/objs/bad.stl", "empty: no triangles"),)
    )
    notes = []
    run_evaluation(fake_config, tmp_path / "run", progress=False, notify=notes.append)
    assert notes == ["notice: 1 object file(s) skipped: /objs/bad.stl: empty: no triangles"]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["skipped_objects"] == [{"path": "/objs/bad.stl", "reason": "empty: no triangles"}]
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Skipped objects (1)" in html and "/objs/bad.stl" in html and "empty: no triangles" in html


def test_the_oracle_is_bound_to_the_backend_door_and_marked_privileged(fake_config, tmp_path):
    res = run_evaluation(replace(fake_config, policies=("oracle", "heuristic")), tmp_path / "run", progress=False)
    pol = res.results["policies"]
    assert pol["oracle"]["privileged"] and not pol["heuristic"]["privileged"]
    assert pol["oracle"]["success"]["rate"] == 1.0  # it executes only grasps that worked on the saved scene
    assert all(r.get("privileged") for r in res.rows if r["policy"] == "oracle")
    assert not any(r.get("privileged") for r in res.rows if r["policy"] == "heuristic")
    from simgrasp.protocols.tables import results_table

    assert "oracle (privileged)" in results_table(res.results)


def test_a_privileged_policy_on_a_backend_without_a_door_fails_before_any_trial(fake_config, tmp_path, monkeypatch):
    from fake_backend import FakeBackend

    monkeypatch.delattr(FakeBackend, "privileged")
    with pytest.raises(RunError, match="privileged.*offers no privileged access"):
        run_evaluation(replace(fake_config, policies=("oracle",)), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()



def test_the_driver_keeps_no_row_while_it_runs(tmp_path, monkeypatch):
    import tracemalloc

    from simgrasp.evaluation.runner import RunConfig
    from simgrasp.protocols.summary import summarize
    from simgrasp.protocols.trial import TRIAL

    monkeypatch.setattr("os.fsync", lambda fd: None)  # durability is not under test here; speed is
    cfg = RunConfig(policies=("random",), backend="simgrasp.evaluation.memory_bench:NullBackend")

    def peak_bytes(trials: int) -> int:
        tracemalloc.start()
        try:
            run_evaluation(replace(cfg, trials=trials), tmp_path / f"run{trials}", progress=False, notify=print)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    run_evaluation(replace(cfg, trials=5), tmp_path / "warm", progress=False, notify=print)  # what loads on first use
    small = peak_bytes(200)
    grown = peak_bytes(800) - small
    log = tmp_path / "run800" / TRIALS_FILE
    row_bytes = log.stat().st_size / 800  # ~1 KB; a row held in memory takes ~4 KB
    assert grown < 600 * row_bytes, (grown, row_bytes)  # measured: ~360 bytes a trial (the job keys, the index)
    saved = json.loads((tmp_path / "run800" / "results.json").read_text())
    assert {k: saved[k] for k in ("policies", "paired", "throughput")} == summarize(TRIAL.saved_rows(log))
