"""``report.html``: one self-contained page (inline SVG and CSS, images as base64) with the
success-rate chart, the tables, and a gallery of recorded trials, failures first."""

from __future__ import annotations

import base64
import heapq
import html
import math
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from simgrasp.protocols.drawing import thumbnail_png
from simgrasp.protocols.summary import lost_trials_text
from simgrasp.protocols.tables import family_rows, paired_rows, pct, policy_rows

GALLERY_LIMIT = 120  # images embedded in one report; the rest stay as files in images/

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
.gallery{display:flex;flex-wrap:wrap;gap:10px}.card{width:210px;font-size:12px}
.card img{width:200px;border:3px solid #ccc}.fail img{border-color:#d33}.ok img{border-color:#2a2}
.infra img{border-color:#999}code{background:#f4f4f4;padding:1px 4px}
"""


def esc(x: Any) -> str:
    return html.escape(str(x))


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table of already formatted cells."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def bar_chart_svg(items: Sequence[tuple[str, float | None, Sequence[float] | None]], width: int = 640) -> str:
    """Horizontal bars of success rates (0-100 %) with their 95 % intervals as whiskers.
    ``items``: ``(label, rate or None, [low, high] or None)``."""
    left, right, bar_h, gap = 170, 60, 22, 10
    plot_w = width - left - right
    height = 30 + len(items) * (bar_h + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="12">']
    for t in range(0, 101, 25):
        x = left + plot_w * t / 100
        parts.append(f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height - 4}" stroke="#eee"/>')
        parts.append(f'<text x="{x:.1f}" y="12" text-anchor="middle" fill="#666">{t}%</text>')
    for i, (label, r, c) in enumerate(items):
        y = 22 + i * (bar_h + gap)
        parts.append(f'<text x="{left - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end">{esc(label)}</text>')
        if r is None or (isinstance(r, float) and math.isnan(r)):
            parts.append(f'<text x="{left + 4}" y="{y + bar_h * 0.7:.1f}" fill="#999">no valid trials</text>')
            continue
        parts.append(f'<rect x="{left}" y="{y}" width="{plot_w * r:.1f}" height="{bar_h}" fill="#4a7fd6"/>')
        if c:
            x0, x1, ym = left + plot_w * c[0], left + plot_w * c[1], y + bar_h / 2
            parts.append(f'<line x1="{x0:.1f}" y1="{ym}" x2="{x1:.1f}" y2="{ym}" stroke="#222" stroke-width="1.5"/>')
            for x in (x0, x1):
                parts.append(f'<line x1="{x:.1f}" y1="{y + 4}" x2="{x:.1f}" y2="{y + bar_h - 4}" stroke="#222"/>')
        parts.append(f'<text x="{left + plot_w + 6}" y="{y + bar_h * 0.7:.1f}">{pct(r)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def page(title: str, body: str) -> str:
    """A complete HTML document with the report's style."""
    head = f'<meta charset="utf-8"><title>{esc(title)}</title><style>{CSS}</style>'
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def per_object_table(results: dict[str, Any]) -> str:
    """Objects as rows, policies as columns: ``successes/trials`` per cell; an object on
    which a privileged policy found no working grasp is marked ungraspable."""
    names = list(results["policies"])
    objects = sorted({o for s in results["policies"].values() for o in s["per_object"]})
    ungraspable = {o for s in results["policies"].values() for o in s.get("ungraspable_objects", ())}
    rows = []
    for o in objects:
        cells = []
        for n in names:
            r = results["policies"][n]["per_object"].get(o)
            cells.append("-" if r is None else f"{r['successes']}/{r['n']}")
        rows.append([f"{o} (ungraspable)" if o in ungraspable else o, *cells])
    labels = [f"{n} (privileged)" if results["policies"][n].get("privileged") else n for n in names]
    return html_table(["object", *labels], rows)


def gallery(rows: Iterable[dict[str, Any]], run_dir: Path, limit: int = GALLERY_LIMIT) -> str:
    """Recorded trials as thumbnails, failures first (then infrastructure errors, then
    successes), each captioned with policy, seed, object and reason. ``rows`` is read
    once, holding only the ``limit`` first in that order."""

    def rank(r: dict[str, Any]) -> tuple[int, str, int]:
        kind = 2 if r.get("success") else (1 if r.get("infrastructure_error") else 0)
        return (kind, str(r["policy"]), int(r["seed"]))

    n_recorded = 0

    def recorded() -> Iterator[dict[str, Any]]:
        nonlocal n_recorded
        for r in rows:
            if r.get("image"):
                n_recorded += 1
                yield r

    shown = heapq.nsmallest(limit, recorded(), key=rank)  # as sorted(...)[:limit], holding limit rows
    if not n_recorded:
        return "<p>No trial images: run with <code>--record</code> to save them.</p>"
    cards = []
    for r in shown:
        png = thumbnail_png(run_dir / r["image"])
        if png is None:
            continue
        cls = "ok" if r.get("success") else ("infra" if r.get("infrastructure_error") else "fail")
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        err = f"<br>{esc(r['error'])[:160]}" if r.get("error") else ""
        cards.append(
            f'<div class="card {cls}"><a href="{esc(r["image"])}"><img src="{src}"></a><br>'
            f"<b>{esc(r['policy'])}</b> seed {r['seed']} &middot; {esc(r.get('object'))}<br>"
            f"{esc(r.get('reason'))}{err}</div>"
        )
    more = n_recorded - min(n_recorded, limit)
    note = f"<p>{more} more images in <code>images/</code>.</p>" if more > 0 else ""
    return f'<div class="gallery">{"".join(cards)}</div>{note}'


def write_report(path: Path, results: dict[str, Any], rows: Iterable[dict[str, Any]], run_dir: Path) -> None:
    """Write the run's ``report.html`` from its results and rows (iterated once, for the gallery)."""
    run = results.get("run", {})
    chart = bar_chart_svg([(n, s["success"]["rate"], s["success"]["ci95"]) for n, s in results["policies"].items()])
    body = [
        "<h1>Grasp evaluation</h1>",
        f"<p>backend <code>{esc(run.get('backend'))}</code>, objects <code>{esc(run.get('objects'))}</code>, "
        f"{esc(run.get('trials'))} trials per policy from seed {esc(run.get('seed'))}. Success = lifted, carried "
        "and placed. Rates leave out infrastructure errors; intervals are Wilson 95 %.</p>",
        *([f'<p class="warning"><strong>{esc(lost_trials_text(results["warning"]))}</strong></p>']
          if results.get("warning") else []),
        "<h2>Success rate</h2>",
        chart,
        html_table(*policy_rows(results)),
    ]
    if results.get("paired"):
        body += [
            "<h2>Paired differences (same seeds)</h2>",
            "<p>Newcombe's hybrid score 95 % interval for paired proportions.</p>",
            html_table(*paired_rows(results)),
        ]
    reasons = [
        [n, ", ".join(f"{k}: {v}" for k, v in s["failure_reasons"].items()) or "-"]
        for n, s in results["policies"].items()
    ]
    body += ["<h2>Failure reasons</h2>", html_table(["policy", "reasons"], reasons)]
    body += ["<h2>Per object family</h2>", html_table(*family_rows(results))]
    body += ["<details><summary><b>Per object</b></summary>", per_object_table(results), "</details>"]
    skipped = results.get("skipped_objects") or []
    if skipped:
        body += [
            f"<h2>Skipped objects ({len(skipped)})</h2>",
            "<p>Files the backend could not use; no trial ran on them.</p>",
            html_table(["file", "reason"], [[s["path"], s["reason"]] for s in skipped]),
        ]
    body += ["<h2>Trials</h2>", gallery(rows, run_dir)]
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page("Grasp evaluation", "".join(body)), encoding="utf-8")
    tmp.replace(path)
