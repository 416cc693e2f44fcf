"""Trial rows made from a seed (Python's ``random``, stable across versions) with every
case a summary counts: several policies, successes and each failure reason, policy and
infrastructure errors, trials run again (a later row for the same policy and seed),
a privileged policy that found no grasp, object families, stage timings and overlapping
spans, rows in the order parallel workers finish them."""

from __future__ import annotations

import random
from typing import Any

POLICIES = ("heuristic", "random", "oracle")
REASONS = ("missed", "slipped", "approach_collision", "dropped", "policy_error")
OBJECTS = ("random_urdfs/001", "random_urdfs/002", "procedural/ring/000", "procedural/ring/001", "duck", "mug")


def synthetic_rows(trials: int, seed: int = 0, candidates: int = 0) -> list[dict[str, Any]]:
    """Rows of ``trials`` trials of each policy of :data:`POLICIES` (seeds 100..), shuffled
    within windows as several workers would write them, then re-runs of some trials
    that ended in an infrastructure error appended at the end (as ``--resume`` does)."""
    rng = random.Random(seed)
    rows, clock = [], 1_000_000.0
    for i in range(trials):
        for p in POLICIES:
            rows.append(_row(rng, p, 100 + i, i, clock, candidates))
            clock += rng.uniform(0.0, 0.02)  # overlapping and disjoint spans both happen
    for k in range(0, len(rows), 7):  # workers finish out of order
        window = rows[k : k + 7]
        rng.shuffle(window)
        rows[k : k + 7] = window
    reruns = [r for r in rows if r["infrastructure_error"] and rng.random() < 0.7]
    clock += 3600.0  # a later session: its pause is not active time
    for r in reruns:
        rows.append(_row(rng, r["policy"], r["seed"], r["trial"], clock, candidates))
        clock += rng.uniform(0.005, 0.03)
    return rows


def _row(rng: random.Random, policy: str, seed: int, trial: int, clock: float, candidates: int) -> dict[str, Any]:
    u = rng.random()
    infra = u < 0.06
    success = not infra and u < 0.5
    reason = "sim_error" if infra else "success" if success else rng.choice(REASONS)
    lifted = success or (not infra and rng.random() < 0.4)
    duration = rng.uniform(0.01, 0.05)
    row: dict[str, Any] = {
        "policy": policy,
        "seed": seed,
        "trial": trial,
        "backend": "fake",
        "object": rng.choice(OBJECTS),
        "success": success,
        "reason": reason,
        "infrastructure_error": infra,
        "lifted": lifted,
        "carried": success or (lifted and rng.random() < 0.5),
        "placed": success,
        "error": "simulated fault" if infra else None,
        "image": None,
        "started_at": clock,
        "finished_at": clock + duration,
        "timings_s": {"reset": rng.uniform(0, 0.01), "policy": rng.uniform(0, 0.02), "execute": duration / 2},
        "candidates": [[rng.uniform(0, 320) for _ in range(6)] for _ in range(candidates)],
    }
    if policy == "oracle":
        row["privileged"] = True
        row["policy_info"] = {"found": row["object"] != "mug" and rng.random() < 0.9}
    return row
