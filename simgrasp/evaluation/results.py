"""Every figure of a run, derived from its trial rows alone (pure functions).

A row whose reason is an infrastructure fault (``sim_error``, ``robot_error``) is counted
apart and left out of the success rate's denominator: a crashed simulator says nothing
about the policy. Policy errors (``policy_error``) count as failures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable, Sequence

from simgrasp.backends.base import INFRASTRUCTURE_REASONS
from simgrasp.evaluation.stats import paired_difference, wilson_interval

STAGES = ("lifted", "carried", "placed")


def is_infrastructure(row: dict[str, Any]) -> bool:
    """True when the trial failed for a reason that is not the policy's."""
    return bool(row.get("infrastructure_error")) or row.get("reason") in INFRASTRUCTURE_REASONS


def rate(successes: int, n: int) -> dict[str, Any]:
    """``{"n", "successes", "rate", "ci95"}`` with the Wilson interval (None when n = 0)."""
    lo, hi = wilson_interval(successes, n)
    return {
        "n": n,
        "successes": successes,
        "rate": successes / n if n else None,
        "ci95": [lo, hi] if n else None,
    }


def active_seconds(rows: Iterable[dict[str, Any]]) -> float:
    """Wall time during which at least one trial ran, in seconds: the union of the rows'
    ``[started_at, finished_at]`` intervals, so pauses between resumed sessions do not
    count and parallel trials are not counted twice."""
    spans = sorted(
        (float(r["started_at"]), float(r["finished_at"]))
        for r in rows
        if r.get("started_at") is not None and r.get("finished_at") is not None
    )
    total, cur_start, cur_end = 0.0, None, None
    for s, e in spans:
        if cur_end is None or s > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = s, e
        else:
            cur_end = max(cur_end, e)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def throughput(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Trials per second of wall time and the mean time of one trial's stages (seconds)."""
    secs = active_seconds(rows)
    stage_sums: dict[str, float] = defaultdict(float)
    for r in rows:
        for k, v in (r.get("timings_s") or {}).items():
            stage_sums[k] += float(v)
    n = len(rows)
    return {
        "active_s": secs,
        "trials_per_s": n / secs if secs > 0 else None,
        "mean_stage_s": {k: v / n for k, v in sorted(stage_sums.items())} if n else {},
    }


def family_of(name: str) -> str:
    """An object's family: its name without the last ``/`` part (``procedural/frame/003`` ->
    ``procedural/frame``, ``random_urdfs/812`` -> ``random_urdfs``, a folder's
    ``02691156/1a04e3/model`` -> ``02691156/1a04e3``); a name without ``/`` is its own."""
    return name.rsplit("/", 1)[0]


def policy_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Summary of one policy's rows: trials, infrastructure errors, success rate with its
    Wilson 95 % interval, stage rates, failure reasons, per-object and per-family
    (:func:`family_of`) rates, throughput."""
    valid = [r for r in rows if not is_infrastructure(r)]
    infra = Counter(str(r.get("reason")) for r in rows if is_infrastructure(r))
    successes = sum(bool(r.get("success")) for r in valid)
    reasons = Counter(str(r.get("reason")) for r in valid if not r.get("success"))
    per_object: dict[str, list[dict[str, Any]]] = defaultdict(list)
    per_family: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in valid:
        per_object[str(r.get("object"))].append(r)
        per_family[family_of(str(r.get("object")))].append(r)
    return {
        "privileged": any(bool(r.get("privileged")) for r in rows),  # it read the simulator (the oracle)
        "trials": len(rows),
        "valid_trials": len(valid),
        "infrastructure_errors": sum(infra.values()),
        "infrastructure_reasons": dict(sorted(infra.items())),
        "successes": successes,
        "success": rate(successes, len(valid)),
        "stages": {s: rate(sum(bool(r.get(s)) for r in valid), len(valid)) for s in STAGES},
        "failure_reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "per_object": {
            o: rate(sum(bool(r.get("success")) for r in rs), len(rs)) for o, rs in sorted(per_object.items())
        },
        "per_family": {
            f: rate(sum(bool(r.get("success")) for r in rs), len(rs)) for f, rs in sorted(per_family.items())
        },
        # Objects on which a privileged policy (the oracle) found no grasp that worked in any trial.
        "ungraspable_objects": sorted(
            o for o, rs in per_object.items() if rs and all((r.get("policy_info") or {}).get("found") is False for r in rs)
        ),
        "throughput": throughput(rows),
    }


def paired_comparison(rows_a: Sequence[dict[str, Any]], rows_b: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Policy A against policy B on the seeds both ran without an infrastructure error:
    the paired difference of success rates ``p_a - p_b`` and its Newcombe 95 % interval."""
    a = {int(r["seed"]): bool(r.get("success")) for r in rows_a if not is_infrastructure(r)}
    b = {int(r["seed"]): bool(r.get("success")) for r in rows_b if not is_infrastructure(r)}
    seeds = sorted(set(a) & set(b))
    table = Counter((a[s], b[s]) for s in seeds)
    both, only_a, only_b, neither = table[True, True], table[True, False], table[False, True], table[False, False]
    d, lo, hi = paired_difference(both, only_a, only_b, neither)
    return {
        "pairs": len(seeds),
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
        "difference": d if seeds else None,
        "ci95": [lo, hi] if seeds else None,
    }


def group_by_policy(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows by policy label, each list sorted by trial index, policies in first-seen order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r["policy"]), []).append(r)
    return {k: sorted(v, key=lambda r: (int(r.get("trial", 0)), int(r["seed"]))) for k, v in out.items()}


def summarize(rows: Iterable[dict[str, Any]], order: Sequence[str] = ()) -> dict[str, Any]:
    """The content of ``results.json``: per policy summaries (in ``order``, then any other
    policy found) and the paired comparison of every pair of policies."""
    groups = group_by_policy(rows)
    names = [p for p in order if p in groups] + sorted(p for p in groups if p not in order)
    policies = {p: policy_summary(groups[p]) for p in names}
    paired = [
        {"a": a, "b": b, **paired_comparison(groups[a], groups[b])} for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    all_rows = [r for p in names for r in groups[p]]
    return {
        "policies": policies,
        "paired": paired,
        "throughput": throughput(all_rows),
    }
