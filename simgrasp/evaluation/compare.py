"""``--compare RUN_A RUN_B ...``: finished runs side by side, per policy and per object.

Runs are independent samples (a simulated run and a real one do not share scenes), so
differences against the first run use Newcombe's hybrid score interval for independent
proportions. Nothing is run: every figure comes from the runs' ``trials.jsonl``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from simgrasp.evaluation.log import TRIALS_FILE, latest_rows, read_rows
from simgrasp.evaluation.report import bar_chart_svg, esc, html_table, page
from simgrasp.evaluation.results import summarize
from simgrasp.evaluation.stats import independent_difference
from simgrasp.evaluation.tables import ci, pct, render


class CompareError(ValueError):
    """A run folder that cannot be compared; one line for the user."""


def load_run(run_dir: str | Path) -> tuple[str, dict[str, Any]]:
    """``(label, results)`` of a finished run folder, recomputed from its rows."""
    p = Path(run_dir)
    rows = latest_rows(read_rows(p / TRIALS_FILE))
    if not rows:
        raise CompareError(f"{p} holds no trials ({TRIALS_FILE} missing or empty)")
    return p.name or str(p), summarize(rows)


def compare_runs(run_dirs: Sequence[str | Path]) -> dict[str, Any]:
    """Per policy and per object, each run's rate and its difference from the first run
    that has that policy (or object). Labels are the folder names, made unique."""
    if len(run_dirs) < 2:
        raise CompareError(f"expected two or more runs to compare, got {len(run_dirs)}")
    runs: list[tuple[str, dict[str, Any]]] = []
    for d in run_dirs:
        label, res = load_run(d)
        while label in {l for l, _ in runs}:
            label += "'"
        runs.append((label, res))
    policies = list(dict.fromkeys(p for _, r in runs for p in r["policies"]))
    out: dict[str, Any] = {"runs": [l for l, _ in runs], "policies": {}, "objects": {}}
    for pol in policies:
        entries = [(l, r["policies"][pol]["success"]) for l, r in runs if pol in r["policies"]]
        out["policies"][pol] = _with_differences(entries)
        objects = sorted({o for _, r in runs if pol in r["policies"] for o in r["policies"][pol]["per_object"]})
        out["objects"][pol] = {
            o: _with_differences(
                [
                    (l, r["policies"][pol]["per_object"][o])
                    for l, r in runs
                    if pol in r["policies"] and o in r["policies"][pol]["per_object"]
                ]
            )
            for o in objects
        }
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
    rows = [_cells(pol, e) for pol, entries in cmp["policies"].items() for e in entries]
    text = render(HEADERS, rows)
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
    return text


def write_comparison_report(path: Path, cmp: dict[str, Any]) -> None:
    """A self-contained ``report.html`` of the comparison."""
    body = [
        "<h1>Run comparison</h1>",
        f"<p>runs: {', '.join(f'<code>{esc(r)}</code>' for r in cmp['runs'])}. "
        "Differences are against the first run, with Newcombe's 95 % interval for independent proportions.</p>",
    ]
    items = [(f"{pol} ({e['run']})", e["rate"], e["ci95"]) for pol, entries in cmp["policies"].items() for e in entries]
    body += [
        bar_chart_svg(items, width=760),
        html_table(HEADERS, [_cells(p, e) for p, es in cmp["policies"].items() for e in es]),
    ]
    for pol, objs in cmp["objects"].items():
        rows = [_cells(o, e) for o, es in objs.items() for e in es]
        body += [
            f"<details><summary><b>{esc(pol)}: per object</b></summary>",
            html_table(["object", *HEADERS[1:]], rows),
            "</details>",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page("Run comparison", "".join(body)), encoding="utf-8")
