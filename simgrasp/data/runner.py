"""Running the generator over an object set: worker processes, resume, progress, summary.

Each worker process owns one :class:`SceneAnnotator` (one SimBackend, one PyBullet
client), built once by the pool initialiser (local processes) or by the first
:func:`annotate_task` it runs (Ray tasks, ``executor="ray"``); the parent appends each
finished scene's row to ``generation.jsonl`` and derives ``summary.json`` from the rows.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any, Iterator

from tqdm import tqdm

from simgrasp.config import load_toml, override, to_dict
from simgrasp.data.generate import GenerateConfig, SceneAnnotator
from simgrasp.data.writer import SUMMARY_NAME, append_log, read_log, rewrite_log, summarize
from simgrasp.registry import Registry
from simgrasp.sim.objects import resolve_objects

RUN_NAME = "generation.json"  # what the run was asked to do; --resume must match it

_worker: SceneAnnotator | None = None  # this worker process's annotator (one per process)
_worker_setup: tuple[str, GenerateConfig] | None = None  # what _worker was built for (Ray tasks)


def _init_worker(objects: str, cfg: GenerateConfig) -> None:
    global _worker
    _worker = SceneAnnotator(objects, cfg)


def _work(task: tuple[str, int, int, int]) -> dict[str, Any]:
    out, seed, o, s = task
    assert _worker is not None, "worker used before its initialiser ran"
    return _worker.annotate(Path(out), seed, o, s)


def annotate_task(setup: tuple[str, GenerateConfig], task: tuple[str, int, int, int]) -> dict[str, Any]:
    """The generator's picklable work unit (what a Ray task runs): annotate the scene
    ``task = (out, seed, object_index, scene_index)`` with this process's annotator for
    ``setup = (objects, cfg)``, built on first use and rebuilt only when the setup changes."""
    global _worker, _worker_setup
    if _worker is None or _worker_setup != setup:
        if _worker is not None:
            _worker.close()
        _worker, _worker_setup = SceneAnnotator(*setup), setup
    out, seed, o, s = task
    return _worker.annotate(Path(out), seed, o, s)


def scene_key(task: tuple[str, int, int, int]) -> tuple[int, int]:
    """What names a scene in a run: (object_index, scene_index). Its row is logged once."""
    return task[2], task[3]


def _run_params(objects: str, scenes_per_object: int, seed: int, n_objects: int, cfg: GenerateConfig) -> dict[str, Any]:
    return {"objects": objects, "scenes_per_object": scenes_per_object, "seed": seed, "n_objects": n_objects,
            "config": to_dict(cfg)}


def generate_dataset(
    objects: str,
    out: str | Path,
    scenes_per_object: int,
    workers: int = 1,
    seed: int = 0,
    resume: bool = False,
    cfg: GenerateConfig | None = None,
    limit_objects: int | None = None,
    progress: bool = True,
    executor: str = "local",
    address: str | None = None,
) -> dict[str, Any]:
    """Generate ``scenes_per_object`` scenes for each object of the spec ``objects`` (the
    first ``limit_objects`` only, if given) into ``out``. With ``resume``, scenes already
    in ``out``'s log are kept and the rest done; without it ``out`` must hold no earlier
    run. ``executor``: ``local`` (``workers`` processes) or ``ray`` (tasks on the Ray
    cluster at ``address``; None starts a local one). The files do not depend on either.
    Returns the summary (also written to ``out/summary.json``)."""
    cfg = cfg or GenerateConfig()
    if scenes_per_object < 1 or workers < 1:
        raise ValueError(f"scenes_per_object and workers must be >= 1, got {scenes_per_object} and {workers}")
    _check_executor(executor, address)
    out = Path(out)
    n_objects = len(resolve_objects(objects))
    if limit_objects is not None:
        n_objects = min(n_objects, limit_objects)
    params = _run_params(objects, scenes_per_object, seed, n_objects, cfg)
    params_json = json.loads(json.dumps(params))
    run_file = out / RUN_NAME
    if run_file.is_file():
        if not resume:
            raise ValueError(
                f"{out} already holds a generation run; pass --resume to continue it or pick another folder"
            )
        previous = json.loads(run_file.read_text())
        if previous != params_json:
            changed = sorted(k for k in params_json if previous.get(k) != params_json[k])
            raise ValueError(f"{run_file}: --resume needs the same arguments as the first run; these differ: {changed}")
    out.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(params_json, indent=1, sort_keys=True) + "\n")

    rows = read_log(out)
    rewrite_log(out, rows)  # a run killed mid-row left half a line: drop it before appending
    done = {(r["object_index"], r["scene_index"]) for r in rows}
    # An absolute folder: a Ray task may run in another working directory (or on another node).
    where = str(out.resolve())
    tasks = [(where, seed, o, s) for o in range(n_objects) for s in range(scenes_per_object) if (o, s) not in done]
    total = n_objects * scenes_per_object
    t0 = time.perf_counter()
    with tqdm(total=total, initial=total - len(tasks), disable=not progress, unit="scene") as bar:
        for row in EXECUTORS.get(executor)(objects, cfg, tasks, workers, address):
            append_log(out, row)
            bar.update(1)
    elapsed = time.perf_counter() - t0
    summary = summarize(read_log(out))
    summary.update(wall_seconds_this_run=elapsed, scenes_this_run=len(tasks), workers=workers, executor=executor,
                   scenes_per_hour_this_run=3600.0 * len(tasks) / elapsed if tasks and elapsed > 0 else 0.0)
    (out / SUMMARY_NAME).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


def _local_results(
    objects: str, cfg: GenerateConfig, tasks: list, workers: int, address: str | None
) -> Iterator[dict[str, Any]]:
    if not tasks:
        return
    if workers == 1:  # in this process: no start-up cost, same rows
        annotator = SceneAnnotator(objects, cfg)
        try:
            for out, seed, o, s in tasks:
                yield annotator.annotate(Path(out), seed, o, s)
        finally:
            annotator.close()
        return
    # forkserver: workers start from a clean interpreter, never a copy of a parent's PyBullet state
    ctx = mp.get_context("forkserver")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(objects, cfg)) as pool:
        yield from pool.imap_unordered(_work, tasks, chunksize=1)


def _ray_results(
    objects: str, cfg: GenerateConfig, tasks: list, workers: int, address: str | None
) -> Iterator[dict[str, Any]]:
    # One task per scene and per cluster CPU; ``workers`` does not apply.
    if not tasks:
        return
    from simgrasp.executors.ray import RayExecutor, RayOptions

    executor = RayExecutor(annotate_task, scene_key, RayOptions(address=address))
    try:
        yield from executor.run((objects, cfg), tasks)
    finally:
        executor.close()


# executor name -> rows of the given tasks, as they finish
EXECUTORS: Registry[Any] = Registry("executor")
EXECUTORS.register("local")(_local_results)
EXECUTORS.register("ray")(_ray_results)


def _check_executor(executor: str, address: str | None) -> None:
    """Fail before any work when the executor is unknown or cannot run here."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; known: {', '.join(EXECUTORS.names())}")
    if address is not None and executor != "ray":
        raise ValueError(f"--address is for --executor ray, got --executor {executor}")
    if executor == "ray":
        from simgrasp.executors.ray import RayUnavailable, import_ray

        try:
            import_ray()
        except RayUnavailable as e:
            raise ValueError(str(e)) from None


def run_cli(args: Any) -> int:
    """``python -m simgrasp.dataset generate`` (arguments defined in simgrasp.dataset)."""
    cfg = GenerateConfig()
    if args.config is not None:
        cfg = override(cfg, load_toml(args.config), str(args.config))
    if args.noisy_depth:
        cfg = override(cfg, {"noisy_depth": True})
    if args.appearance:
        cfg = override(cfg, {"sim": {"appearance": {"mode": args.appearance}}})
    summary = generate_dataset(
        args.objects, args.out, args.scenes_per_object, args.workers, args.seed, args.resume, cfg, args.limit_objects,
        executor=args.executor, address=args.address,
    )
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0 if summary["scenes_kept"] > 0 else 1
