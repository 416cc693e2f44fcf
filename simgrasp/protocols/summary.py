"""Every figure of a run, derived from its trial rows alone: tallies fed one row at a
time (:class:`PolicyTally`), so a run of any length is summarised without holding its rows.

A row whose reason is an infrastructure fault (``sim_error``, ``robot_error``) is counted
apart and left out of the success rate's denominator: a crashed simulator says nothing
about the policy. Policy errors (``policy_error``) count as failures.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from simgrasp.backends.base import INFRASTRUCTURE_REASONS
from simgrasp.protocols.rows import trial_order
from simgrasp.protocols.stats import paired_difference, wilson_interval

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


def _union_seconds(starts: array, ends: array) -> float:
    """Length of the union of the intervals ``[starts[i], ends[i]]``, seconds, summed
    interval by interval in time order."""
    s, e = np.array(starts, np.float64), np.array(ends, np.float64)  # copies: the arrays may grow after
    order = np.lexsort((e, s))  # by start, then end
    total, cur_start, cur_end = 0.0, None, None
    for a, b in zip(s[order].tolist(), e[order].tolist()):
        if cur_end is None or a > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = a, b
        else:
            cur_end = max(cur_end, b)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


class Throughput:
    """Gathers, one row at a time, what :meth:`summary` needs: each trial's span (two
    floats) and the running sums of its stage times."""

    def __init__(self) -> None:
        self.n = 0
        self.starts, self.ends = array("d"), array("d")
        self.stage_sums: dict[str, float] = defaultdict(float)

    def add(self, r: dict[str, Any]) -> None:
        self.n += 1
        if r.get("started_at") is not None and r.get("finished_at") is not None:
            self.starts.append(float(r["started_at"]))
            self.ends.append(float(r["finished_at"]))
        for k, v in (r.get("timings_s") or {}).items():
            self.stage_sums[k] += float(v)

    def summary(self) -> dict[str, Any]:
        """Trials per second of wall time and the mean time of one trial's stages (seconds)."""
        secs = _union_seconds(self.starts, self.ends)
        return {
            "active_s": secs,
            "trials_per_s": self.n / secs if secs > 0 else None,
            "mean_stage_s": {k: v / self.n for k, v in sorted(self.stage_sums.items())} if self.n else {},
        }


def active_seconds(rows: Iterable[dict[str, Any]]) -> float:
    """Wall time during which at least one trial ran, in seconds: the union of the rows'
    ``[started_at, finished_at]`` intervals, so pauses between resumed sessions do not
    count and parallel trials are not counted twice."""
    return throughput(rows)["active_s"]


def throughput(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Trials per second of wall time and the mean time of one trial's stages (seconds)."""
    t = Throughput()
    for r in rows:
        t.add(r)
    return t.summary()


def family_of(name: str) -> str:
    """An object's family: its name without the last ``/`` part (``procedural/frame/003`` ->
    ``procedural/frame``, ``random_urdfs/812`` -> ``random_urdfs``, a folder's
    ``02691156/1a04e3/model`` -> ``02691156/1a04e3``); a name without ``/`` is its own."""
    return name.rsplit("/", 1)[0]


class PolicyTally:
    """One policy's summary gathered one row at a time, never holding a row: counts,
    failure reasons, per-object and per-family counts (as many as there are objects),
    the :class:`Throughput`, and each valid trial's seed and success (9 bytes) for the
    paired comparisons."""

    def __init__(self) -> None:
        self.trials = self.valid = self.successes = 0
        self.privileged = False
        self.infra: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.stages = dict.fromkeys(STAGES, 0)
        self.per_object: dict[str, list[int]] = {}  # [valid trials, successes, trials with no grasp found]
        self.per_family: dict[str, list[int]] = {}  # [valid trials, successes]
        self.time = Throughput()
        self.seeds, self.outcomes = array("q"), bytearray()  # valid trials, in the order added
        self.scenes = [0, 0, 0, 0]  # valid trials with a scene summary: [trials, short, objects held, asked]

    def add(self, r: dict[str, Any]) -> None:
        self.trials += 1
        self.privileged = self.privileged or bool(r.get("privileged"))  # it read the simulator (the oracle)
        self.time.add(r)
        if is_infrastructure(r):
            self.infra[str(r.get("reason"))] += 1
            return
        ok = bool(r.get("success"))
        self.valid += 1
        self.successes += ok
        for s in STAGES:
            self.stages[s] += bool(r.get(s))
        if not ok:
            self.reasons[str(r.get("reason"))] += 1
        obj = str(r.get("object"))
        o = self.per_object.setdefault(obj, [0, 0, 0])
        o[0], o[1], o[2] = o[0] + 1, o[1] + ok, o[2] + ((r.get("policy_info") or {}).get("found") is False)
        f = self.per_family.setdefault(family_of(obj), [0, 0])
        f[0], f[1] = f[0] + 1, f[1] + ok
        if isinstance(scene := r.get("scene"), dict):  # a scene of several objects may hold fewer than asked
            held, asked = int(scene.get("objects", 0)), int(scene.get("asked", 0))
            s = self.scenes
            s[0], s[1], s[2], s[3] = s[0] + 1, s[1] + (held < asked), s[2] + held, s[3] + asked
        self.seeds.append(int(r["seed"]))
        self.outcomes.append(ok)

    def outcome_by_seed(self) -> tuple[np.ndarray, np.ndarray]:
        """``(seeds, successes)`` of the valid trials, sorted by seed; the last added wins
        for a repeated seed."""
        seeds = np.array(self.seeds, np.int64)[::-1]  # copies: the tally may grow after
        ok = np.frombuffer(bytes(self.outcomes), np.uint8)[::-1].astype(bool)
        unique, first = np.unique(seeds, return_index=True)
        return unique, ok[first]

    def summary(self) -> dict[str, Any]:
        """Trials, infrastructure errors, success rate with its Wilson 95 % interval, stage
        rates, failure reasons, per-object and per-family (:func:`family_of`) rates,
        throughput."""
        scenes = self.scene_summary()
        return {
            "privileged": self.privileged,
            "trials": self.trials,
            "valid_trials": self.valid,
            "infrastructure_errors": sum(self.infra.values()),
            "infrastructure_reasons": dict(sorted(self.infra.items())),
            "successes": self.successes,
            "success": rate(self.successes, self.valid),
            "stages": {s: rate(self.stages[s], self.valid) for s in STAGES},
            "failure_reasons": dict(sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "per_object": {o: rate(c[1], c[0]) for o, c in sorted(self.per_object.items())},
            "per_family": {f: rate(c[1], c[0]) for f, c in sorted(self.per_family.items())},
            # Objects on which a privileged policy (the oracle) found no grasp that worked in any trial.
            "ungraspable_objects": sorted(o for o, c in self.per_object.items() if c[0] and c[2] == c[0]),
            "throughput": self.time.summary(),
            **({"scenes": scenes} if scenes else {}),  # only a backend that builds scenes says
        }

    def scene_summary(self) -> dict[str, Any] | None:
        """Of the valid trials whose backend summarised its scene: how many held fewer
        objects than asked, and the objects held and asked for on average (None: no summary)."""
        n, short, held, asked = self.scenes
        if not n:
            return None
        return {"trials": n, "short": short, "mean_objects": held / n, "mean_asked": asked / n}


def tally(rows: Iterable[dict[str, Any]]) -> PolicyTally:
    """A :class:`PolicyTally` of ``rows``."""
    t = PolicyTally()
    for r in rows:
        t.add(r)
    return t


def policy_summary(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Summary of one policy's rows (:meth:`PolicyTally.summary`)."""
    return tally(rows).summary()


def paired_counts(a: PolicyTally, b: PolicyTally) -> dict[str, Any]:
    """Policy A against policy B on the seeds both ran without an infrastructure error:
    the paired difference of success rates ``p_a - p_b`` and its Newcombe 95 % interval."""
    (seeds_a, ok_a), (seeds_b, ok_b) = a.outcome_by_seed(), b.outcome_by_seed()
    _, ia, ib = np.intersect1d(seeds_a, seeds_b, assume_unique=True, return_indices=True)
    x, y = ok_a[ia], ok_b[ib]
    both, only_a, only_b, neither = (int(np.sum(m)) for m in (x & y, x & ~y, ~x & y, ~x & ~y))
    d, lo, hi = paired_difference(both, only_a, only_b, neither)
    pairs = len(ia)
    return {
        "pairs": pairs,
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
        "difference": d if pairs else None,
        "ci95": [lo, hi] if pairs else None,
    }


def paired_comparison(rows_a: Iterable[dict[str, Any]], rows_b: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """:func:`paired_counts` of two policies' rows."""
    return paired_counts(tally(rows_a), tally(rows_b))


def group_by_policy(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows by policy label, each list in :func:`trial_order`, policies in first-seen order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r["policy"]), []).append(r)
    return {k: sorted(v, key=trial_order) for k, v in out.items()}


def summarize(rows: Iterable[dict[str, Any]], order: Sequence[str] = ()) -> dict[str, Any]:
    """The content of ``results.json`` from rows held in memory (:func:`summarize_groups`)."""
    return summarize_groups(group_by_policy(rows), order)


def summarize_groups(groups: Mapping[str, Iterable[dict[str, Any]]], order: Sequence[str] = ()) -> dict[str, Any]:
    """The content of ``results.json``: per policy summaries (in ``order``, then any other
    policy found) and the paired comparison of every pair of policies. ``groups`` gives
    each policy's rows in :func:`trial_order`, each iterated once (a list, or rows read
    back from the log one at a time: :meth:`~simgrasp.protocols.rows.SavedRows.by_group`),
    so only the tallies are held, never the rows."""
    names = [p for p in order if p in groups] + sorted(p for p in groups if p not in order)
    tallies: dict[str, PolicyTally] = {}
    overall = Throughput()
    for p in names:
        t = tallies[p] = PolicyTally()
        for r in groups[p]:
            t.add(r)
            overall.add(r)
    paired = [
        {"a": a, "b": b, **paired_counts(tallies[a], tallies[b])} for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    return {
        "policies": {p: t.summary() for p, t in tallies.items()},
        "paired": paired,
        "throughput": overall.summary(),
    }


LOST_WARNING_SHARE = 0.03
"""Above this share of trials lost to infrastructure errors, a run's results warn."""


def lost_trials(results: Mapping[str, Any], threshold: float = LOST_WARNING_SHARE) -> dict[str, Any] | None:
    """The warning a run owes its reader when more than ``threshold`` of its trials were lost
    to infrastructure errors (None otherwise): how many were lost, how many the rates cover
    (the fewest valid trials of any policy), and the most common causes."""
    policies = results.get("policies", {}).values()
    trials = sum(s["trials"] for s in policies)
    lost = sum(s["infrastructure_errors"] for s in policies)
    if not trials or lost / trials <= threshold:
        return None
    causes: Counter[str] = Counter()
    for s in policies:
        causes.update(s.get("infrastructure_reasons", {}))
    return {
        "lost": lost,
        "trials": trials,
        "share": lost / trials,
        "rates_cover": min(s["valid_trials"] for s in policies),
        "of": max(s["trials"] for s in policies),
        "causes": dict(causes.most_common(3)),
    }


def lost_trials_text(warning: Mapping[str, Any]) -> str:
    """One line saying what :func:`lost_trials` found."""
    causes = ", ".join(f"{k} {v}" for k, v in warning["causes"].items())
    return (f"WARNING: {warning['lost']} of {warning['trials']} trials ({100 * warning['share']:.1f} %) were lost to "
            f"infrastructure errors; the rates cover as few as {warning['rates_cover']} of {warning['of']} scenes "
            f"per policy. Most common: {causes}")
