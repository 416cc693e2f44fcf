"""Run an evaluation: validate everything up front, run trials (paired seeds, any number
of workers), save each row as it finishes, derive results and the report from the rows.

Trial ``i`` of every policy uses seed ``seed + i``: the same command gives the same rows
whatever the number of workers, and policies run together face the same scenes."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from simgrasp.backends.base import camera_streams
from simgrasp.config import ConfigError
from simgrasp.evaluation.folder import (
    LOCK_FILE,
    RUN_FILE,
    EvaluationError,
    prepare_out_dir,
    read_run_file,
    refuse_mixing,
    run_lock,
    write_json,
)
from simgrasp.evaluation.log import TRIALS_FILE, SavedRows, TrialLog, done_keys
from simgrasp.evaluation.progress import Progress
from simgrasp.evaluation.results import summarize_groups
from simgrasp.evaluation.trial import TRIAL, TrialJob, Worker, WorkerSetup, install_worker
from simgrasp.executors import Executor, ExecutorError, ExecutorOptions, check_executor, open_executor
from simgrasp.policies import PolicyError, PolicySpec, resolve_policy
from simgrasp.policies.base import unserved
from simgrasp.sim import HELD_OUT_OBJECTS

RESULTS_FILE = "results.json"
REPORT_FILE = "report.html"


@dataclass
class RunConfig:
    """What to evaluate. ``policies``: ``--policy`` values (names, card paths or
    ``package.module:attr``); ``backend``: registered name or ``package.module:attr``;
    ``objects``: object spec passed to the backend as ``objects=`` (None: not passed, the
    backend's own default);
    trial ``i`` uses seed ``seed + i``; ``workers``: processes (1: in this process);
    ``executor``: where trials run (``local`` processes or ``ray`` tasks, see
    :data:`~simgrasp.executors.EXECUTORS`); ``address``: the Ray cluster
    (``auto``: the running one; None: start a local one)."""

    policies: tuple[str, ...] = ("heuristic",)
    backend: str = "sim"
    backend_options: dict[str, Any] = field(default_factory=dict)
    objects: str | None = None
    trials: int = 100  # trials per policy
    seed: int = 0  # seed of trial 0
    workers: int = 1
    record: bool = False  # save each trial's image with its grasp drawn
    threads_per_worker: int = 1  # torch intra-op threads in each worker
    executor: str = "local"  # local: this process or a process pool; ray: Ray tasks (workers ignored)
    address: str | None = None  # Ray cluster for executor "ray": "auto", "HOST:PORT"; None: a local one
    connect_timeout_s: float = 20.0  # executor "ray" with an address: longest wait for the cluster to answer


@dataclass
class RunOutcome:
    """What a finished (or stopped) run left: its folder, rows (the last of each
    (policy, seed), read back from ``trials.jsonl`` when used), results, and why it
    stopped early (None when every trial ran)."""

    out_dir: Path
    rows: Sequence[dict[str, Any]]
    results: dict[str, Any]
    stopped: str | None = None


def resolve_specs(refs: tuple[str, ...]) -> tuple[PolicySpec, ...]:
    """Policy specs for ``refs``, with unique labels; one-line errors."""
    try:
        specs = tuple(resolve_policy(r) for r in refs)
    except PolicyError as e:
        raise EvaluationError(str(e)) from None
    labels = [s.label for s in specs]
    if not specs or len(set(labels)) != len(labels):
        raise EvaluationError(f"expected one or more distinct policies, got {labels}")
    return specs


def run_identity(cfg: RunConfig, specs: tuple[PolicySpec, ...]) -> dict[str, Any]:
    """The fields a resumed run must share with the run it continues."""
    return {
        "policies": [s.to_dict() for s in specs],
        "backend": cfg.backend,
        "backend_options": cfg.backend_options,
        "objects": cfg.objects,
        "seed": cfg.seed,
    }


def check_resumable(out_dir: Path, identity: dict[str, Any]) -> None:
    """Fail when ``out_dir`` holds a run that differs from this one in what it measures."""
    run = read_run_file(out_dir)
    if run is None:
        return
    old = run.get("identity", {})
    for key, value in identity.items():
        if key in old and json.loads(json.dumps(value)) != old[key]:
            raise EvaluationError(
                f"cannot resume {out_dir}: it was run with {key}={old[key]!r}, this run has {value!r}"
            )


def build_setup(cfg: RunConfig, specs: tuple[PolicySpec, ...], out_dir: Path) -> WorkerSetup:
    options = dict(cfg.backend_options)
    if cfg.objects is not None:
        options["objects"] = cfg.objects
    # Absolute: a worker on another node (or in another working directory) writes the same place.
    return WorkerSetup(cfg.backend, options, specs, str(out_dir.resolve()) if cfg.record else None)


def validate_worker(setup: WorkerSetup) -> Worker:
    """Build the backend and every policy once, so bad input fails before any trial; a
    policy reading what the backend's camera does not give is refused before anything moves."""
    try:
        worker = Worker(setup)
    except PolicyError as e:
        raise EvaluationError(str(e)) from None
    except ConfigError as e:  # a backend option out of its range: the message names field, range and value
        raise EvaluationError(f"cannot start backend {setup.backend!r}: {e}") from None
    except Exception as e:
        raise EvaluationError(f"cannot start backend {setup.backend!r}: {type(e).__name__}: {e}") from None
    gives = camera_streams(worker.backend)
    refused = [why for label, p in worker.policies.items() if (why := unserved(label, p, gives, setup.backend))]
    if refused:
        worker.close()
        raise EvaluationError("; ".join(refused))
    return worker


def saved_rows(out_dir: Path, labels: list[str], seeds: range) -> SavedRows:
    """This run's rows in ``out_dir`` (last row wins for a repeated (policy, seed)), held
    as their places in the log: the driver keeps no row in memory."""
    return SavedRows(out_dir / TRIALS_FILE, keep=lambda r: r["policy"] in labels and r["seed"] in seeds)


def write_results(
    out_dir: Path,
    cfg: RunConfig,
    specs: tuple[PolicySpec, ...],
    rows: SavedRows,
    skipped: list[dict[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Derive ``results.json`` and ``report.html`` from ``rows`` (the last row of each
    (policy, seed), streamed from the log) and write both; ``skipped``: the object files
    the backend could not use, ``{"path", "reason"}`` each."""
    from simgrasp.evaluation.report import write_report

    results = {
        "run": {**run_identity(cfg, specs), "trials": cfg.trials},
        **summarize_groups(rows.by_policy(), [s.label for s in specs]),
        "skipped_objects": list(skipped),
    }
    write_json(out_dir / RESULTS_FILE, results)
    write_report(out_dir / REPORT_FILE, results, rows, out_dir)
    return results


def executor_options(cfg: RunConfig) -> ExecutorOptions:
    """The run's executor options. One thread per worker is the default because a single
    image per forward pass gains little from more, and on a small shared machine OpenMP
    threads that wait for a busy core cost more than they bring (measured: 0.31 s per
    detection with 2 threads against 0.07 s with 1, next to other jobs on 2 cores)."""
    return ExecutorOptions(cfg.workers, cfg.threads_per_worker, cfg.address, cfg.connect_timeout_s)


def open_trial_executor(cfg: RunConfig) -> Executor:
    """The run's executor, already connected when it reaches a cluster, so an unreachable
    cluster fails before the run folder holds anything."""
    try:
        return open_executor(cfg.executor, TRIAL, executor_options(cfg))
    except ExecutorError as e:
        raise EvaluationError(str(e)) from None


def check_run_config(cfg: RunConfig) -> None:
    """EvaluationError for a config no run can use, naming the field and what came."""
    for name in ("trials", "seed", "workers"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int):
            raise EvaluationError(f"expected {name} to be an int, got {type(v).__name__} ({v!r})")
    if cfg.trials < 1:
        raise EvaluationError(f"expected --trials >= 1, got {cfg.trials}")
    if cfg.seed < 0:
        raise EvaluationError(f"expected --seed >= 0, got {cfg.seed}")
    if cfg.workers < 1:
        raise EvaluationError(f"expected --workers >= 1, got {cfg.workers}")
    if cfg.objects is not None and not cfg.objects.strip():
        raise EvaluationError(f"empty object spec: expected e.g. --objects {HELD_OUT_OBJECTS}")
    try:
        check_executor(cfg.executor, executor_options(cfg))
    except ExecutorError as e:
        raise EvaluationError(str(e)) from None


def pending_jobs(cfg: RunConfig, labels: list[str], done: set[tuple[str, int]]) -> Iterator[TrialJob]:
    """The trials still to run, made one at a time (a run of any length needs no job list).
    Trial-major order: an interrupted run still holds paired trials of every policy."""
    for i in range(cfg.trials):
        for p in labels:
            if (p, cfg.seed + i) not in done:
                yield TrialJob(p, cfg.seed + i, i)


def run_evaluation(
    cfg: RunConfig, out_dir: Path, resume: bool = False, progress: bool = True, notify: Callable[[str], None] = print
) -> RunOutcome:
    """Run (or finish, with ``resume``) the evaluation ``cfg`` into ``out_dir``, holding
    the folder's lock for the run's life (a second run on the same folder is refused)."""
    check_run_config(cfg)
    specs = resolve_specs(cfg.policies)
    fresh = not out_dir.exists()
    prepare_out_dir(out_dir)
    with run_lock(out_dir):
        try:
            refuse_mixing(out_dir, resume)
            return _run_locked(cfg, specs, out_dir, resume, progress, notify)
        except EvaluationError:
            if fresh and {p.name for p in out_dir.iterdir()} <= {LOCK_FILE}:
                (out_dir / LOCK_FILE).unlink(missing_ok=True)
                out_dir.rmdir()  # nothing ran: leave no empty run folder behind
            raise


def _run_locked(
    cfg: RunConfig,
    specs: tuple[PolicySpec, ...],
    out_dir: Path,
    resume: bool,
    progress: bool,
    notify: Callable[[str], None],
) -> RunOutcome:
    identity = run_identity(cfg, specs)
    if resume:
        check_resumable(out_dir, identity)
    setup = build_setup(cfg, specs, out_dir)
    worker = validate_worker(setup)
    in_process = cfg.workers <= 1 and cfg.executor == "local"
    try:
        executor = open_trial_executor(cfg)
    except EvaluationError:
        worker.close()
        raise
    assert worker.backend is not None
    skipped = [s.to_dict() for s in worker.backend.skipped_objects()]
    if skipped:
        notify(f"notice: {len(skipped)} object file(s) skipped: " + "; ".join(f"{s['path']}: {s['reason']}" for s in skipped))
    if in_process:
        install_worker(worker)  # the trials reuse the worker built to validate the run
    else:
        worker.close()  # each process builds its own
    write_json(
        out_dir / RUN_FILE,
        {"identity": identity, "config": asdict(cfg), "skipped_objects": skipped, "written_at": time.time()},
    )

    labels = [s.label for s in specs]
    seeds = range(cfg.seed, cfg.seed + cfg.trials)
    saved = saved_rows(out_dir, labels, seeds)
    jobs = pending_jobs(cfg, labels, done_keys(saved))
    stopped = None
    bar = Progress(total=len(labels) * cfg.trials, initial_rows=saved, enabled=progress)
    try:
        with TrialLog(out_dir) as log:
            for row in executor.run(setup, jobs):  # each row goes to the log, not to memory
                log.append(row)
                bar.update(row)
                if row.get("fatal"):
                    stopped = f"backend stopped at {row['policy']} seed {row['seed']}: {row.get('error')}"
                    break
    finally:
        executor.close()
        bar.close()
        saved = saved_rows(out_dir, labels, seeds)
        results = write_results(out_dir, cfg, specs, saved, skipped)
    return RunOutcome(out_dir, saved, results, stopped)
