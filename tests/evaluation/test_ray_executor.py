"""The Ray executor against the local one: same rows, retried lost tasks, one row per job,
stopped and resumed runs, and a one-line error when Ray is missing."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fake_backend import FakeBackend
from simgrasp.evaluation.runner import RunConfig, RunError, run_evaluation
from simgrasp.protocols.base import Job
from simgrasp.protocols.rows import TRIALS_FILE, read_rows
from simgrasp.protocols.trial import TRIAL
from simgrasp.protocols.worker import WorkerSetup
from simgrasp.policies import resolve_policy

HERE = Path(__file__).resolve().parent
VOLATILE_ROW = {"timings_s", "started_at", "finished_at"}
CRASH_ONCE = f"{Path(__file__).stem}:CrashOnceBackend"
COUNTING = f"{Path(__file__).stem}:CountingBackend"


class CrashOnceBackend(FakeBackend):
    """The fake backend, except that the first reset at ``crash_seed`` kills its process
    (as a lost node or an out-of-memory kill would); ``marker`` records that it did."""

    def __init__(self, marker: str, crash_seed: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.marker, self.crash_seed = Path(marker), crash_seed

    def reset(self, seed, options=None):
        if seed == self.crash_seed and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return super().reset(seed, options)


class CountingBackend(FakeBackend):
    """The fake backend, leaving one file per construction in ``builds`` (named by pid)."""

    def __init__(self, builds: str, **kwargs) -> None:
        super().__init__(**kwargs)
        folder = Path(builds)
        n = len(list(folder.glob(f"{os.getpid()}-*")))
        (folder / f"{os.getpid()}-{n}").write_text("")


def stable_rows(rows):
    return sorted(
        ({k: v for k, v in r.items() if k not in VOLATILE_ROW} for r in rows), key=lambda r: (r["policy"], r["seed"])
    )


def keys(rows):
    return [(r["policy"], r["seed"]) for r in rows]


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance with two CPUs for this module. Its workers import the fake
    backends beside these tests through PYTHONPATH."""
    ray = pytest.importorskip("ray")
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    yield ray
    ray.shutdown()


def test_same_rows_as_the_local_executor_on_the_simulator(ray_cluster, tmp_path):
    pytest.importorskip("pybullet")
    cfg = RunConfig(policies=("heuristic", "random"), backend="sim", objects="random_urdfs:900-901", trials=2, seed=0)
    local = run_evaluation(cfg, tmp_path / "local", progress=False)
    ray = run_evaluation(replace(cfg, executor="ray"), tmp_path / "ray", progress=False)
    assert stable_rows(ray.rows) == stable_rows(local.rows)
    assert all(r["error"] is None and r["object"] for r in ray.rows)
    assert stable_rows(read_rows(tmp_path / "ray" / TRIALS_FILE)) == stable_rows(local.rows)


def test_clearing_episodes_on_ray_are_the_rows_of_the_local_run(ray_cluster, fake_config, tmp_path):
    cfg = replace(fake_config, backend="fake_backend:FakePileBackend", protocol="clear", trials=3)
    local = run_evaluation(cfg, tmp_path / "local", progress=False)
    ray = run_evaluation(replace(cfg, executor="ray"), tmp_path / "ray", progress=False)
    episode = lambda r: (r["policy"], r["episode"], r["attempt"])  # noqa: E731
    assert sorted(map(episode, ray.rows)) == sorted(map(episode, local.rows)) and len(local.rows) > 6
    assert stable_rows(sorted(ray.rows, key=episode)) == stable_rows(sorted(local.rows, key=episode))
    assert ray.results["policies"] == local.results["policies"]


def test_a_killed_worker_is_retried_and_its_trial_written_once(ray_cluster, fake_config, tmp_path):
    crash_seed = fake_config.seed + 2

    def cfg(marker: Path) -> RunConfig:
        return replace(
            fake_config,
            backend=CRASH_ONCE,
            backend_options={"marker": str(marker), "crash_seed": crash_seed},
            trials=4,
        )

    done = tmp_path / "already-crashed"
    done.write_text("")  # the local run must not kill the test process
    local = run_evaluation(cfg(done), tmp_path / "local", progress=False)
    marker = tmp_path / "crashed"
    ray = run_evaluation(replace(cfg(marker), executor="ray"), tmp_path / "ray", progress=False)
    assert marker.is_file(), "the first attempt at the crash seed never ran"
    on_disk = read_rows(tmp_path / "ray" / TRIALS_FILE)
    assert sorted(keys(on_disk)) == sorted(set(keys(on_disk))), "a trial was written twice"
    assert stable_rows(on_disk) == stable_rows(local.rows)
    assert sum(r["seed"] == crash_seed for r in on_disk) == len(fake_config.policies)


def test_each_ray_worker_builds_its_backend_once(ray_cluster, fake_config, tmp_path):
    builds = tmp_path / "builds"
    builds.mkdir()
    cfg = replace(fake_config, backend=COUNTING, backend_options={"builds": str(builds)}, executor="ray")
    out = run_evaluation(cfg, tmp_path / "run", progress=False)
    pids = [p.name.split("-")[0] for p in builds.iterdir()]
    assert len(pids) == len(set(pids)), f"a process built its backend twice: {sorted(p.name for p in builds.iterdir())}"
    # the driver's validation build, then one per Ray worker process, not one per trial
    assert len(pids) < len(out.rows)


def test_each_job_yields_one_row(ray_cluster):
    from simgrasp.executors.ray import RayExecutor

    setup = WorkerSetup("fake_backend:FakeBackend", {"objects": "fake:0-4"}, (resolve_policy("heuristic"),))
    jobs = [Job("heuristic", 5, 0), Job("heuristic", 6, 1), Job("heuristic", 5, 0)]
    executor = RayExecutor(TRIAL.unit)
    try:
        rows = [row for result in executor.run(setup, jobs) for row in result]
    finally:
        executor.close()
    assert sorted(keys(rows)) == [("heuristic", 5), ("heuristic", 6)]
    assert ray_cluster.is_initialized(), "closing must leave a Ray instance it did not start running"


def test_a_stopped_run_keeps_its_rows_and_resume_finishes_it(ray_cluster, fake_config, tmp_path):
    cfg = replace(fake_config, executor="ray")
    fatal = run_evaluation(
        replace(cfg, backend_options={"fatal_seeds": [fake_config.seed + 1]}), tmp_path / "fatal", progress=False
    )
    assert fatal.stopped and any(r.get("fatal") for r in fatal.rows)
    saved = read_rows(tmp_path / "fatal" / TRIALS_FILE)
    assert len(saved) == len(set(keys(saved))) == len(fatal.rows)

    # Half a run on Ray, then the rest on Ray with --resume: the rows of one whole run.
    run = tmp_path / "run"
    run_evaluation(replace(cfg, trials=3), run, progress=False)
    resumed = run_evaluation(cfg, run, resume=True, progress=False)
    whole = run_evaluation(fake_config, tmp_path / "local", progress=False)
    on_disk = read_rows(run / TRIALS_FILE)
    assert len(on_disk) == len(set(keys(on_disk))) == fake_config.trials * len(fake_config.policies)
    assert stable_rows(on_disk) == stable_rows(whole.rows) == stable_rows(resumed.rows)


def test_without_ray_the_cli_names_the_install_command(monkeypatch, capsys, tmp_path):
    from simgrasp.evaluate import main

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as if not installed
    out = tmp_path / "run"
    code = main(["--backend", "fake_backend:FakeBackend", "--objects", "fake:0-4", "--policy", "heuristic",
                 "--trials", "2", "--executor", "ray", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "pip install 'simgrasp[ray]'" in err
    assert not out.exists(), "nothing may run (or be left behind) when the executor is unusable"


def test_executor_flags_are_checked(fake_config, tmp_path):
    with pytest.raises(RunError, match="unknown executor 'dask'; known: local, ray"):
        run_evaluation(replace(fake_config, executor="dask"), tmp_path / "a", progress=False)
    with pytest.raises(RunError, match="--address is for --executor ray"):
        run_evaluation(replace(fake_config, address="auto"), tmp_path / "b", progress=False)


def test_resume_takes_the_executor_from_the_run_unless_given(fake_config, tmp_path):
    from simgrasp.evaluate import build_config, parse_args

    run = tmp_path / "run"
    run.mkdir()
    saved = {**json.loads(json.dumps(fake_config.__dict__)), "executor": "ray", "address": "auto"}
    (run / "run.json").write_text(json.dumps({"identity": {}, "config": saved}))
    cfg, _, _ = build_config(parse_args(["--resume", "--out", str(run)]), print)
    assert (cfg.executor, cfg.address) == ("ray", "auto")
    cfg, _, _ = build_config(parse_args(["--resume", "--out", str(run), "--executor", "local"]), print)
    assert (cfg.executor, cfg.address) == ("local", None)


def test_a_task_lost_beyond_its_retries_is_a_cluster_error(ray_cluster, tmp_path):
    from simgrasp.executors.ray import ClusterError, RayExecutor, RayOptions

    options = {"objects": "fake:0-4", "marker": str(tmp_path / "crashed"), "crash_seed": 7}
    setup = WorkerSetup(CRASH_ONCE, options, (resolve_policy("heuristic"),))
    executor = RayExecutor(TRIAL.unit, RayOptions(max_retries=0))
    try:
        with pytest.raises(ClusterError, match=r"seed=7.*lost after 0 retries"):
            list(executor.run(setup, [Job("heuristic", 7, 0)]))
    finally:
        executor.close()


def test_an_unreachable_cluster_fails_before_the_run_starts(monkeypatch, capsys, tmp_path):
    from types import SimpleNamespace

    from simgrasp.evaluate import main

    def init(**kwargs):
        raise ConnectionError(f"Could not find any running Ray instance at {kwargs['address']}.\nsecond line")

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: False, init=init))
    out = tmp_path / "run"
    code = main(["--backend", "fake_backend:FakeBackend", "--objects", "fake:0-4", "--policy", "heuristic",
                 "--trials", "2", "--executor", "ray", "--address", "auto", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == (
        "error: cannot start or reach the Ray cluster at 'auto': Could not find any running Ray instance at auto."
    )
    assert not out.exists()
