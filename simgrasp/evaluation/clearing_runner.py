"""``python -m simgrasp.evaluate --protocol clear``: clearing episodes instead of single
trials, with the run folder, lock, resume, results and report of single trials.

Episode ``i`` of every policy is the scene of seed ``seed + i`` (paired). An episode's rows
(one per grasp) are appended together once it ends, so an interrupted run loses at most
the episode under way and ``--resume`` runs it again; an episode ended by an
infrastructure error is run again too. Episodes run in this process, one after another."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from simgrasp.env.clearing import ClearingConfig
from simgrasp.evaluation.clearing import clearing_summary, last_episode_rows, run_episode
from simgrasp.evaluation.folder import RUN_FILE, prepare_out_dir, refuse_mixing, run_lock, write_json
from simgrasp.evaluation.log import TRIALS_FILE, TrialLog, read_rows
from simgrasp.evaluation.report import html_table, page
from simgrasp.evaluation.runner import (
    REPORT_FILE, RESULTS_FILE, RunConfig, RunOutcome, build_setup, check_resumable, check_run_config,
    resolve_specs, run_identity, validate_worker,
)
from simgrasp.evaluation.tables import ci, pct, render
from simgrasp.evaluation.trial import Worker
from simgrasp.policies import PolicySpec, policy_rng


def episode_rng(seed: int, attempt: int) -> Any:
    """The policy's generator for grasp ``attempt`` of the episode of ``seed``."""
    return policy_rng(seed * 1000 + attempt)


def episode(worker: Worker, label: str, seed: int, cfg: ClearingConfig) -> list[dict[str, Any]]:
    """The rows of one episode; a backend fault ends it with an infrastructure-error row."""
    rows: list[dict[str, Any]] = []
    try:
        if worker.backend is None:
            worker.backend = worker._make_backend()
        for row in run_episode(worker.backend, worker.policies[label], seed, cfg, episode_rng):
            rows.append({"policy": label, "seed": seed, **row})
    except Exception as e:  # the backend's fault: the episode counts for no policy
        rows.append({"policy": label, "seed": seed, "episode": seed, "attempt": len(rows), "success": False,
                     "reason": worker._infra_reason(), "infrastructure_error": True, "episode_done": "error",
                     "error": f"{type(e).__name__}: {e}", "objects_at_start": rows[0]["objects_at_start"] if rows else 0})
        worker.close()
    privileged = getattr(worker.policies[label], "privileged", False)
    return [{**r, "privileged": True} for r in rows] if privileged else rows


def clearing_results(cfg: RunConfig, specs: tuple[PolicySpec, ...], rows: list[dict[str, Any]],
                     clearing: ClearingConfig) -> dict[str, Any]:
    """``results.json`` of a clearing run, from its rows only. ``success`` is the grasp
    success rate, so suite bounds read it as they read a trial run's."""
    rows = last_episode_rows(rows)
    policies = {}
    for s in specs:
        own = [r for r in rows if r["policy"] == s.label]
        summary = clearing_summary(own)
        policies[s.label] = {**summary, "success": summary["grasp_success"],
                             "privileged": any(r.get("privileged") for r in own)}
    return {"run": {**run_identity(cfg, specs), "protocol": "clear", "clearing": asdict(clearing),
                    "episodes": cfg.trials}, "policies": policies, "paired": []}


def clearing_table(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and one row per policy: episodes, grasps, grasp success, percent cleared, grasps per object."""
    head = ["policy", "episodes", "grasps", "grasp success", "95% CI", "cleared", "95% CI", "grasps/object", "errors"]
    rows = []
    for name, s in results["policies"].items():
        g, c, per = s["grasp_success"], s["cleared"], s["grasps_per_cleared_object"]
        rows.append([f"{name} (privileged)" if s["privileged"] else name, s["episodes"], s["grasps"], pct(g["rate"]),
                     ci(g["ci95"]), pct(c["rate"]), ci(c["ci95"]), "-" if per is None else f"{per:.2f}",
                     s["episodes_with_errors"]])
    return head, rows


def clearing_text(results: dict[str, Any]) -> str:
    return render(*clearing_table(results))


def run_clearing(cfg: RunConfig, out_dir: Path, resume: bool = False, notify: Callable[[str], None] = print,
                 clearing: ClearingConfig = ClearingConfig()) -> RunOutcome:
    """Run (or finish) ``cfg.trials`` clearing episodes per policy into ``out_dir``."""
    check_run_config(cfg)
    specs = resolve_specs(cfg.policies)
    prepare_out_dir(out_dir)
    with run_lock(out_dir):
        refuse_mixing(out_dir, resume)
        identity = {**run_identity(cfg, specs), "protocol": "clear", "clearing": asdict(clearing)}
        if resume:
            check_resumable(out_dir, identity)
        worker = validate_worker(build_setup(cfg, specs, out_dir))
        if cfg.workers > 1 or cfg.executor != "local":
            notify("notice: clearing episodes run in this process, one after another")
        write_json(out_dir / RUN_FILE, {"identity": identity, "config": asdict(cfg), "written_at": time.time()})
        rows = read_rows(out_dir / TRIALS_FILE)
        done = {(r["policy"], r["episode"]) for r in last_episode_rows(rows)
                if r.get("episode_done") and not r.get("infrastructure_error")}
        try:
            with TrialLog(out_dir) as log:
                for i in range(cfg.trials):
                    for s in specs:
                        if (s.label, cfg.seed + i) in done:
                            continue
                        for row in episode(worker, s.label, cfg.seed + i, clearing):
                            log.append(row)
                            rows.append(row)
        finally:
            worker.close()
            results = clearing_results(cfg, specs, rows, clearing)
            write_json(out_dir / RESULTS_FILE, results)
            (out_dir / REPORT_FILE).write_text(page("clearing", "<h1>Clearing</h1>" + html_table(*clearing_table(results))))
    return RunOutcome(out_dir, last_episode_rows(rows), results)
