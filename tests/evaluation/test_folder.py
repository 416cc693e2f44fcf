"""The run folder: one run at a time, run.json read clearly, JSON written atomically."""

import pytest

from simgrasp.evaluation.folder import LOCK_FILE, EvaluationError, read_run_file, run_lock, write_json


def test_one_run_at_a_time_and_a_released_lock_blocks_nothing(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(EvaluationError, match=f"{tmp_path} is in use by another run"):
            with run_lock(tmp_path):
                pass
    assert (tmp_path / LOCK_FILE).exists()
    with run_lock(tmp_path):  # the file left behind is no lock
        pass


def test_json_is_written_whole_and_read_back(tmp_path):
    write_json(tmp_path / "run.json", {"config": {"trials": 3}})
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]
    assert read_run_file(tmp_path) == {"config": {"trials": 3}}
    assert read_run_file(tmp_path / "none") is None


@pytest.mark.parametrize("text, message", [("{oops", "is not valid JSON"), ("[1, 2]", "expected a JSON object")])
def test_a_bad_run_file_is_one_clear_error(tmp_path, text, message):
    (tmp_path / "run.json").write_text(text)
    with pytest.raises(EvaluationError, match=message):
        read_run_file(tmp_path)
    assert (tmp_path / "run.json").read_text() == text
