"""The one runner of ``python -m simgrasp.evaluate``: validate everything up front, run a
protocol's jobs (paired seeds, any number of workers, any executor), append each job's rows
as it finishes, derive results and the report from the rows.

The protocol (``trial`` or ``clear``, :data:`simgrasp.protocols.PROTOCOLS`) says what a job
is and how rows become results; this module does what every protocol shares: the run
folder and its lock, the identity a resume must match, the worker built once to refuse
bad input before anything moves, the executor, the log and the progress bar. Job ``i`` of
every policy uses seed ``seed + i``: the same command gives the same rows whatever the
number of workers, and policies run together face the same scenes."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from simgrasp.backends.base import camera_streams
from simgrasp.backends.capabilities import MissingCapability
from simgrasp.config import ConfigError
from simgrasp.evaluation.progress import Progress
from simgrasp.executors import Executor, ExecutorError, ExecutorOptions, check_executor, open_executor
from simgrasp.policies import PolicyError, PolicySpec, resolve_policy
from simgrasp.policies.base import unserved
from simgrasp.protocols import PROTOCOLS, get_protocol
from simgrasp.protocols.base import RunProtocol, pending_jobs
from simgrasp.protocols.folder import LOCK_FILE, RUN_FILE, RunError, RunFolder, write_json
from simgrasp.protocols.rows import SavedRows
from simgrasp.protocols.worker import Worker, WorkerSetup, install_worker
from simgrasp.sim import HELD_OUT_OBJECTS

RESULTS_FILE = "results.json"
REPORT_FILE = "report.html"
#: What an identity written before a field existed had for it (a resume reads it so).
IDENTITY_DEFAULTS = {"protocol": "trial"}

__all__ = ["LOCK_FILE", "RUN_FILE", "RunConfig", "RunError", "RunOutcome", "run_evaluation"]


@dataclass
class RunConfig:
    """What to evaluate. ``policies``: ``--policy`` values (names, card paths or
    ``package.module:attr``); ``backend``: registered name or ``package.module:attr``;
    ``objects``: object spec passed to the backend as ``objects=`` (None: not passed, the
    backend's own default); ``protocol``: ``trial`` (one grasp per scene) or ``clear``
    (grasps until the scene is clear; ``trials`` episodes);
    job ``i`` uses seed ``seed + i``; ``workers``: processes (1: in this process);
    ``executor``: where jobs run (``local`` processes or ``ray`` tasks, see
    :data:`~simgrasp.executors.EXECUTORS`); ``address``: the Ray cluster
    (``auto``: the running one; None: start a local one)."""

    policies: tuple[str, ...] = ("heuristic",)
    backend: str = "sim"
    backend_options: dict[str, Any] = field(default_factory=dict)
    objects: str | None = None
    trials: int = 100  # trials (or clearing episodes) per policy
    seed: int = 0  # seed of job 0
    workers: int = 1
    record: bool = False  # save each trial's image with its grasp drawn
    threads_per_worker: int = 1  # torch intra-op threads in each worker
    executor: str = "local"  # local: this process or a process pool; ray: Ray tasks (workers ignored)
    address: str | None = None  # Ray cluster for executor "ray": "auto", "HOST:PORT"; None: a local one
    connect_timeout_s: float = 20.0  # executor "ray" with an address: longest wait for the cluster to answer
    protocol: str = "trial"  # a name of simgrasp.protocols.PROTOCOLS


@dataclass
class RunOutcome:
    """What a finished (or stopped) run left: its folder, rows (the last run of each
    (policy, seed), read back from ``trials.jsonl`` when used), results, and why it
    stopped early (None when every job ran)."""

    out_dir: Path
    rows: Sequence[dict[str, Any]]
    results: dict[str, Any]
    stopped: str | None = None


def resolve_specs(refs: tuple[str, ...]) -> tuple[PolicySpec, ...]:
    """Policy specs for ``refs``, with unique labels; one-line errors."""
    try:
        specs = tuple(resolve_policy(r) for r in refs)
    except PolicyError as e:
        raise RunError(str(e)) from None
    labels = [s.label for s in specs]
    if not specs or len(set(labels)) != len(labels):
        raise RunError(f"expected one or more distinct policies, got {labels}")
    return specs


def resolve_protocol(name: str) -> RunProtocol:
    """The protocol ``name``; RunError listing the known ones."""
    try:
        return get_protocol(name)
    except KeyError as e:
        raise RunError(str(e).strip("'\"")) from None


def run_identity(cfg: RunConfig, specs: tuple[PolicySpec, ...], protocol: RunProtocol) -> dict[str, Any]:
    """The fields a resumed run must share with the run it continues, all of them."""
    return {
        "policies": [s.to_dict() for s in specs],
        "backend": cfg.backend,
        "backend_options": cfg.backend_options,
        "objects": cfg.objects,
        "seed": cfg.seed,
        **protocol.identity(),
    }


def build_setup(cfg: RunConfig, specs: tuple[PolicySpec, ...], out_dir: Path) -> WorkerSetup:
    options = dict(cfg.backend_options)
    if cfg.objects is not None:
        options["objects"] = cfg.objects
    # Absolute: a worker on another node (or in another working directory) writes the same place.
    return WorkerSetup(cfg.backend, options, specs, str(out_dir.resolve()) if cfg.record else None)


def validate_worker(setup: WorkerSetup, protocol: RunProtocol) -> Worker:
    """Build the backend and every policy once, and check that the backend offers what the
    protocol needs and its camera what each policy reads, so bad input fails before any
    job (and before anything moves)."""
    try:
        worker = Worker(setup, protocol.requires)
    except (PolicyError, MissingCapability) as e:
        raise RunError(str(e)) from None
    except ConfigError as e:  # a backend option out of its range: the message names field, range and value
        raise RunError(f"cannot start backend {setup.backend!r}: {e}") from None
    except Exception as e:
        raise RunError(f"cannot start backend {setup.backend!r}: {type(e).__name__}: {e}") from None
    gives = camera_streams(worker.backend)
    refused = [why for label, p in worker.policies.items() if (why := unserved(label, p, gives, setup.backend))]
    if refused:
        worker.close()
        raise RunError("; ".join(refused))
    return worker


def executor_options(cfg: RunConfig) -> ExecutorOptions:
    """The run's executor options. One thread per worker is the default because a single
    image per forward pass gains little from more, and on a small shared machine OpenMP
    threads that wait for a busy core cost more than they bring (measured: 0.31 s per
    detection with 2 threads against 0.07 s with 1, next to other jobs on 2 cores)."""
    return ExecutorOptions(cfg.workers, cfg.threads_per_worker, cfg.address, cfg.connect_timeout_s)


def open_run_executor(cfg: RunConfig, protocol: RunProtocol) -> Executor:
    """The run's executor for the protocol's jobs, already connected when it reaches a
    cluster, so an unreachable cluster fails before the run folder holds anything."""
    try:
        return open_executor(cfg.executor, protocol.unit, executor_options(cfg))
    except ExecutorError as e:
        raise RunError(str(e)) from None


def check_run_config(cfg: RunConfig) -> None:
    """RunError for a config no run can use, naming the field and what came."""
    for name in ("trials", "seed", "workers"):
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int):
            raise RunError(f"expected {name} to be an int, got {type(v).__name__} ({v!r})")
    if cfg.trials < 1:
        raise RunError(f"expected --trials >= 1, got {cfg.trials}")
    if cfg.seed < 0:
        raise RunError(f"expected --seed >= 0, got {cfg.seed}")
    if cfg.workers < 1:
        raise RunError(f"expected --workers >= 1, got {cfg.workers}")
    if cfg.objects is not None and not cfg.objects.strip():
        raise RunError(f"empty object spec: expected e.g. --objects {HELD_OUT_OBJECTS}")
    if cfg.protocol not in PROTOCOLS:
        raise RunError(f"unknown protocol {cfg.protocol!r}; known: {', '.join(PROTOCOLS.names())}")
    try:
        check_executor(cfg.executor, executor_options(cfg))
    except ExecutorError as e:
        raise RunError(str(e)) from None


def run_evaluation(
    cfg: RunConfig, out_dir: Path, resume: bool = False, progress: bool = True, notify: Callable[[str], None] = print
) -> RunOutcome:
    """Run (or finish, with ``resume``) the evaluation ``cfg`` into ``out_dir``, holding
    the folder's lock for the run's life (a second run on the same folder is refused)."""
    check_run_config(cfg)
    protocol = resolve_protocol(cfg.protocol)
    specs = resolve_specs(cfg.policies)
    folder = RunFolder(out_dir)
    fresh = folder.create()
    with folder.lock():
        try:
            folder.refuse_mixing(resume)
            return _run_locked(cfg, protocol, specs, folder, resume, progress, notify)
        except RunError:
            if fresh:
                folder.remove_if_empty()  # nothing ran: leave no empty run folder behind
            raise


def _run_locked(
    cfg: RunConfig,
    protocol: RunProtocol,
    specs: tuple[PolicySpec, ...],
    folder: RunFolder,
    resume: bool,
    progress: bool,
    notify: Callable[[str], None],
) -> RunOutcome:
    identity = run_identity(cfg, specs, protocol)
    if resume:
        folder.check_resume(identity, IDENTITY_DEFAULTS, extendable=("policies",))  # a resume may add policies
    setup = build_setup(cfg, specs, folder.path)
    worker = validate_worker(setup, protocol)
    try:
        executor = open_run_executor(cfg, protocol)
    except RunError:
        worker.close()
        raise
    assert worker.backend is not None
    skipped = [s.to_dict() for s in worker.backend.skipped_objects()]
    if skipped:
        notify(f"notice: {len(skipped)} object file(s) skipped: " + "; ".join(f"{s['path']}: {s['reason']}" for s in skipped))
    if cfg.workers <= 1 and cfg.executor == "local":
        install_worker(worker)  # the jobs reuse the worker built to validate the run
    else:
        worker.close()  # each process builds its own
    folder.write_run(identity, config=asdict(cfg), skipped_objects=skipped, written_at=time.time())

    labels = [s.label for s in specs]
    seeds = range(cfg.seed, cfg.seed + cfg.trials)

    def saved() -> SavedRows:  # this run's rows, held as their places in the log: the driver keeps none
        return protocol.saved_rows(folder.rows_path, keep=lambda r: r["policy"] in labels and r["seed"] in seeds)

    done = protocol.done(saved())
    jobs = pending_jobs(labels, cfg.seed, cfg.trials, done)
    stopped = None
    bar = Progress(len(labels) * cfg.trials, len(done), saved(), enabled=progress, unit=protocol.name)
    try:
        with folder.log() as log:
            for rows in executor.run(protocol.setup(setup), jobs):  # each job's rows go to the log, not to memory
                log.append_all(rows)
                bar.update(rows)
                fatal = next((r for r in rows if r.get("fatal")), None)
                if fatal is not None:
                    stopped = f"backend stopped at {fatal['policy']} seed {fatal['seed']}: {fatal.get('error')}"
                    break
    finally:
        executor.close()
        bar.close()
        rows_now = saved()
        results = {**protocol.results(rows_now, labels, {**identity, "trials": cfg.trials}), "skipped_objects": skipped}
        write_json(folder.path / RESULTS_FILE, results)
        protocol.report(folder.path / REPORT_FILE, results, rows_now, folder.path)
    return RunOutcome(folder.path, rows_now, results, stopped)
