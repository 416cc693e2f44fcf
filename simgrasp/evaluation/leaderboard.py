"""The leaderboard: every policy's recorded suite results side by side, with Wilson
intervals and ranks, the rectangle metric of the test split, and the agreement (Kendall tau)
between the rectangle metric's ranking of the networks and their physical ranking.

Everything is read from records: ``evaluations/SUITE/results.json`` (a suite's run) and
``evaluations/SUITE/*/results.json`` (more policies run later on the same scenes, e.g.
``python -m simgrasp.evaluate --suite evaluations/SUITE.toml --policy NEW --out
evaluations/SUITE/networks``),
``evaluations/*/jaccard_*.json`` (``python -m simgrasp.jaccard --out``) and the policy cards
in ``policies/``. Nothing is typed by hand; a missing record is a missing cell.
"""

from __future__ import annotations

import html
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from simgrasp.protocols.stats import wilson_interval

# (suite folder, column label, field of a policy's results) in the board's order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("heldout", "heldout", "success"),
    ("validation", "validation", "success"),
    ("pile", "pile", "success"),
    ("packed", "packed", "success"),
    ("real_size", "real_size", "success"),
    ("clear_pile", "clear_pile grasp", "grasp_success"),
    ("clear_pile", "clear_pile cleared", "cleared"),
    ("robust", "robust", "success"),
)
PHYSICAL_SUITE = "heldout"  # the suite whose ranking tau compares the rectangle metric with
BOOTSTRAP = 2000  # bootstrap resamples of the physical suite's scenes
BOOTSTRAP_SEED = 0
NETWORK_IMPLEMENTATIONS_NOT = {"heuristic", "random", "oracle"}  # policies that are not networks


@dataclass(frozen=True)
class Cell:
    """A recorded rate: ``successes`` of ``n`` and its 95 % interval: the one recorded
    (``interval``; the robust suite's comes from a bootstrap over scenes, its draws being
    clustered in scenes), else Wilson's."""

    successes: int
    n: int
    interval: tuple[float, float] | None = None

    @property
    def rate(self) -> float:
        return self.successes / self.n if self.n else math.nan

    @property
    def ci95(self) -> tuple[float, float]:
        return self.interval if self.interval is not None else wilson_interval(self.successes, self.n)


@dataclass
class Row:
    """One policy on the board; ``cells`` by column label, ``ranks`` likewise."""

    name: str
    implementation: str = ""
    privileged: bool = False
    cells: dict[str, Cell] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    jaccard: float | None = None
    sgt: float | None = None
    jaccard_n: int | None = None

    @property
    def is_network(self) -> bool:
        return bool(self.implementation) and self.implementation not in NETWORK_IMPLEMENTATIONS_NOT


@dataclass(frozen=True)
class Agreement:
    """Kendall tau between the networks' rectangle-metric and physical rankings."""

    networks: tuple[str, ...]
    tau: float | None
    low: float | None
    high: float | None
    resampled: str


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: expected a JSON record, could not read it: {e}") from None


def load_cards(cards_dir: Path) -> dict[str, dict[str, Any]]:
    """The policy cards in ``cards_dir`` by name (the raw TOML tables)."""
    cards = {}
    for path in sorted(cards_dir.glob("*.toml")):
        card = tomllib.loads(path.read_text())
        cards[card.get("name", path.stem)] = card
    return cards


def _card_checkpoint(card: dict[str, Any], root: Path) -> str | None:
    ck = card.get("checkpoint")
    return str((root / ck).resolve()) if ck else None


def _card_score(card: dict[str, Any], record: dict[str, Any]) -> str:
    """The score of a Jaccard record a card chooses by: ``scorer`` and ``primary`` name
    theirs; ``network`` takes the network's own (the first of the record's score kinds)."""
    impl = card.get("implementation")
    if impl in ("scorer", "primary"):
        return impl
    return record.get("score_kinds", ["scorer"])[0]


def _jaccard_records(evaluations: Path, root: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(evaluations.glob("*/jaccard_*.json")):
        r = _read_json(path)
        r["_checkpoint"] = str((root / r["checkpoint"]).resolve())
        records.append(r)
    return records


SAME_SCENES = ("backend", "backend_options", "objects", "seed", "trials")
"""The run fields that must agree for policies of two runs to share a suite's column."""


def _scene_field(run: dict[str, Any], key: str) -> Any:
    """A run header's field of :data:`SAME_SCENES`; a clearing run recorded before its header
    held ``trials`` says ``episodes``."""
    return run.get("episodes") if key == "trials" and "trials" not in run else run.get(key)


def suite_results(evaluations: Path, suite: str) -> dict[str, Any] | None:
    """A suite's recorded results: its run's (``SUITE/results.json``) and those of runs added
    beside it on the same scenes (``SUITE/*/results.json``), policies merged. None when the
    suite has no record; ValueError when an added run faced other scenes or repeats a policy."""
    main = evaluations / suite / "results.json"
    if not main.exists():
        return None
    merged = _read_json(main)
    merged["policies"] = dict(merged["policies"])
    merged.setdefault("run", {})["policies"] = list(merged["run"].get("policies", []))
    for path in sorted((evaluations / suite).glob("*/results.json")):
        added = _read_json(path)
        for key in SAME_SCENES:
            want, got = _scene_field(merged["run"], key), _scene_field(added.get("run", {}), key)
            if want != got:
                raise ValueError(f"{path}: expected the scenes of {main} ({key} {want!r}), got {key} {got!r}")
        twice = set(added["policies"]) & set(merged["policies"])
        if twice:
            raise ValueError(f"{path}: policies {sorted(twice)} are recorded in {main} already; expected new ones")
        merged["policies"].update(added["policies"])
        merged["run"]["policies"] += added.get("run", {}).get("policies", [])
    return merged


def build_rows(evaluations: Path, cards_dir: Path, root: Path) -> list[Row]:
    """Every policy that has a recorded result in some suite, with its cells and ranks."""
    cards = load_cards(cards_dir)
    rows: dict[str, Row] = {}
    for suite, label, key in COLUMNS:
        results = suite_results(evaluations, suite)
        if results is None:
            continue
        specs = {s["label"]: s for s in results.get("run", {}).get("policies", [])}
        for name, p in results["policies"].items():
            row = rows.get(name)
            if row is None:
                impl = cards.get(name, {}).get("implementation") or specs.get(name, {}).get("implementation", "")
                row = rows[name] = Row(name, implementation=impl)
            row.privileged = row.privileged or bool(p.get("privileged", False))
            if key in p:
                given = p[key].get("ci95")  # as recorded: Wilson, or the robust suite's bootstrap
                row.cells[label] = Cell(int(p[key]["successes"]), int(p[key]["n"]),
                                        tuple(map(float, given)) if given else None)
    records = _jaccard_records(evaluations, root)
    for row in rows.values():
        card = cards.get(row.name)
        if card is None or not row.is_network:
            continue
        candidates = card.get("options", {}).get("scorer_candidates", 0)
        ck = _card_checkpoint(card, root)
        for r in records:
            if r["_checkpoint"] == ck and (r.get("scorer_candidates") or 0) == candidates:
                score = _card_score(card, r)
                row.jaccard, row.sgt, row.jaccard_n = r[f"accuracy_{score}"], r.get(f"sgt_{score}"), int(r["n"])
    ordered = sorted(rows.values(), key=lambda r: (r.privileged, not r.is_network, r.name))
    for _, label, _ in COLUMNS:
        have = [r for r in ordered if label in r.cells]
        for r in have:  # competition ranking: ties share the better rank
            r.ranks[label] = 1 + sum(o.cells[label].rate > r.cells[label].rate for o in have)
    return ordered


def _per_scene(evaluations: Path, suite: str, names: list[str]) -> tuple[list[str], np.ndarray] | None:
    """Successes per scene (rows: scenes, columns: ``names``), the scenes all of them ran."""
    results = suite_results(evaluations, suite)
    if results is None:
        return None
    pols = results["policies"]
    per = [pols[n].get("per_object", {}) for n in names]
    scenes = sorted(set.intersection(*(set(p) for p in per))) if per else []
    if not scenes:
        return None
    table = np.array([[[p[s]["successes"], p[s]["n"]] for p in per] for s in scenes], dtype=float)
    return scenes, table


def agreement(rows: list[Row], evaluations: Path) -> Agreement:
    """Kendall tau (tau-b) between the networks' test-split top-1 Jaccard and their success on
    the physical suite, with a percentile bootstrap interval over the physical suite's scenes
    (the Jaccard figures have no per-scene records, so they are held fixed)."""
    nets = [r for r in rows if r.is_network and not r.privileged and r.jaccard is not None and PHYSICAL_SUITE in r.cells]
    names = tuple(r.name for r in nets)
    resampled = f"scenes of {PHYSICAL_SUITE} (Jaccard held fixed: no per-scene records)"
    if len(nets) < 3:
        return Agreement(names, None, None, None, resampled)
    jac = np.array([r.jaccard for r in nets])
    phys = np.array([r.cells[PHYSICAL_SUITE].rate for r in nets])
    tau = float(kendalltau(jac, phys).statistic)
    scenes = _per_scene(evaluations, PHYSICAL_SUITE, list(names))
    if scenes is None:
        return Agreement(names, tau, None, None, "none (no per-scene records)")
    _, table = scenes
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    taus = []
    for _ in range(BOOTSTRAP):
        pick = table[rng.integers(0, len(table), len(table))]
        rate = pick[:, :, 0].sum(0) / np.maximum(pick[:, :, 1].sum(0), 1)
        t = kendalltau(jac, rate).statistic
        if not math.isnan(t):
            taus.append(t)
    low, high = (float(np.percentile(taus, 2.5)), float(np.percentile(taus, 97.5))) if taus else (None, None)
    return Agreement(names, tau, low, high, resampled)


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _cell_text(row: Row, label: str) -> str:
    c = row.cells.get(label)
    if c is None:
        return "not run"
    lo, hi = c.ci95
    return f"{_pct(c.rate)} [{_pct(lo)}, {_pct(hi)}] #{row.ranks[label]}"


def _labels(rows: list[Row]) -> list[str]:
    return [label for _, label, _ in COLUMNS if any(label in r.cells for r in rows)]


def _name(row: Row) -> str:
    return f"{row.name} (privileged)" if row.privileged else row.name


def _tau_text(a: Agreement) -> str:
    if a.tau is None:
        return f"undefined: too few networks with both figures ({len(a.networks)}; 3 needed)"
    ci = "no interval" if a.low is None else f"95 % bootstrap interval [{a.low:.2f}, {a.high:.2f}]"
    return f"{a.tau:.2f} ({ci}; resampled: {a.resampled}; networks: {', '.join(a.networks)})"


def to_markdown(rows: list[Row], a: Agreement) -> str:
    """The board as a markdown table: success % [Wilson 95 %] #rank per suite."""
    labels = _labels(rows)
    head = ["policy", *labels, "test Jaccard top-1", "test SGT"]
    lines = [
        "# Leaderboard",
        "",
        "Generated by `python -m simgrasp.leaderboard` from the recorded suite results; do not edit.",
        "Cells: success % [95 % interval: Wilson's; the robust column's, the mean over perturbed draws, from a bootstrap "
        "over scenes] #rank within the column; `not run`: no record.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        cells = [_name(r), *(_cell_text(r, lb) for lb in labels), _pct(r.jaccard), _pct(r.sgt)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Kendall tau, rectangle metric (test Jaccard) against {PHYSICAL_SUITE} success: {_tau_text(a)}", ""]
    return "\n".join(lines)


def to_html(rows: list[Row], a: Agreement) -> str:
    """The same board as a standalone HTML page."""
    labels = _labels(rows)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["policy", *labels, "test Jaccard top-1", "test SGT"])
    body = []
    for r in rows:
        cells = [_name(r), *(_cell_text(r, lb) for lb in labels), _pct(r.jaccard), _pct(r.sgt)]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>simgrasp leaderboard</title>"
        "<style>td,th{border:1px solid #ccc;padding:2px 6px;font:13px sans-serif}</style></head><body>"
        "<h1>Leaderboard</h1><p>Generated by <code>python -m simgrasp.leaderboard</code>; "
        "success % [Wilson 95 %] #rank.</p>"
        f"<table><tr>{head}</tr>{''.join(body)}</table>"
        f"<p>Kendall tau (test Jaccard against {PHYSICAL_SUITE}): {html.escape(_tau_text(a))}</p></body></html>\n"
    )


def to_svg(rows: list[Row]) -> str:
    """A dot plot: each policy's success and Wilson interval, one panel row per suite."""
    labels = _labels(rows)
    w, left, row_h = 900, 190, 14
    panel_h = row_h * len(rows) + 24
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{panel_h * len(labels) + 20}' font-family='sans-serif' font-size='11'>"]
    x = lambda v: left + v * (w - left - 20)  # noqa: E731
    for k, label in enumerate(labels):
        y0 = k * panel_h + 16
        parts.append(f"<text x='4' y='{y0}' font-weight='bold'>{html.escape(label)}</text>")
        for g in (0, 0.5, 1):
            parts.append(f"<line x1='{x(g):.1f}' x2='{x(g):.1f}' y1='{y0}' y2='{y0 + panel_h - 10}' stroke='#ddd'/>")
        for i, r in enumerate(rows):
            y = y0 + 10 + i * row_h
            parts.append(f"<text x='14' y='{y + 4}'>{html.escape(_name(r))}</text>")
            c = r.cells.get(label)
            if c is None:
                parts.append(f"<text x='{left}' y='{y + 4}' fill='#999'>not run</text>")
                continue
            lo, hi = c.ci95
            parts.append(f"<line x1='{x(lo):.1f}' x2='{x(hi):.1f}' y1='{y}' y2='{y}' stroke='#468'/>")
            parts.append(f"<circle cx='{x(c.rate):.1f}' cy='{y}' r='3' fill='#c33'/>")
    parts.append("</svg>\n")
    return "\n".join(parts)


def write_leaderboard(evaluations: Path, cards_dir: Path, root: Path, out_dir: Path | None = None) -> dict[str, Path]:
    """Build the board from the records and write ``leaderboard.md``, ``.html`` and ``.svg``
    into ``out_dir`` (default: ``evaluations``); returns the paths written."""
    rows = build_rows(evaluations, cards_dir, root)
    if not rows:
        raise ValueError(f"expected recorded suite results under {evaluations}/SUITE/results.json, found none")
    a = agreement(rows, evaluations)
    out_dir = out_dir or evaluations
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"md": out_dir / "leaderboard.md", "html": out_dir / "leaderboard.html", "svg": out_dir / "leaderboard.svg"}
    paths["md"].write_text(to_markdown(rows, a))
    paths["html"].write_text(to_html(rows, a))
    paths["svg"].write_text(to_svg(rows))
    return paths
