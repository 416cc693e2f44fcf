"""Running the generator over an object set: worker processes, resume, progress, summary.

Each worker process owns one :class:`SceneAnnotator` (one SimBackend, one PyBullet
client), built by the first :func:`annotate_task` it runs, whichever executor
(:mod:`simgrasp.executors`) runs it; the parent, holding the dataset folder's lock, appends
each finished scene's row to ``generation.jsonl`` (the run folder of
:mod:`simgrasp.protocols.folder`: fsync'd, a torn last line repaired, the resume checked
against ``generation.json`` by the one identity check) and derives ``summary.json`` from
the rows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from simgrasp.config import load_toml, override, to_dict
from simgrasp.data.generate import GenerateConfig, SceneAnnotator
from simgrasp.data.writer import SUMMARY_NAME, generation_folder, summarize
from simgrasp.executors import ExecutorError, ExecutorOptions, ProcessCache, WorkUnit, check_executor, open_executor
from simgrasp.protocols.rows import SavedRows
from simgrasp.sim.objects import resolve_objects

_annotators: ProcessCache[tuple[str, GenerateConfig], SceneAnnotator] = ProcessCache(lambda setup: SceneAnnotator(*setup))
"""This process's annotator, for ``setup = (objects, cfg)``."""


def annotate_task(setup: tuple[str, GenerateConfig], task: tuple[str, int, int, int]) -> dict[str, Any]:
    """The generator's picklable work unit: annotate the scene ``task = (out, seed,
    object_index, scene_index)`` with this process's annotator for ``setup = (objects,
    cfg)``, built on first use and rebuilt only when the setup changes."""
    out, seed, o, s = task
    return _annotators.get(setup).annotate(Path(out), seed, o, s)


def close_annotator() -> None:
    """Close this process's annotator, if any."""
    _annotators.close()


def scene_key(task: tuple[str, int, int, int]) -> tuple[int, int]:
    """What names a scene in a run: (object_index, scene_index). Its row is logged once."""
    return task[2], task[3]


#: What every executor runs for dataset generation.
SCENE: WorkUnit[tuple[str, GenerateConfig], tuple[str, int, int, int]] = WorkUnit(annotate_task, scene_key, close_annotator)


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
    connect_timeout_s: float = ExecutorOptions.connect_timeout_s,
) -> dict[str, Any]:
    """Generate ``scenes_per_object`` scenes for each object of the spec ``objects`` (the
    first ``limit_objects`` only, if given) into ``out``. With ``resume``, scenes already
    in ``out``'s log are kept and the rest done; without it ``out`` must hold no earlier
    run. ``executor``: a name of :data:`simgrasp.executors.EXECUTORS`: ``local``
    (``workers`` processes) or ``ray`` (tasks on the Ray cluster at ``address``, which
    must answer within ``connect_timeout_s``; None starts a local one). The files do not
    depend on it.
    Returns the summary (also written to ``out/summary.json``)."""
    cfg = cfg or GenerateConfig()
    if scenes_per_object < 1 or workers < 1:
        raise ValueError(f"scenes_per_object and workers must be >= 1, got {scenes_per_object} and {workers}")
    options = ExecutorOptions(workers, 1, address, connect_timeout_s)
    try:
        check_executor(executor, options)
    except ExecutorError as e:
        raise ValueError(str(e)) from None
    out = Path(out)
    n_objects = len(resolve_objects(objects))
    if limit_objects is not None:
        n_objects = min(n_objects, limit_objects)
    params = _run_params(objects, scenes_per_object, seed, n_objects, cfg)
    folder = generation_folder(out)
    folder.refuse_mixing(resume)  # checked before anything is written (RunError is a ValueError)
    folder.check_resume(params)
    try:  # connected before anything is written: an unreachable cluster leaves no trace
        runner = open_executor(executor, SCENE, options)
    except ExecutorError as e:
        raise ValueError(str(e)) from None
    try:
        folder.create()
        with folder.lock():
            folder.write_run(params)
            done = {folder.key(r) for r in SavedRows(folder.rows_path, folder.key)}
            # An absolute folder: a Ray task may run in another working directory (or on another node).
            where = str(out.resolve())
            tasks = [(where, seed, o, s) for o in range(n_objects) for s in range(scenes_per_object) if (o, s) not in done]
            total = n_objects * scenes_per_object
            t0 = time.perf_counter()
            with folder.log() as log, tqdm(total=total, initial=total - len(tasks), disable=not progress,
                                           unit="scene") as bar:
                for row in runner.run((objects, cfg), tasks):
                    log.append(row)
                    bar.update(1)
            elapsed = time.perf_counter() - t0
            summary = summarize(list(SavedRows(folder.rows_path, folder.key)))
    finally:
        runner.close()
    summary.update(wall_seconds_this_run=elapsed, scenes_this_run=len(tasks), workers=workers, executor=executor,
                   scenes_per_hour_this_run=3600.0 * len(tasks) / elapsed if tasks and elapsed > 0 else 0.0)
    (out / SUMMARY_NAME).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


def run_cli(args: Any) -> int:
    """``python -m simgrasp.dataset generate`` (arguments defined in simgrasp.dataset)."""
    cfg = GenerateConfig()
    if args.config is not None:
        cfg = override(cfg, load_toml(args.config), str(args.config))
    if args.noisy_depth:
        cfg = override(cfg, {"noisy_depth": True})
    if args.appearance:
        cfg = override(cfg, {"sim": {"appearance": {"mode": args.appearance}}})
    if args.scene:
        cfg = override(cfg, {"sim": {"scene": {"kind": args.scene}}})
    summary = generate_dataset(
        args.objects, args.out, args.scenes_per_object, args.workers, args.seed, args.resume, cfg, args.limit_objects,
        executor=args.executor, address=args.address, connect_timeout_s=args.connect_timeout,
    )
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0 if summary["scenes_kept"] > 0 else 1
