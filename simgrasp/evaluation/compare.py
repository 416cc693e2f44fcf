"""``--compare RUN_A RUN_B ...``: finished runs side by side, per policy and per object.

``RUN:POLICY`` takes one policy of a run; when every run is given so, the chosen policies
are compared with each other whatever their labels (two checkpoints' cards on one suite).
By default runs are independent samples (a simulated run and a real one do not share
scenes), so differences against the first run use Newcombe's hybrid score interval for
independent proportions. With ``paired=True`` (``--paired``) the runs must have faced the
same scenes seed for seed (one suite or command on the simulator: same backend, objects
and backend options in their ``run.json``, the same object on every common seed), and
differences use the paired interval over the seeds both ran without an infrastructure
error. Nothing is run: every figure comes from the runs' ``trials.jsonl``.

Clearing runs (``--protocol clear``) are compared by the figures of their
``results.json``: grasp success over all grasps and percent cleared, each run's against
the first's as independent samples (grasps are not paired across runs; ``--paired`` only
checks that the runs faced the same scenes). A clearing run and a trial run measure
different things and are not compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import json

from simgrasp.protocols.folder import RunError, RunFolder
from simgrasp.protocols.report import bar_chart_svg, esc, html_table, page
from simgrasp.protocols.rows import TRIALS_FILE
from simgrasp.protocols.stats import independent_difference
from simgrasp.protocols.summary import is_infrastructure, paired_comparison, summarize
from simgrasp.protocols.tables import ci, pct, render
from simgrasp.protocols.trial import TRIAL


class CompareError(ValueError):
    """A run folder that cannot be compared; one line for the user."""


SCENE_KEYS = ("backend", "backend_options", "objects")  # run.json identity fields that fix a seed's scene
RESULTS_FILE = "results.json"


def split_spec(spec: str | Path) -> tuple[Path, str | None]:
    """``RUN`` or ``RUN:POLICY`` as (folder, policy or None); a folder whose name holds a
    colon is taken whole."""
    p = Path(spec)
    if p.is_dir() or ":" not in str(spec):
        return p, None
    head, _, policy = str(spec).rpartition(":")
    return Path(head), policy or None


def _identity(p: Path) -> dict[str, Any]:
    """The run.json identity of the run in ``p`` ({} when it has none); the protocol is
    ``trial`` unless it says otherwise."""
    try:
        identity = RunFolder(p).identity() or {}
    except RunError as e:
        raise CompareError(str(e)) from None
    return {"protocol": "trial", **identity}


def _load(spec: str | Path) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """(label, rows, run.json identity or {}) of ``RUN`` or ``RUN:POLICY``."""
    p, policy = split_spec(spec)
    rows = list(TRIAL.saved_rows(p / TRIALS_FILE))
    if not rows:
        raise CompareError(f"{p} holds no trials ({TRIALS_FILE} missing or empty)")
    label = p.name or str(p)
    if policy is not None:
        have = sorted({str(r["policy"]) for r in rows})
        if policy not in have:
            raise CompareError(f"{p} has no policy {policy!r}; it has {', '.join(have)}")
        rows, label = [r for r in rows if r["policy"] == policy], f"{label}:{policy}"
    return label, rows, _identity(p)


def _same_protocol(run_dirs: Sequence[str | Path]) -> str:
    """The protocol every run was measured with; CompareError naming the first run that differs."""
    kinds = [(spec, _identity(split_spec(spec)[0])["protocol"]) for spec in run_dirs]
    (first, kind), others = kinds[0], kinds[1:]
    for spec, k in others:
        if k != kind:
            raise CompareError(f"cannot compare {spec} (protocol {k}) with {first} (protocol {kind}): "
                               "they measure different things")
    return kind


def compare_runs(run_dirs: Sequence[str | Path], paired: bool = False) -> dict[str, Any]:
    """Per policy and per object, each run's rate and its difference from the first run
    that has that policy (or object). Labels are the folder names (with ``:POLICY`` when
    chosen), made unique. When every spec chooses a policy, they form one group named
    after the first. ``paired``: see the module docstring."""
    if len(run_dirs) < 2:
        raise CompareError(f"expected two or more runs to compare, got {len(run_dirs)}")
    if _same_protocol(run_dirs) == "clear":
        return compare_clearing(run_dirs, paired)
    loaded = [_load(d) for d in run_dirs]
    one_each = all(split_spec(d)[1] is not None for d in run_dirs)
    runs: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
    for label, rows, _ in loaded:
        if one_each:  # one group: every chosen policy under the first one's name
            rows = [{**r, "policy": loaded[0][1][0]["policy"]} for r in rows]
        while label in {l for l, _, _ in runs}:
            label += "'"
        runs.append((label, summarize(rows), rows))
    if paired:
        _check_same_scenes(run_dirs, loaded)
    policies = list(dict.fromkeys(p for _, r, _ in runs for p in r["policies"]))
    out: dict[str, Any] = {"runs": [l for l, _, _ in runs], "paired": paired, "policies": {}, "objects": {}}
    for pol in policies:
        entries = [(l, r["policies"][pol]["success"]) for l, r, _ in runs if pol in r["policies"]]
        if paired:
            rows_of = [[x for x in rows if x["policy"] == pol] for _, r, rows in runs if pol in r["policies"]]
            out["policies"][pol] = _with_paired_differences(entries, rows_of)
        else:
            out["policies"][pol] = _with_differences(entries)
        out.setdefault("agreement", {})[pol] = agreement([(l, [x for x in rows if x["policy"] == pol])
                                                          for l, r, rows in runs if pol in r["policies"]])
        objects = sorted({o for _, r, _ in runs if pol in r["policies"] for o in r["policies"][pol]["per_object"]})
        out["objects"][pol] = {
            o: _with_differences(
                [
                    (l, r["policies"][pol]["per_object"][o])
                    for l, r, _ in runs
                    if pol in r["policies"] and o in r["policies"][pol]["per_object"]
                ]
            )
            for o in objects
        }
    return out


def agreement(runs: Sequence[tuple[str, Sequence[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Seed by seed, how often each later run's outcome is the first run's: for each later
    run, the seeds both ran without an infrastructure error and how many of them agree on
    success (a twin against its simulator, a change against the code before it)."""
    if len(runs) < 2:
        return []
    first = {int(r["seed"]): bool(r.get("success")) for r in runs[0][1] if not is_infrastructure(r)}
    out = []
    for label, rows in runs[1:]:
        mine = {int(r["seed"]): bool(r.get("success")) for r in rows if not is_infrastructure(r)}
        common = sorted(set(first) & set(mine))
        out.append({"run": label, "seeds": len(common), "agree": sum(first[s] == mine[s] for s in common)})
    return out


def _check_identities(specs: Sequence[str | Path], identities: list[dict[str, Any]], keys: Sequence[str]) -> None:
    """CompareError unless every run's identity has the first one's ``keys``."""
    base_spec, base_id = specs[0], identities[0]
    for spec, identity in zip(specs[1:], identities[1:]):
        for key in keys:
            if key not in base_id or key not in identity:
                raise CompareError(f"--paired needs each run's run.json ({key} unknown for {base_spec} or {spec})")
            if identity[key] != base_id[key]:
                raise CompareError(f"--paired: {spec} ran {key}={identity[key]!r}, {base_spec} ran {base_id[key]!r}: "
                                   "not the same scenes")


def _check_same_scenes(specs: Sequence[str | Path], loaded: list[tuple[str, list[dict[str, Any]], dict[str, Any]]]) -> None:
    """CompareError unless every run faced the first one's scenes seed for seed."""
    _check_identities(specs, [identity for _, _, identity in loaded], SCENE_KEYS)
    base_spec, (_, base_rows, _) = specs[0], loaded[0]
    base_objects = {int(r["seed"]): r.get("object") for r in base_rows if not is_infrastructure(r)}
    for spec, (_, rows, _) in zip(specs[1:], loaded[1:]):
        for r in rows:
            seed = int(r["seed"])
            if not is_infrastructure(r) and seed in base_objects and r.get("object") != base_objects[seed]:
                raise CompareError(f"--paired: seed {seed} shows {r.get('object')!r} in {spec} but "
                                   f"{base_objects[seed]!r} in {base_spec}: not the same scenes")


def _with_paired_differences(entries: list[tuple[str, dict[str, Any]]], rows_of: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Like :func:`_with_differences`, each difference paired with the first run's rows."""
    out = []
    for i, ((label, s), rows) in enumerate(zip(entries, rows_of)):
        row = {"run": label, **s, "difference": None, "difference_ci95": None}
        if i > 0:
            p = paired_comparison(rows, rows_of[0])
            row.update(difference=p["difference"], difference_ci95=p["ci95"], pairs=p["pairs"])
        out.append(row)
    return out


def _with_differences(entries: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    if not entries:
        return []
    base = entries[0][1]
    rows = []
    for i, (label, s) in enumerate(entries):
        row = {"run": label, **s, "difference": None, "difference_ci95": None}
        if i > 0 and s["n"] and base["n"]:
            d, lo, hi = independent_difference(s["successes"], s["n"], base["successes"], base["n"])
            row.update(difference=d, difference_ci95=[lo, hi])
        rows.append(row)
    return rows


def _clearing_results(spec: str | Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(label, policies of its results.json, identity) of a clearing ``RUN`` or ``RUN:POLICY``."""
    p, policy = split_spec(spec)
    try:
        policies = json.loads((p / RESULTS_FILE).read_text())["policies"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CompareError(f"{p} holds no readable {RESULTS_FILE} ({type(e).__name__}: {e}); finish it with --resume") from None
    label = p.name or str(p)
    if policy is not None:
        if policy not in policies:
            raise CompareError(f"{p} has no policy {policy!r}; it has {', '.join(sorted(policies))}")
        policies, label = {policy: policies[policy]}, f"{label}:{policy}"
    return label, policies, _identity(p)


def compare_clearing(run_dirs: Sequence[str | Path], paired: bool = False) -> dict[str, Any]:
    """Clearing runs side by side, per policy, by their results.json: episodes, grasps,
    grasp success and percent cleared, each rate's difference from the first run's (as
    independent samples). ``paired``: the runs must have faced the same scenes (the same
    backend, options, objects and seeds)."""
    loaded = [_clearing_results(d) for d in run_dirs]
    if paired:
        _check_identities(run_dirs, [identity for _, _, identity in loaded], (*SCENE_KEYS, "seed"))
    one_each = all(split_spec(d)[1] is not None for d in run_dirs)
    runs: list[tuple[str, dict[str, Any]]] = []
    for label, policies, _ in loaded:
        if one_each:  # one group: every chosen policy under the first one's name
            policies = {next(iter(loaded[0][1])): next(iter(policies.values()))}
        while label in {l for l, _ in runs}:
            label += "'"
        runs.append((label, policies))
    out: dict[str, Any] = {"runs": [l for l, _ in runs], "paired": paired, "protocol": "clear", "policies": {},
                           "objects": {}}
    for pol in dict.fromkeys(p for _, policies in runs for p in policies):
        entries = [(l, policies[pol]) for l, policies in runs if pol in policies]
        base = entries[0][1]
        out["policies"][pol] = [
            {"run": l, **{k: s[k] for k in ("episodes", "grasps", "grasp_success", "cleared", "grasps_per_cleared_object")},
             "privileged": bool(s.get("privileged")),
             **_difference("difference", s["grasp_success"], base["grasp_success"], i),
             **_difference("cleared_difference", s["cleared"], base["cleared"], i)}
            for i, (l, s) in enumerate(entries)
        ]
    return out


def _difference(name: str, r: dict[str, Any], base: dict[str, Any], i: int) -> dict[str, Any]:
    """``{name, name_ci95}``: the rate ``r`` minus ``base`` with Newcombe's interval for
    independent proportions (None for the first run, or when either has no count)."""
    if i == 0 or not r["n"] or not base["n"]:
        return {name: None, f"{name}_ci95": None}
    d, lo, hi = independent_difference(r["successes"], r["n"], base["successes"], base["n"])
    return {name: d, f"{name}_ci95": [lo, hi]}


CLEAR_HEADERS = ["policy", "run", "episodes", "grasps", "grasp success", "rate", "95% CI", "vs first run", "cleared",
                 "95% CI", "vs first run"]


def _clear_cells(pol: str, e: dict[str, Any]) -> list[Any]:
    g, c = e["grasp_success"], e["cleared"]

    def pts(d: float | None) -> str:
        return "-" if d is None else f"{100 * d:+.1f} pts"

    name = f"{pol} (privileged)" if e.get("privileged") else pol
    return [name, e["run"], e["episodes"], e["grasps"], f"{g['successes']}/{g['n']}", pct(g["rate"]), ci(g["ci95"]),
            pts(e["difference"]), f"{c['successes']}/{c['n']} {pct(c['rate'])}", ci(c["ci95"]),
            pts(e["cleared_difference"])]


def _table(cmp: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The comparison's main table: headers and one row per (policy, run)."""
    cells, headers = (_clear_cells, CLEAR_HEADERS) if cmp.get("protocol") == "clear" else (_cells, HEADERS)
    return headers, [cells(pol, e) for pol, entries in cmp["policies"].items() for e in entries]


def _how(cmp: dict[str, Any]) -> str:
    if cmp.get("protocol") == "clear":
        scenes = " (the same scenes)" if cmp.get("paired") else ""
        return f"clearing runs{scenes}: figures from results.json, differences as independent samples (Newcombe)"
    return "paired on common seeds (Newcombe)" if cmp.get("paired") else "independent samples (Newcombe)"


def _cells(pol: str, e: dict[str, Any]) -> list[Any]:
    d = e["difference"]
    return [
        pol,
        e["run"],
        e["n"],
        e["successes"],
        pct(e["rate"]),
        ci(e["ci95"]),
        "-" if d is None else f"{100 * d:+.1f} pts",
        ci(e["difference_ci95"], True),
    ]


HEADERS = ["policy", "run", "trials", "success", "rate", "95% CI", "vs first run", "95% CI"]


def comparison_text(cmp: dict[str, Any]) -> str:
    """The terminal view: one table per policy and a per-object table of common objects."""
    text = f"differences against the first run: {_how(cmp)}\n" + render(*_table(cmp))
    obj_rows = [
        _cells(f"{pol} / {o}", e)
        for pol, objs in cmp["objects"].items()
        for o, entries in objs.items()
        if len(entries) > 1
        for e in entries
    ]
    if obj_rows:
        text += "\n\nper object (objects present in several runs):\n" + render(
            ["policy / object", *HEADERS[1:]], obj_rows
        )
    agree = [f"{pol} {a['run']} {a['agree']}/{a['seeds']}" for pol, rows in cmp.get("agreement", {}).items() for a in rows]
    if agree:
        text += "\n\nseeds whose outcome agrees with the first run's (both without an infrastructure error): " + (
            ", ".join(agree))
    return text


def write_comparison_report(path: Path, cmp: dict[str, Any]) -> None:
    """A self-contained ``report.html`` of the comparison."""
    body = [
        "<h1>Run comparison</h1>",
        f"<p>runs: {', '.join(f'<code>{esc(r)}</code>' for r in cmp['runs'])}. "
        f"Differences are against the first run: {esc(_how(cmp))}.</p>",
    ]
    rate_of = (lambda e: e["grasp_success"]) if cmp.get("protocol") == "clear" else (lambda e: e)
    items = [(f"{pol} ({e['run']})", rate_of(e)["rate"], rate_of(e)["ci95"]) for pol, es in cmp["policies"].items()
             for e in es]
    body += [bar_chart_svg(items, width=760), html_table(*_table(cmp))]
    for pol, objs in cmp["objects"].items():
        rows = [_cells(o, e) for o, es in objs.items() for e in es]
        body += [
            f"<details><summary><b>{esc(pol)}: per object</b></summary>",
            html_table(["object", *HEADERS[1:]], rows),
            "</details>",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page("Run comparison", "".join(body)), encoding="utf-8")
