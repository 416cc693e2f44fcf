"""Memory of the evaluation driver over a long run: ``python -m simgrasp.bench
evaluate-memory [--trials 100000] [--policies random,...] [--candidates 60] [--tracemalloc]``.

Runs ``--trials`` trials per policy in this process on :class:`NullBackend`, a backend
with nothing to simulate (an 8 x 8 image, an outcome drawn from the seed), so what grows
is the driver alone: the rows, the log, the results and the report. Prints the peak
resident set size (``ru_maxrss``) with the size before the run, and with
``--tracemalloc`` the peak of Python allocations during the run (slower: every
allocation is traced). ``--candidates N`` makes each row carry N scored candidates, as
the scorer's rows do (about 5 KB a row at 60). Target: under 200 MB at 100,000 trials."""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simgrasp.backends.base import (
    INFO_OBJECT, MISSED, SIM_ERROR, SLIPPED, SUCCESS, Observation, Outcome, SkippedObject, check_seed,
)
from simgrasp.evaluation.runner import RunConfig, run_evaluation
from simgrasp.geometry import GraspRect, Intrinsics, PinholeCamera, look_down_pose
from simgrasp.policies.base import Decision

SIZE_PX = 8
CAMERA = PinholeCamera(Intrinsics.from_fov(SIZE_PX, SIZE_PX, 30.0), look_down_pose(0.0, 0.0, 0.6))


class NullBackend:
    """The backend contract at no cost: a grey 8 x 8 image at 0.6 m, ``objects`` names
    ``null_000``.. and the outcome of seed ``s`` is drawn from ``default_rng(s)``."""

    infrastructure_reason = SIM_ERROR
    reset_options: frozenset[str] = frozenset()

    def __init__(self, objects: str = "null:20") -> None:
        n = int(objects.partition(":")[2] or 20)
        self.objects = [f"null/{i:03d}" for i in range(n)]
        self._rgb = np.full((SIZE_PX, SIZE_PX, 3), 128, np.uint8)
        self._depth = np.full((SIZE_PX, SIZE_PX), 0.6, np.float32)
        self._seed = 0

    def reset(self, seed: int, options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        self._seed = check_seed(seed)
        return Observation(self._rgb, self._depth, CAMERA), {INFO_OBJECT: self.objects[seed % len(self.objects)]}

    def execute(self, grasp: Any) -> Outcome:
        u = np.random.default_rng(self._seed).uniform()
        if u < 0.4:
            return Outcome(True, SUCCESS, lifted=True, carried=True, placed=True, timings_s={"physics": 1e-4})
        return Outcome(False, SLIPPED if u < 0.7 else MISSED, lifted=u < 0.7, timings_s={"physics": 1e-4})

    def skipped_objects(self) -> tuple[SkippedObject, ...]:
        return ()

    def close(self) -> None:
        pass


@dataclass
class CandidatesPolicy:
    """A grasp at the image centre with ``n`` scored candidates, the row of a network policy."""

    n: int = 60

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        h, w = observation.rgb.shape[:2]
        g = GraspRect(w / 2, h / 2, float(rng.uniform(-90, 90)), w / 4, w / 8)
        cands = tuple((GraspRect(*rng.uniform(1, w - 2, 2), float(rng.uniform(-90, 90)), w / 4, w / 8), float(s))
                      for s in rng.uniform(0, 1, self.n))
        return Decision(g, cands)


def candidates_card(n: int, folder: Path) -> str:
    """The ``--policy`` value of :class:`CandidatesPolicy` with ``n`` candidates: a card in ``folder``."""
    card = folder / "candidates.toml"
    card.write_text(f'name = "candidates{n}"\nimplementation = "{__name__}:CandidatesPolicy"\n[options]\nn = {n}\n')
    return str(card)


def rss_mb() -> float:
    """This process's resident set size now, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, MB (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench evaluate-memory", description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=100_000, help="trials per policy (default 100000)")
    ap.add_argument("--policies", default="random", help="policies, comma-separated (default random)")
    ap.add_argument("--candidates", type=int, default=0, help="also run a policy whose rows carry N candidates")
    ap.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    ap.add_argument("--keep", help="run folder to keep (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="simgrasp-bench-memory-") as d:
        policies = tuple(p for p in args.policies.split(",") if p)
        if args.candidates:
            policies += (candidates_card(args.candidates, Path(d)),)
        cfg = RunConfig(policies=policies, backend=f"{__name__}:NullBackend", objects="null:20", trials=args.trials)
        out = Path(args.keep) if args.keep else Path(d) / "run"
        before = rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        t0 = time.perf_counter()
        result = run_evaluation(cfg, out, progress=False, notify=lambda m: None)
        wall = time.perf_counter() - t0
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
        tracemalloc.stop()
        rows = sum(s["trials"] for s in result.results["policies"].values())
        log_mb = (out / "trials.jsonl").stat().st_size / 2**20
    print(f"{rows} trials ({len(policies)} policies x {args.trials}) in {wall:.0f} s, {rows / wall:.0f} trials/s; "
          f"trials.jsonl {log_mb:.0f} MB ({log_mb * 2**20 / max(rows, 1) / 1024:.1f} KB a row)")
    traced_text = f"; tracemalloc peak {traced:.1f} MB during the run" if traced is not None else ""
    print(f"driver peak RSS {peak_rss_mb():.0f} MB (ru_maxrss; {before:.0f} MB before the run), "
          f"now {rss_mb():.0f} MB{traced_text}")


if __name__ == "__main__":
    main()
