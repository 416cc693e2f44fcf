"""The run folder: one run at a time, its run file read clearly, JSON written atomically,
and the one resume check, over the whole identity."""

import pytest

from simgrasp.protocols.folder import LOCK_FILE, RunError, RunFolder, identity_mismatch, write_json


def test_one_run_at_a_time_and_a_released_lock_blocks_nothing(tmp_path):
    folder = RunFolder(tmp_path)
    with folder.lock():
        with pytest.raises(RunError, match=f"{tmp_path} is in use by another run"):
            with RunFolder(tmp_path).lock():
                pass
    assert (tmp_path / LOCK_FILE).exists()
    with folder.lock():  # the file left behind is no lock
        pass


def test_json_is_written_whole_and_read_back(tmp_path):
    write_json(tmp_path / "run.json", {"config": {"trials": 3}})
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]
    assert RunFolder(tmp_path).read_run() == {"config": {"trials": 3}}
    assert RunFolder(tmp_path / "none").read_run() is None


@pytest.mark.parametrize("text, message", [("{oops", "is not valid JSON"), ("[1, 2]", "expected a JSON object")])
def test_a_bad_run_file_is_one_clear_error(tmp_path, text, message):
    (tmp_path / "run.json").write_text(text)
    with pytest.raises(RunError, match=message):
        RunFolder(tmp_path).read_run()
    assert (tmp_path / "run.json").read_text() == text


def test_every_key_of_either_identity_counts():
    old = {"seed": 0, "protocol": "clear", "clearing": {"max_failures": 2}}
    assert identity_mismatch(old, {"seed": 0, "protocol": "clear", "clearing": {"max_failures": 2}}) is None
    assert identity_mismatch(old, {"seed": 0, "protocol": "trial"}) == "it was run with protocol='clear', this run has 'trial'"
    assert identity_mismatch({"seed": 0}, {"seed": 0, "camera": "left"}) == "it was run with no camera, this run has 'left'"
    assert identity_mismatch({"seed": (1, 2)}, {"seed": [1, 2]}) is None  # as JSON gives it back


def test_resume_checks_the_identity_with_defaults_for_older_files(tmp_path):
    folder = RunFolder(tmp_path)
    folder.write_run({"seed": 0}, config={})
    folder.check_resume({"seed": 0, "protocol": "trial"}, defaults={"protocol": "trial"})
    with pytest.raises(RunError, match=f"cannot resume {tmp_path}: it was run with protocol='trial', this run has 'clear'"):
        folder.check_resume({"seed": 0, "protocol": "clear"}, defaults={"protocol": "trial"})


def test_a_flat_run_file_is_the_identity_and_a_new_run_is_not_mixed_in(tmp_path):
    folder = RunFolder(tmp_path, run_file="generation.json", rows_file="generation.jsonl", identity_key=None)
    folder.write_run({"objects": "a", "seed": 1})
    assert folder.identity() == {"objects": "a", "seed": 1}
    with pytest.raises(RunError, match="it was run with seed=1, this run has 2"):
        folder.check_resume({"objects": "a", "seed": 2})
    with pytest.raises(RunError, match="already holds a run; pass --resume"):
        folder.refuse_mixing(resume=False)
    folder.refuse_mixing(resume=True)
