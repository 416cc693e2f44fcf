"""Side by side: the same workloads (simgrasp.evaluation.probes) run in this checkout and in
a reference one, in subprocesses whose ``PYTHONPATH`` is each checkout, in one command.

- :func:`compare_costs`: CPU time per unit of work on both sides, runs alternating (this
  side first in odd rounds, the reference first in even ones), so a machine whose speed
  drifts weighs on both alike; the ratio is reference / this checkout (above 1: faster here).
- :func:`agreement`: trial by trial, whether each policy's grasp succeeds on both sides
  for the same seeds, per scene kind.

A reference is a checkout folder or a commit of this repository (a temporary ``git
worktree`` at that commit, removed afterwards)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

HERE = Path(__file__).resolve().parents[2]  # this checkout
PROBES = Path(__file__).with_name("probes.py")


class AgainstError(RuntimeError):
    """A reference that cannot be used, or a probe that failed."""


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """The folder of reference ``ref``: itself when it is a folder holding a ``simgrasp``
    package, else a temporary worktree of this repository at commit ``ref``."""
    path = Path(ref).expanduser()
    if path.is_dir():
        if not (path / "simgrasp" / "__init__.py").is_file():
            raise AgainstError(f"--against {ref}: expected a checkout folder with simgrasp/__init__.py in it")
        yield path.resolve()
        return
    git = ["git", "-C", str(HERE)]
    rev = subprocess.run([*git, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], capture_output=True, text=True)
    if rev.returncode != 0:
        raise AgainstError(f"--against {ref}: neither a checkout folder nor a commit of {HERE}")
    with tempfile.TemporaryDirectory(prefix="simgrasp-ref-") as tmp:
        tree = Path(tmp) / "ref"
        made = subprocess.run([*git, "worktree", "add", "--detach", str(tree), rev.stdout.strip()],
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise AgainstError(f"git worktree add failed for {ref}: {made.stderr.strip()}")
        try:
            yield tree
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], capture_output=True)


_RUNNING: set[subprocess.Popen] = set()  # probes under way, killed when a comparison is stopped


def run_probe(root: Path, args: Sequence[str], timeout_s: float | None = None) -> list[dict[str, Any]]:
    """Run probe ``args`` (case and arguments) with ``root``'s simgrasp; the JSON lines it printed."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    # -P: the probe's own folder is not put on sys.path, so simgrasp is the one of PYTHONPATH.
    with subprocess.Popen([sys.executable, "-P", str(PROBES), *map(str, args)], cwd=root, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        _RUNNING.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except BaseException:
            proc.kill()
            raise
        finally:
            _RUNNING.discard(proc)
    if proc.returncode != 0:
        tail = "\n".join(err.strip().splitlines()[-6:])
        raise AgainstError(f"probe {' '.join(map(str, args))} failed in {root} (exit {proc.returncode}):\n{tail}")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def stop_probes() -> None:
    """Kill every probe still running (a comparison stopped part way)."""
    for proc in list(_RUNNING):
        proc.kill()


@dataclass(frozen=True)
class Case:
    """One workload compared: its label, the unit of work and the probe arguments."""

    label: str
    unit: str
    args: tuple[str, ...]
    end_to_end: bool = False  # count the whole process and its children, not only the timed part


def cases(names: Sequence[str], objects: str, trials: int, pile_trials: int, eval_trials: int, scenes: int,
          policy: str = "scorer") -> list[Case]:
    """The workloads named ``names``: ``single`` / ``pile:N`` / ``packed:N`` (trials of that
    scene kind), ``scorer:W`` (the card ``policy``'s evaluation end to end on W workers) and
    ``platecheck`` (its plate check alone)."""
    out = []
    for name in names:
        kind, _, arg = name.partition(":")
        if kind in ("single", "pile", "packed"):
            n = trials if kind == "single" else pile_trials
            out.append(Case(f"{name} trials", "trial", ("trials", objects, name, 0, n)))
        elif kind == "scorer":
            w = int(arg or 1)
            out.append(Case(f"{policy} end to end, {w} worker(s)", "trial", ("evaluate", objects, policy, w, eval_trials),
                            end_to_end=True))
        elif kind == "platecheck":
            out.append(Case(f"{policy} plate check", "decision", ("platecheck", objects, policy, 0, scenes)))
        else:
            raise AgainstError(f"unknown case {name!r}: expected single, pile:N, packed:N, scorer:W or platecheck")
    return out


def cost_per_unit(row: dict[str, Any], end_to_end: bool) -> float:
    """CPU seconds per unit of work of one probe's report."""
    cpu = row["cpu_s"] + (row["children_cpu_s"] if end_to_end else 0.0)
    return cpu / max(int(row["units"]), 1)


def compare_costs(ref: Path, chosen: list[Case], rounds: int = 1, say=print) -> dict[str, tuple[float, float]]:
    """Run each case on both sides ``rounds`` times, alternating; print and return, per
    case label, the median CPU seconds per unit (this checkout, the reference)."""
    say(f"this checkout: {HERE}\nreference:     {ref}\nCPU time per unit of work (time.process_time in each "
        f"subprocess; end to end: the whole process from its start and its workers), {rounds} round(s), alternating")
    sides = {"this": HERE, "ref": ref}
    seen: dict[str, dict[str, list[float]]] = {c.label: {"this": [], "ref": []} for c in chosen}
    for r in range(rounds):
        for case in chosen:
            for side in (("this", "ref") if r % 2 == 0 else ("ref", "this")):
                (row,) = run_probe(sides[side], case.args)[-1:]
                seen[case.label][side].append(cost_per_unit(row, case.end_to_end))
    result = {}
    say(f"{'case':<34} {'this ms':>10} {'ref ms':>10} {'ratio':>8}")
    for case in chosen:
        mine, theirs = (statistics.median(seen[case.label][s]) for s in ("this", "ref"))
        result[case.label] = (mine, theirs)
        say(f"{case.label:<34} {1e3 * mine:10.2f} {1e3 * theirs:10.2f} {theirs / mine:7.2f}x   per {case.unit}")
    return result


def agreement_rows(ref: Path, objects: str, kinds: Sequence[str], policies: Sequence[str], first: int, seeds: int,
                   jobs: int = 2, pieces: int = 4, log=None) -> dict[str, list[dict[str, Any]]]:
    """Every (kind, policy, seed) outcome on both sides (``{"this": rows, "ref": rows}``),
    the seeds of each kind split in ``pieces`` probes, ``jobs`` of them at a time."""
    size = -(-seeds // pieces)
    work = [(side, root, kind, s, min(size, first + seeds - s)) for kind in kinds for s in range(first, first + seeds, size)
            for side, root in (("this", HERE), ("ref", ref))]

    def one(item: tuple) -> tuple[str, list[dict[str, Any]]]:
        side, root, kind, start, n = item
        rows = run_probe(root, ("outcomes", objects, kind, ",".join(policies), start, n))
        if log is not None:
            log(f"[{side}] {kind} seeds {start}..{start + n - 1}: {len(rows)} rows")
        return side, rows

    out: dict[str, list[dict[str, Any]]] = {"this": [], "ref": []}
    pool = ThreadPoolExecutor(max(1, jobs))
    try:
        for side, rows in pool.map(one, work):
            out[side].extend(rows)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_probes()
        raise
    pool.shutdown()
    return out


def agreement_table(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per (kind, policy): seeds on both sides, the share where success agrees, each side's
    success rate and the reference's Wilson 95 % interval (and whether this side's rate lies in it)."""
    from simgrasp.protocols.stats import wilson_interval

    key = lambda r: (r["kind"], r["policy"], r["seed"])  # noqa: E731
    mine = {key(r): bool(r["success"]) for r in rows["this"]}
    theirs = {key(r): bool(r["success"]) for r in rows["ref"]}
    table = []
    for kind, policy in dict.fromkeys((k, p) for k, p, _ in theirs):
        both = [k for k in theirs if k[:2] == (kind, policy) and k in mine]
        n = len(both)
        agree = sum(mine[k] == theirs[k] for k in both)
        wins_mine, wins_ref = sum(mine[k] for k in both), sum(theirs[k] for k in both)
        lo, hi = wilson_interval(wins_ref, n)
        rate = wins_mine / max(n, 1)
        table.append({"kind": kind, "policy": policy, "seeds": n, "agreement": agree / max(n, 1),
                      "rate": rate, "ref_rate": wins_ref / max(n, 1), "ref_interval": (lo, hi),
                      "within": lo <= rate <= hi})
    return table
