"""The robustness protocol: how much a verdict depends on physics and calibration the
simulator guesses.

Each scene is shown once and each policy decides once; its grasp is then executed under
the nominal draw (exactly the ``trial`` protocol's trial) and under ``draws`` perturbed
draws of the spec (:mod:`simgrasp.backends.perturb`; the backend option ``perturb``, or
:data:`DEFAULT_SPEC`). Draw ``k`` of a scene is a function of its seed, the same for every
policy, so every comparison is paired by scene and by draw. A job is one (policy, scene):
its rows (one per draw, ``draw`` 0 the nominal) are appended together; a resume runs again
a job cut off or ended by an infrastructure error. The backend must offer the capability
:class:`~simgrasp.backends.capabilities.Perturbing` (the sim backend; a real cell is
refused before anything moves).

Results, per policy, over the scenes with no infrastructure error:

- ``nominal``: success under the nominal draw (Wilson 95 %);
- ``success``: the robust rate, success over the perturbed draws (each scene weighs the
  same), with a 95 % interval from a bootstrap over scenes (draws of one scene are not
  independent);
- ``flips``: perturbed trials whose outcome differs from the scene's nominal one, and the
  ``fragile`` scenes (at least one flip);
- ``sensitivity``: for each parameter, the change of success across its range (a factor:
  from the low end of its range to the high end; an error: per standard deviation of its
  size), from a linear regression of success on every parameter at once within scenes
  (scene fixed effects, all draws), with bootstrap intervals over scenes;
- ``per_object``: nominal and perturbed successes and flips by object.

``paired``: for every pair of policies, the nominal difference (Newcombe), the robust
difference and, for each parameter, the difference over the draws in the lower and in
the upper half of that parameter's range (bootstrap intervals over scenes), and whether
the ranking holds: the same sign everywhere, every interval clear of zero."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from simgrasp.backends.capabilities import Perturbing
from simgrasp.backends.perturb import FACTORS, PerturbSpec, parameter_values
from simgrasp.executors.base import WorkUnit
from simgrasp.protocols.base import Job, Keep, job_key
from simgrasp.protocols.report import html_table, page
from simgrasp.protocols.rows import SavedRows, policy_of, policy_seed, trial_order
from simgrasp.protocols.stats import paired_difference
from simgrasp.protocols.summary import is_infrastructure, rate
from simgrasp.protocols.tables import ci, pct, render
from simgrasp.protocols.trial import scene_rows
from simgrasp.protocols.worker import WorkerSetup, close_worker, worker_for

#: The spec used when the run gives none: the guesses of simgrasp.sim's config, each off by
#: what a real cell plausibly differs by (pads half to one and a half as grippy, masses half
#: to twice, the jaw at half to full force, 2 mm / 2 degrees of arm error, 2 mm of calibration).
DEFAULT_SPEC = {"friction": [0.5, 1.5], "mass": [0.5, 2.0], "jaw_force": [0.5, 1.0], "grasp_xy_mm": 2.0,
                "grasp_yaw_deg": 2.0, "camera_xy_mm": 2.0, "draws": 4}
BOOTSTRAP = 2000  # resamples of scenes for every interval but the Wilson and Newcombe ones
BOOTSTRAP_SEED = 0
# The median size of an error of standard deviation 1: |N(0, 1)| for the yaw, the length of a
# 2-D N(0, I) offset (the Rayleigh median) for the others: where an error's two halves split.
MEDIAN_SIZE = {"grasp_yaw_deg": 0.6744897501960817, "grasp_xy_mm": math.sqrt(2 * math.log(2)),
               "camera_xy_mm": math.sqrt(2 * math.log(2))}


def run_spec(backend_options: Mapping[str, Any]) -> PerturbSpec:
    """The spec of a run: its backend option ``perturb``, else :data:`DEFAULT_SPEC`."""
    return PerturbSpec.parse(backend_options.get("perturb") or DEFAULT_SPEC)


@dataclass(frozen=True)
class RobustSetup:
    """What every worker gets for robustness jobs: the run's worker setup and the spec."""

    worker: WorkerSetup
    spec: PerturbSpec


def robust_job(setup: RobustSetup, job: Job) -> list[dict[str, Any]]:
    """The work unit: the rows of ``job`` (its scene under the nominal draw and every draw)."""
    draws = [setup.spec.draw(job.seed, k) for k in range(setup.spec.draws + 1)]
    return [{**r, "draws": setup.spec.draws} for r in scene_rows(worker_for(setup.worker), job, draws)]


# -- rows into figures ------------------------------------------------------------------------
@dataclass
class SceneOutcomes:
    """One policy on one scene: the object, success per draw (index 0 nominal) and each
    draw's parameter sizes (:func:`~simgrasp.backends.perturb.parameter_values`)."""

    seed: int
    object: str
    success: list[bool]
    values: list[list[float]]
    lost: bool = False
    seen: set[int] = field(default_factory=set)  # the draws the rows hold
    privileged: bool = False  # the policy read the simulator


def scenes_of(rows: Iterable[dict[str, Any]], parameters: Sequence[str], draws: int) -> dict[int, SceneOutcomes]:
    """Each scene's outcomes from one policy's rows, read once; a scene with an
    infrastructure error or a missing draw is marked ``lost`` (it counts for no figure)."""
    scenes: dict[int, SceneOutcomes] = {}
    for r in rows:
        seed = int(r["seed"])
        s = scenes.setdefault(seed, SceneOutcomes(seed, str(r.get("object")), [False] * (draws + 1),
                                                  [[0.0] * len(parameters) for _ in range(draws + 1)]))
        k = int(r.get("draw", -1))
        s.seen.add(k)
        s.privileged = s.privileged or bool(r.get("privileged"))
        if is_infrastructure(r) or not 0 <= k <= draws:
            s.lost = True
            continue
        s.success[k] = bool(r.get("success"))
        s.values[k] = [parameter_values(r.get("perturbation") or {}, p) for p in parameters]
    for s in scenes.values():
        s.lost = s.lost or s.seen != set(range(draws + 1))
    return scenes


def _boot_index(n: int) -> np.ndarray:
    """(BOOTSTRAP, n) scene indices, the same for every figure of a run (seeded)."""
    return np.random.default_rng(BOOTSTRAP_SEED).integers(0, n, size=(BOOTSTRAP, n))


def _interval(samples: np.ndarray) -> list[float] | None:
    samples = samples[np.isfinite(samples)]
    if not len(samples):
        return None
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return [float(lo), float(hi)]


def _mean_ci(per_scene: np.ndarray) -> dict[str, Any]:
    """The mean of per-scene values and its bootstrap interval over scenes."""
    if not len(per_scene):
        return {"rate": None, "ci95": None}
    boots = per_scene[_boot_index(len(per_scene))].mean(axis=1)
    return {"rate": float(per_scene.mean()), "ci95": _interval(boots)}


def spans(spec: PerturbSpec) -> dict[str, float]:
    """What a parameter's effect is per: a factor's whole range (in log), an error's
    standard deviation."""
    out = {name: math.log(hi) - math.log(lo) for name, (lo, hi) in spec.factors}
    out.update({name: sigma for name, sigma in spec.noises})
    return out


def _within(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Success and parameters less their scene's mean (scenes x draws [x parameters])."""
    return (y - y.mean(axis=1, keepdims=True)).reshape(-1), (x - x.mean(axis=1, keepdims=True)).reshape(-1, x.shape[2])


def _coefficients(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The within-scene least-squares slopes of success on every parameter (NaN where a
    parameter never varies)."""
    yy, xx = _within(y, x)
    keep = np.abs(xx).sum(axis=0) > 0
    out = np.full(x.shape[2], np.nan)
    if keep.any():
        out[keep] = np.linalg.lstsq(xx[:, keep], yy, rcond=None)[0]
    return out


def sensitivity(y: np.ndarray, x: np.ndarray, spec: PerturbSpec) -> dict[str, Any]:
    """Each parameter's effect on success, per :func:`spans` unit, with bootstrap intervals."""
    params, span = spec.parameters, spans(spec)
    if not len(y) or not params:
        return {}
    coef = _coefficients(y, x)
    boots = np.stack([_coefficients(y[i], x[i]) for i in _boot_index(len(y))])
    out = {}
    for j, name in enumerate(params):
        unit = "low to high end" if name in FACTORS else "per standard deviation"
        out[name] = {"effect": None if math.isnan(coef[j]) else float(coef[j] * span[name]),
                     "ci95": _interval(boots[:, j] * span[name]), "per": unit}
    return out


def halves(values: np.ndarray, spec: PerturbSpec) -> np.ndarray:
    """bool (..., parameters): whether each perturbed draw's parameter lies in the upper half
    of its range (a factor above the geometric middle; an error above its median size)."""
    split = [0.5 * (math.log(lo) + math.log(hi)) for _, (lo, hi) in spec.factors]
    split += [MEDIAN_SIZE[name] * sigma for name, sigma in spec.noises]
    return values > np.asarray(split)


def policy_figures(scenes: Mapping[int, SceneOutcomes], spec: PerturbSpec) -> dict[str, Any]:
    """The figures of one policy (see the module docstring)."""
    valid = [s for s in scenes.values() if not s.lost]
    y = np.array([s.success for s in valid], float).reshape(len(valid), spec.draws + 1)
    x = np.array([s.values for s in valid], float).reshape(len(valid), spec.draws + 1, len(spec.parameters))
    nominal, perturbed = y[:, 0], y[:, 1:]
    flips = perturbed != nominal[:, None]
    robust = _mean_ci(perturbed.mean(axis=1))
    per_object: dict[str, dict[str, int]] = {}
    for s, row, f in zip(valid, y, flips):
        o = per_object.setdefault(s.object, {"scenes": 0, "nominal": 0, "perturbed": 0, "draws": 0, "flips": 0})
        o["scenes"] += 1
        o["nominal"] += int(row[0])
        o["perturbed"] += int(row[1:].sum())
        o["draws"] += spec.draws
        o["flips"] += int(f.sum())
    return {
        "scenes": len(valid),
        "scenes_lost": len(scenes) - len(valid),
        "nominal": rate(int(nominal.sum()), len(valid)),
        "success": {"n": int(perturbed.size), "successes": int(perturbed.sum()), **robust},
        "flips": {"n": int(flips.size), "flips": int(flips.sum()), "rate": float(flips.mean()) if flips.size else None,
                  "fragile_scenes": int(flips.any(axis=1).sum()),
                  "made_by_perturbation": int((flips & (nominal[:, None] == 0)).sum()),
                  "broken_by_perturbation": int((flips & (nominal[:, None] == 1)).sum())},
        "sensitivity": sensitivity(y, x, spec),
        "per_object": dict(sorted(per_object.items())),
    }


def paired_figures(a: Mapping[int, SceneOutcomes], b: Mapping[int, SceneOutcomes], spec: PerturbSpec) -> dict[str, Any]:
    """Policy A against policy B on the scenes both have without loss (see the module docstring)."""
    seeds = sorted(s for s in set(a) & set(b) if not a[s].lost and not b[s].lost)
    ya = np.array([a[s].success for s in seeds], float).reshape(len(seeds), spec.draws + 1)
    yb = np.array([b[s].success for s in seeds], float).reshape(len(seeds), spec.draws + 1)
    values = np.array([a[s].values for s in seeds], float).reshape(len(seeds), spec.draws + 1, len(spec.parameters))
    na, nb = ya[:, 0].astype(bool), yb[:, 0].astype(bool)
    d, lo, hi = paired_difference(int((na & nb).sum()), int((na & ~nb).sum()), int((~na & nb).sum()),
                                  int((~na & ~nb).sum()))
    diff = ya[:, 1:] - yb[:, 1:]
    robust = _mean_ci(diff.mean(axis=1))
    upper = halves(values[:, 1:], spec)
    per_param = {}
    idx = _boot_index(len(seeds)) if seeds else None
    for j, name in enumerate(spec.parameters):
        part = {}
        for half, mask in (("lower", ~upper[:, :, j]), ("upper", upper[:, :, j])):
            n = int(mask.sum())
            if not n:
                part[half] = {"difference": None, "ci95": None, "draws": 0}
                continue
            sums, counts = (diff * mask).sum(axis=1), mask.sum(axis=1)
            boots = sums[idx].sum(axis=1) / np.maximum(counts[idx].sum(axis=1), 1)
            part[half] = {"difference": float(sums.sum() / n), "ci95": _interval(boots), "draws": n}
        per_param[name] = part
    nominal = {"difference": None if math.isnan(d) else d, "ci95": None if math.isnan(d) else [lo, hi]}
    return {"pairs": len(seeds), "difference": robust["rate"], "ci95": robust["ci95"], "nominal": nominal,
            "per_parameter": per_param, "holds": ranking_holds(nominal, robust, per_param)}


def ranking_holds(nominal: Mapping[str, Any], robust: Mapping[str, Any], per_param: Mapping[str, Any]) -> bool | None:
    """Whether A's lead over B (or B's over A) keeps its sign with every interval clear of
    zero: nominally, overall and in both halves of every parameter; None when A and B are
    level nominally (no ranking to hold)."""
    c = nominal.get("ci95")
    if not c or (c[0] <= 0 <= c[1]):
        return None
    sign = 1 if c[0] > 0 else -1
    parts = [robust.get("ci95")] + [h.get("ci95") for p in per_param.values() for h in p.values() if h.get("draws")]
    return all(q is not None and (q[0] > 0 if sign > 0 else q[1] < 0) for q in parts)


# -- the protocol ------------------------------------------------------------------------------
def _starts_a_run(row: dict[str, Any]) -> bool:
    return int(row.get("draw", 0)) == 0


def _draw_key(row: dict[str, Any]) -> tuple[str, int]:
    key = policy_seed(row)
    int(row["draw"])  # a robust row names its draw
    return key


class RobustProtocol:
    """``--protocol robust``: each scene nominal and under perturbed draws (see the module docstring)."""

    name = "robust"
    unit: WorkUnit[RobustSetup, Job] = WorkUnit(robust_job, job_key, close_worker)
    requires: tuple[tuple[type, str], ...] = ((Perturbing, "protocol 'robust'"),)

    def identity(self) -> dict[str, Any]:
        return {"protocol": self.name}

    def setup(self, worker: WorkerSetup) -> RobustSetup:
        return RobustSetup(worker, run_spec(worker.backend_options))

    def saved_rows(self, path: Path, keep: Keep | None = None) -> SavedRows:
        """The rows of the last run of each (policy, scene), in scene then draw order."""
        return SavedRows(path, key=_draw_key, keep=keep, starts=_starts_a_run, group=policy_of, order=_order)

    def done(self, saved: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
        """Scenes whose last run has every draw (its rows say how many) and no infrastructure error."""
        draws: dict[tuple[str, int], set[int]] = {}
        need: dict[tuple[str, int], int] = {}
        faulty = set()
        for r in saved:
            key = policy_seed(r)
            draws.setdefault(key, set()).add(int(r["draw"]))
            need[key] = int(r.get("draws", 0))
            if is_infrastructure(r):
                faulty.add(key)
        return {k for k, d in draws.items() if k not in faulty and need[k] > 0 and d == set(range(need[k] + 1))}

    def results(self, saved: SavedRows, labels: Sequence[str], run: dict[str, Any]) -> dict[str, Any]:
        spec = run_spec(run.get("backend_options") or {})
        groups = saved.by_group()
        scenes = {p: scenes_of(groups[p], spec.parameters, spec.draws) for p in labels if p in groups}
        policies = {p: {**policy_figures(s, spec), "privileged": any(x.privileged for x in s.values())}
                    for p, s in scenes.items()}
        names = list(scenes)
        paired = [{"a": a, "b": b, **paired_figures(scenes[a], scenes[b], spec)}
                  for i, a in enumerate(names) for b in names[i + 1:]]
        return {"run": {**run, "scenes": run.get("trials")}, "perturb": spec.to_dict(), "policies": policies,
                "paired": paired}

    def text(self, results: dict[str, Any]) -> str:
        return robust_text(results)

    def report(self, path: Path, results: dict[str, Any], saved: SavedRows, run_dir: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(page("robustness", robust_html(results)), encoding="utf-8")
        tmp.replace(path)


def _order(row: dict[str, Any]) -> tuple[int, int]:
    trial, seed = trial_order(row)
    return seed, int(row.get("draw", 0))


# -- tables ----------------------------------------------------------------------------------
def _signed(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.1f}"


def policy_table(results: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per policy: scenes, nominal and robust success with intervals, flips."""
    head = ["policy", "scenes", "nominal", "95% CI", "robust", "95% CI", "flipped", "fragile scenes", "lost"]
    rows = []
    for name, s in results["policies"].items():
        f = s["flips"]
        rows.append([f"{name} (privileged)" if s.get("privileged") else name, s["scenes"], pct(s["nominal"]["rate"]),
                     ci(s["nominal"]["ci95"]), pct(s["success"]["rate"]), ci(s["success"]["ci95"]),
                     pct(f["rate"]), f["fragile_scenes"], s["scenes_lost"]])
    return head, rows


def sensitivity_table(results: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Parameters as rows, policies as columns: the effect on success (points) and its interval."""
    names = list(results["policies"])
    params = [k for k in results["perturb"] if k != "draws"]
    rows = []
    for p in params:
        cells = []
        for n in names:
            e = results["policies"][n]["sensitivity"].get(p, {})
            cells.append(f"{_signed(e.get('effect'))} {ci(e.get('ci95'), signed=True)}")
        per = "low to high end" if p in FACTORS else "per standard deviation"
        rows.append([f"{p} ({per})", *cells])
    return ["parameter (points of success)", *names], rows


def paired_table(results: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per pair: nominal and robust differences, and the worst half of any parameter."""
    head = ["A - B", "scenes", "nominal", "95% CI", "robust", "95% CI", "least, by parameter half", "ranking holds"]
    rows = []
    for p in results["paired"]:
        halves_ = [(h["difference"], f"{name} {half}") for name, hs in p["per_parameter"].items()
                   for half, h in hs.items() if h["difference"] is not None]
        sign = 1 if (p["difference"] or 0) >= 0 else -1
        least = min(halves_, key=lambda t: sign * t[0]) if halves_ else None
        holds = {None: "level nominally", True: "yes", False: "no"}[p["holds"]]
        rows.append([f"{p['a']} - {p['b']}", p["pairs"], _signed(p["nominal"]["difference"]),
                     ci(p["nominal"]["ci95"], signed=True), _signed(p["difference"]), ci(p["ci95"], signed=True),
                     "-" if least is None else f"{_signed(least[0])} ({least[1]})", holds])
    return head, rows


def object_table(results: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Objects as rows, policies as columns: nominal successes / scenes, perturbed successes /
    draws and flips, the objects with most flips first."""
    names = list(results["policies"])
    objects = {o for s in results["policies"].values() for o in s["per_object"]}
    flips = {o: sum(s["per_object"].get(o, {}).get("flips", 0) for s in results["policies"].values()) for o in objects}
    rows = []
    for o in sorted(objects, key=lambda o: (-flips[o], o)):
        cells = []
        for n in names:
            c = results["policies"][n]["per_object"].get(o)
            cells.append("-" if c is None else f"{c['nominal']}/{c['scenes']} | {c['perturbed']}/{c['draws']} | "
                         f"{c['flips']} flipped")
        rows.append([o, *cells])
    return ["object (nominal | perturbed | flips)", *names], rows


def robust_text(results: Mapping[str, Any]) -> str:
    spec = ", ".join(f"{k} = {v}" for k, v in results["perturb"].items())
    parts = [f"perturbed: {spec}", render(*policy_table(results)), "", "sensitivity: change of success",
             render(*sensitivity_table(results))]
    if results["paired"]:
        parts += ["", "paired, robust difference (A - B) and its least value over parameter halves",
                  render(*paired_table(results))]
    return "\n".join(parts)


def robust_html(results: Mapping[str, Any]) -> str:
    spec = ", ".join(f"{k} = {v}" for k, v in results["perturb"].items())
    parts = ["<h1>Robustness</h1>", f"<p>Perturbation: {spec}. Nominal: every value as simulated; robust: the mean "
             "over the perturbed draws; intervals 95 % (Wilson for nominal rates, bootstrap over scenes "
             "otherwise).</p>", html_table(*policy_table(results)), "<h2>Sensitivity</h2>",
             html_table(*sensitivity_table(results))]
    if results["paired"]:
        parts += ["<h2>Does the ranking hold?</h2>", html_table(*paired_table(results))]
    parts += ["<h2>Fragile grasps, by object</h2>", html_table(*object_table(results))]
    return "".join(parts)


#: The robustness protocol (``--protocol robust``).
ROBUST = RobustProtocol()
