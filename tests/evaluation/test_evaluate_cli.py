import json

import pytest

from simgrasp import evaluate
from simgrasp.protocols.rows import TRIALS_FILE, read_rows

FAKE = ["--backend", "fake_backend:FakeBackend", "--objects", "fake:0-4", "--no-progress"]


def run_cli(capsys, *argv):
    code = evaluate.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_suite(path, min_rate, min_difference=0.0):
    path.write_text(
        f"""
name = "fake"
policies = ["heuristic", "random"]
backend = "fake_backend:FakeBackend"
objects = "fake:0-4"
trials = 5
[[bounds]]
policy = "heuristic"
min_success_rate = {min_rate}
[[bounds]]
better = "heuristic"
worse = "random"
min_difference = {min_difference}
"""
    )
    return path


def test_check_passes_below_the_measured_rate(tmp_path, capsys):
    suite = write_suite(tmp_path / "s.toml", 0.5)
    code, out, err = run_cli(capsys, "--suite", str(suite), "--check", "--out", str(tmp_path / "run"), "--no-progress")
    assert code == 0, err
    assert "ok   heuristic success rate >= 50.0%" in out


def test_check_fails_above_the_measured_rate_naming_the_bound(tmp_path, capsys):
    suite = write_suite(tmp_path / "s.toml", 1.0, min_difference=1.0)
    code, out, err = run_cli(capsys, "--suite", str(suite), "--check", "--out", str(tmp_path / "run"), "--no-progress")
    assert code == 1
    assert "heuristic beats random by more than +100.0 pts" in err
    assert "FAIL" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--policy", "nope"],
            "unknown policy 'nope'; known: ggcnn2, ggcnn2_nojaws, grconvnet, grconvnet_nojaws, heuristic, network, "
            "oracle, primary, primary_nojaws, random, scorer, scorer_nojaws, scorer_rgb, scorer_top64, zhou, zhou_nojaws "
            "(or package.module:attr)",
        ),
        (["--policy", "heuristic", "--objects", ""], "empty object spec"),
        (["--policy", "heuristic", "--trials", "0"], "expected --trials >= 1"),
        (["--policy", "helper_policies:Missing"], "cannot import policy"),
        (["--policy", "heuristic", "--backend", "nope"], "unknown backend 'nope'; known:"),
    ],
)
def test_bad_input_ends_with_one_line(argv, message, tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = run_cli(capsys, *FAKE, *argv, "--out", str(out_dir))
    assert code == 2
    assert err.strip().count("\n") == 0 and err.startswith("error: ") and message in err, err
    assert not (out_dir / TRIALS_FILE).exists()


def test_missing_checkpoint_is_one_line(tmp_path, capsys):
    card = tmp_path / "mine.toml"
    card.write_text('name = "mine"\nimplementation = "scorer"\ncheckpoint = "weights/none.pt"\n')
    code, _, err = run_cli(capsys, *FAKE, "--policy", str(card), "--out", str(tmp_path / "run"))
    assert (
        code == 2 and "checkpoint not found for policy 'mine'" in err and str(tmp_path / "weights" / "none.pt") in err
    )


def test_unwritable_out_dir_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    code, _, err = run_cli(capsys, *FAKE, "--policy", "random", "--out", str(tmp_path / "file" / "run"))
    assert code == 2 and "is not writable" in err and err.count("\n") == 1


def test_resume_reads_the_run_config(tmp_path, capsys):
    run = tmp_path / "run"
    code, _, _ = run_cli(capsys, *FAKE, "--policy", "heuristic", "--trials", "3", "--out", str(run))
    assert code == 0
    lines = (run / TRIALS_FILE).read_text().splitlines(keepends=True)
    (run / TRIALS_FILE).write_text("".join(lines[:1]))
    code, out, _ = run_cli(capsys, "--resume", "--out", str(run), "--no-progress")
    assert code == 0 and "heuristic" in out
    assert sorted(r["seed"] for r in read_rows(run / TRIALS_FILE)) == [0, 1, 2]


def test_default_policy_falls_back_to_heuristic_with_a_notice(tmp_path, capsys, monkeypatch):
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "scorer.toml").write_text('implementation = "scorer"\ncheckpoint = "weights/absent.pt"\n')
    monkeypatch.setattr("simgrasp.policies.cards.CARDS_DIR", cards)  # a scorer card without its weights
    monkeypatch.setitem(evaluate.DEFAULT_OBJECTS, "fake_backend:FakeBackend", "fake:0-2")
    code, out, err = run_cli(
        capsys, "--backend", "fake_backend:FakeBackend", "--trials", "2", "--out", str(tmp_path / "r"), "--no-progress"
    )
    assert code == 0
    assert "notice: evaluating 'heuristic'" in err and "absent.pt" in err and err.count("notice") == 1
    assert json.loads((tmp_path / "r" / "results.json").read_text())["policies"].keys() == {"heuristic"}


def test_compare_lays_runs_side_by_side(tmp_path, capsys):
    for name, seed in (("a", "0"), ("b", "50")):
        assert (
            run_cli(
                capsys,
                *FAKE,
                "--policy",
                "heuristic,random",
                "--trials",
                "4",
                "--seed",
                seed,
                "--out",
                str(tmp_path / name),
            )[0]
            == 0
        )
    code, out, err = run_cli(
        capsys, "--compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp")
    )
    assert code == 0, err
    assert "vs first run" in out and "heuristic" in out and "random" in out
    cmp = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [e["run"] for e in cmp["policies"]["heuristic"]] == ["a", "b"]
    assert cmp["policies"]["heuristic"][1]["difference"] is not None
    assert "<svg" in (tmp_path / "cmp" / "report.html").read_text()


def test_compare_pairs_chosen_policies_of_runs_on_the_same_scenes(tmp_path, capsys):
    from simgrasp.protocols.summary import paired_comparison

    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "other"
    for d, policies, objects in ((a, "heuristic,random", "fake:0-4"), (b, "random", "fake:0-4"), (other, "random", "fake:0-2")):
        args = ["--backend", "fake_backend:FakeBackend", "--objects", objects, "--no-progress"]
        assert run_cli(capsys, *args, "--policy", policies, "--trials", "6", "--out", str(d))[0] == 0
    code, out, err = run_cli(capsys, "--compare", f"{a}:heuristic", f"{b}:random", "--paired", "--out", str(tmp_path / "c"))
    assert code == 0, err
    assert "paired on common seeds" in out
    cmp = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert cmp["paired"] and list(cmp["policies"]) == ["heuristic"]  # one group, named after the first choice
    first, second = cmp["policies"]["heuristic"]
    assert (first["run"], second["run"]) == ("a:heuristic", "b:random")
    rows = [json.loads(line) for line in (a / TRIALS_FILE).read_text().splitlines()]
    rows_b = [json.loads(line) for line in (b / TRIALS_FILE).read_text().splitlines()]
    expected = paired_comparison(rows_b, [r for r in rows if r["policy"] == "heuristic"])
    assert second["pairs"] == 6 and second["difference"] == expected["difference"] < 0
    assert second["difference_ci95"] == expected["ci95"]
    # Other objects: not the same scenes, refused with the field that differs.
    code, _, err = run_cli(capsys, "--compare", f"{a}:random", f"{other}:random", "--paired", "--out", str(tmp_path / "d"))
    assert code == 2 and "objects='fake:0-2'" in err and "not the same scenes" in err
    # Unpaired, the same comparison is made as independent samples.
    code, out, _ = run_cli(capsys, "--compare", f"{a}:random", f"{other}:random", "--out", str(tmp_path / "e"))
    assert code == 0 and "independent samples" in out


def test_compare_names_the_policies_a_run_has(tmp_path, capsys):
    assert run_cli(capsys, *FAKE, "--policy", "heuristic", "--trials", "2", "--out", str(tmp_path / "a"))[0] == 0
    code, _, err = run_cli(capsys, "--compare", f"{tmp_path / 'a'}:scorer", str(tmp_path / "a"))
    assert code == 2 and "has no policy 'scorer'; it has heuristic" in err
    code, _, err = run_cli(capsys, *FAKE, "--paired", "--out", str(tmp_path / "x"))
    assert code == 2 and "--paired goes with --compare" in err


def test_compare_needs_finished_runs(tmp_path, capsys):
    code, _, err = run_cli(capsys, "--compare", str(tmp_path), str(tmp_path / "x"))
    assert code == 2 and "holds no trials" in err


def test_a_suite_value_of_the_wrong_type_is_bad_input_not_a_failed_bound(tmp_path, capsys):
    suite = tmp_path / "s.toml"
    suite.write_text('policies = ["heuristic"]\nbackend = "fake_backend:FakeBackend"\nobjects = "fake:0-4"\ntrials = "ten"\n')
    code, out, err = run_cli(capsys, "--suite", str(suite), "--check", "--out", str(tmp_path / "run"), "--no-progress")
    assert code == 2
    assert err.strip().count("\n") == 0 and "'trials' expects an integer, got str ('ten')" in err, err


def test_a_negative_seed_is_refused(tmp_path, capsys):
    code, out, err = run_cli(capsys, *FAKE, "--policy", "heuristic", "--seed", "-1", "--out", str(tmp_path / "run"))
    assert code == 2 and err.strip() == "error: expected --seed >= 0, got -1"


def test_corrupt_run_file_and_rows_do_not_crash_resume_or_compare(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert run_cli(capsys, *FAKE, "--policy", "heuristic", "--trials", "2", "--out", str(d))[0] == 0
    with (a / TRIALS_FILE).open("a") as f:
        f.write(json.dumps({"policy": "heuristic", "seed": "abc", "success": True}) + "\n")
    code, out, err = run_cli(capsys, "--compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert code == 0, err
    code, out, err = run_cli(capsys, "--resume", "--out", str(a), "--no-progress")
    assert code == 0, err
    (a / "run.json").write_text("{not json")
    code, out, err = run_cli(capsys, "--resume", "--out", str(a), "--no-progress")
    assert code == 2 and err.startswith("error: ") and "run.json is not valid JSON" in err and err.count("\n") == 1


def test_scene_flag_is_the_backend_option_scene():
    from simgrasp.evaluate import backend_options, parse_args

    assert backend_options(parse_args(["--scene", "pile:3"]), {"scene": "single", "x": 1}) == {"scene": "pile:3", "x": 1}
    assert backend_options(parse_args([]), {"scene": "packed:4"}) == {"scene": "packed:4"}


def test_a_resume_adds_policies_on_the_same_seeds_and_keeps_the_rows_it_has(tmp_path, capsys):
    run = tmp_path / "run"
    assert run_cli(capsys, *FAKE, "--policy", "heuristic", "--trials", "3", "--out", str(run))[0] == 0
    first = [(r["policy"], r["seed"]) for r in read_rows(run / TRIALS_FILE)]
    code, out, err = run_cli(capsys, "--resume", "--out", str(run), "--policy", "heuristic,random", "--no-progress")
    assert code == 0, err
    rows = [(r["policy"], r["seed"]) for r in read_rows(run / TRIALS_FILE)]
    assert rows[: len(first)] == first and sorted(rows[len(first):]) == [("random", s) for s in range(3)]
    results = json.loads((run / "results.json").read_text())
    assert list(results["policies"]) == ["heuristic", "random"]
    # Only an extension: dropping or reordering the run's policies is still refused.
    code, _, err = run_cli(capsys, "--resume", "--out", str(run), "--policy", "random,heuristic", "--no-progress")
    assert code == 2 and "--policy random,heuristic contradicts its run.json (policies heuristic,random)" in err


def test_compare_counts_the_seeds_whose_outcome_agrees():
    from simgrasp.evaluation.compare import agreement

    first = [{"seed": s, "success": s % 2 == 0} for s in range(6)]
    second = [{"seed": s, "success": s % 2 == 0 or s == 3} for s in range(1, 8)]  # seed 3 differs; 0, 6, 7 not common
    second[0]["infrastructure_error"] = True  # seed 1 lost: not counted
    assert agreement([("sim", first), ("twin", second)]) == [{"run": "twin", "seeds": 4, "agree": 3}]
    assert agreement([("sim", first)]) == []
