"""The tables and plots of the README and the documentation, generated from the records.

A page holds a generated block between two markers::

    <!-- generated:NAME -->
    ...written by python -m simgrasp.docs...
    <!-- end generated -->

and :func:`render_page` rewrites what lies between them from ``evaluations/`` alone:

- ``headline``: the headline suite (``heldout``), every policy recorded on its scenes, and
  the paired differences its bounds name;
- ``suites``: every suite with recorded results: what it runs, the command, its table and
  a plot of success with intervals (``docs/img/SUITE.svg``);
- ``robust``: the robustness suite's nominal and robust rates, sensitivities and rankings;
- ``robust_summary``: what those records say, in a few generated sentences;
- ``targets``: each target of ``evaluations/targets/targets.toml`` against the best recorded figure;
- ``leaderboard``: the leaderboard's table (:mod:`simgrasp.evaluation.leaderboard`);
- ``bench``: the benchmark records of ``evaluations/bench/`` as they were printed.

Nothing in a block is typed by hand: ``python -m simgrasp.docs --check`` (and a test) fails
when a committed page or plot differs from what the records give."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Sequence

from simgrasp.evaluation.leaderboard import agreement, build_rows, suite_results, to_markdown
from simgrasp.protocols.clear import clearing_table
from simgrasp.protocols.report import bar_chart_svg
from simgrasp.protocols.robust import paired_table, policy_table, sensitivity_table
from simgrasp.protocols.tables import ci, pct

BLOCK = re.compile(r"(<!-- generated:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)
HEADLINE = "heldout"
IMG_DIR = Path("docs") / "img"


def md_table(head: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table."""
    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(head), "|" + "---|" * len(head), *map(line, rows)])


def families_of(results: dict[str, Any]) -> list[str]:
    """The object families any policy of a run was recorded on, sorted."""
    return sorted({f for p in results["policies"].values() for f in p.get("per_family") or {}})


def failures(p: dict[str, Any]) -> str:
    """A policy's recorded failures in words: its reasons, most common first, and its weakest
    object family when it has several."""
    reasons = sorted((p.get("failure_reasons") or {}).items(), key=lambda kv: -kv[1])
    text = "its failures: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in reasons) if reasons else "no failures"
    families = [(f["rate"], n) for n, f in (p.get("per_family") or {}).items() if f.get("rate") is not None]
    if len(families) > 1:
        rate, name = min(families)
        text += f"; weakest family {name} at {pct(rate)}"
    return text


def robust_reading(r: dict[str, Any]) -> list[str]:
    """The robustness records read out in sentences: how far each policy falls from nominal,
    which sensitivities are clear of zero, and which rankings hold."""
    pol = r["policies"]
    drops = ", ".join(f"{n} {100 * (p['success']['rate'] - p['nominal']['rate']):+.1f}" for n, p in pol.items()
                      if p["success"]["rate"] is not None and p["nominal"]["rate"] is not None)
    lines = [f"- Robust minus nominal success, points: {drops}."]
    clear = []
    for n, p in pol.items():
        for param, e in p["sensitivity"].items():
            c = e.get("ci95")
            if e.get("effect") is not None and c and (c[0] > 0 or c[1] < 0):
                clear.append((abs(e["effect"]), f"{n}: {param} {100 * e['effect']:+.1f} {ci(c, signed=True)}"))
    if clear:
        lines.append("- Sensitivities whose interval is clear of zero, largest first: "
                     + "; ".join(t for _, t in sorted(clear, reverse=True)) + ".")
    else:
        lines.append("- No sensitivity's interval is clear of zero: at these ranges no single guessed value moves "
                     "any policy's success by more than its interval can resolve.")
    biggest = max(((abs(e["effect"]), n, param, e["effect"]) for n, p in pol.items()
                   for param, e in p["sensitivity"].items() if e.get("effect") is not None), default=None)
    if biggest:
        lines.append(f"- The largest estimated effect: {biggest[2]} on {biggest[1]}, {100 * biggest[3]:+.1f} points.")
    held = [f"{p['a']} over {p['b']}" if p["difference"] > 0 else f"{p['b']} over {p['a']}"
            for p in r["paired"] if p["holds"]]
    lost = [f"{p['a']} - {p['b']}" for p in r["paired"] if p["holds"] is False]
    level = [f"{p['a']} - {p['b']}" for p in r["paired"] if p["holds"] is None]
    if held:
        lines.append(f"- Rankings that hold under every parameter's halves: {', '.join(held)}.")
    if lost:
        lines.append(f"- Nominal rankings with some interval reaching zero under a parameter half: {', '.join(lost)}.")
    if level:
        lines.append(f"- Level nominally (no ranking to hold): {', '.join(level)}.")
    return lines


class Records:
    """The records under ``root/evaluations`` and what pages are made of them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.evaluations = root / "evaluations"

    # -- what the records hold ---------------------------------------------------------------
    def suites(self) -> list[str]:
        """Suites with a suite file and recorded results, in name order (the headline first)."""
        names = sorted(p.stem for p in self.evaluations.glob("*.toml") if (self.evaluations / p.stem / "results.json").is_file())
        return sorted(names, key=lambda n: (n != HEADLINE, n))

    def suite_file(self, name: str) -> dict[str, Any]:
        return tomllib.loads((self.evaluations / f"{name}.toml").read_text())

    def results(self, name: str) -> dict[str, Any]:
        found = suite_results(self.evaluations, name)
        if found is None:
            raise ValueError(f"expected recorded results in {self.evaluations / name}/results.json, found none")
        return found

    # -- blocks -----------------------------------------------------------------------------------
    def trial_table(self, results: dict[str, Any]) -> str:
        """Policies by success, with their Wilson intervals, trials and lost trials."""
        rows = []
        for name, p in sorted(results["policies"].items(), key=lambda kv: -(kv[1]["success"]["rate"] or 0.0)):
            s = p["success"]
            label = f"{name} (privileged)" if p.get("privileged") else name
            rows.append([label, f"{s['successes']}/{s['n']}", pct(s["rate"]), ci(s["ci95"]),
                         p.get("infrastructure_errors", 0)])
        return md_table(["policy", "successes", "success", "95% CI", "lost (infrastructure)"], rows)

    def pairs(self, name: str, results: dict[str, Any]) -> str:
        """The paired differences the suite's bounds name (better - worse), one line each."""
        lines = []
        for b in self.suite_file(name).get("bounds", []):
            if "better" not in b:
                continue
            for p in results.get("paired", []):
                if {p["a"], p["b"]} == {b["better"], b["worse"]}:
                    sign = 1 if p["a"] == b["better"] else -1
                    d, c = sign * p["difference"], sorted(sign * x for x in p["ci95"])
                    lines.append(f"- {b['better']} - {b['worse']}: {100 * d:+.1f} points {ci(c, signed=True)} over "
                                 f"{p['pairs']} paired scenes (Newcombe 95 %)")
        return "\n".join(lines)

    def suite_table(self, name: str, results: dict[str, Any]) -> str:
        protocol = results.get("run", {}).get("protocol", self.suite_file(name).get("protocol", "trial"))
        if protocol == "clear":
            return md_table(*clearing_table(results))
        if protocol == "robust":
            return md_table(*policy_table(results))
        return self.trial_table(results)

    def plot(self, name: str, results: dict[str, Any]) -> str:
        """SVG: each policy's success (robust rate for the robust suite) with its interval."""
        items = sorted(((n, p["success"]["rate"], p["success"]["ci95"]) for n, p in results["policies"].items()),
                       key=lambda t: -(t[1] or 0.0))
        return bar_chart_svg(items)

    def family_plot(self, results: dict[str, Any]) -> str | None:
        """SVG: success per object family and policy with intervals (None with one family)."""
        families = families_of(results)
        if len(families) < 2:
            return None
        items = [(f"{f.removeprefix('procedural/')}: {n}", c["rate"], c["ci95"]) for f in families
                 for n, p in results["policies"].items() if (c := (p.get("per_family") or {}).get(f))]
        return bar_chart_svg(items)

    def image(self, name: str, page: Path, what: str = "success with 95 % intervals") -> str:
        rel = Path("img") if page.parent.name == "docs" else IMG_DIR
        return f"![{name}: {what}]({(rel / f'{name}.svg').as_posix()})"

    def headline(self, page: Path) -> str:
        r = self.results(HEADLINE)
        suite = self.suite_file(HEADLINE)
        parts = [f"{suite.get('description', '')}", "", self.trial_table(r)]
        pairs = self.pairs(HEADLINE, r)
        parts += ["", pairs] if pairs else []
        parts += ["", f"Reproduce: `python -m simgrasp.evaluate --suite evaluations/{HEADLINE}.toml`."]
        return "\n".join(parts)

    def suites_block(self, page: Path) -> str:
        parts = []
        for name in self.suites():
            r, suite = self.results(name), self.suite_file(name)
            parts += [f"### {name}", "", suite.get("description", ""), "",
                      f"`python -m simgrasp.evaluate --suite evaluations/{name}.toml` "
                      f"({suite.get('trials', r['run'].get('trials'))} "
                      f"{'episodes' if suite.get('protocol') == 'clear' else 'scenes'} "
                      "per policy)", "", self.suite_table(name, r), ""]
            pairs = self.pairs(name, r)
            parts += [pairs, ""] if pairs else []
            parts += [self.image(name, page), ""]
            if len(families_of(r)) > 1:  # family_plot draws it
                parts += [self.image(f"{name}_families", page, "success per object family"), ""]
        return "\n".join(parts).rstrip()

    def robust(self, page: Path) -> str:
        r = self.results("robust")
        spec = ", ".join(f"{k} = {v}" for k, v in r["perturb"].items())
        parts = [f"Perturbation: {spec}.", "", md_table(*policy_table(r)), "",
                 "Sensitivity: the change of success, in points, across each factor's range (low end to high end) "
                 "or per standard deviation of an error, with bootstrap 95 % intervals over scenes.", "",
                 md_table(*sensitivity_table(r))]
        if r["paired"]:
            parts += ["", "Paired: robust difference A - B, and its least value over the two halves of every "
                      "parameter's range; the ranking holds when every interval keeps clear of zero.", "",
                      md_table(*paired_table(r))]
        parts += ["", "What the records say:", "", *robust_reading(r)]
        parts += ["", "Reproduce: `python -m simgrasp.evaluate --suite evaluations/robust.toml`."]
        return "\n".join(parts)

    def robust_summary(self, page: Path) -> str:
        return "\n".join(robust_reading(self.results("robust")))

    def targets(self, page: Path) -> str:
        """Each target against the best recorded rate of its policies: met, or missed by how much."""
        rows = []
        for t in tomllib.loads((self.evaluations / "targets" / "targets.toml").read_text())["target"]:
            r = self.results(t["suite"])
            got = [(p["success"]["rate"], n, p["success"]) for n, p in r["policies"].items()
                   if n in t["policies"] and p["success"]["rate"] is not None]
            if not got:
                rows.append([t["what"], f">= {pct(t['at_least'])}", "not recorded", "-", t["limits"]])
                continue
            rate, name, s = max(got, key=lambda g: g[0])
            met = rate >= t["at_least"]
            verdict = "met" if met else f"missed by {100 * (t['at_least'] - rate):.1f} points"
            rows.append([t["what"], f">= {pct(t['at_least'])}", f"{name} {pct(rate)} {ci(s['ci95'])}", verdict,
                         "-" if met else f"{t['limits']}; {failures(r['policies'][name])}"])
        return md_table(["target", "threshold", "best recorded", "verdict", "what limits it"], rows)

    def leaderboard(self, page: Path) -> str:
        rows = build_rows(self.evaluations, self.root / "policies", self.root)
        text = to_markdown(rows, agreement(rows, self.evaluations))
        return text.split("\n", 1)[1].strip()  # without its own title

    def bench(self, page: Path) -> str:
        parts = []
        for p in sorted((self.evaluations / "bench").glob("*.txt")):
            parts += [f"`evaluations/bench/{p.name}`:", "", "```", p.read_text().rstrip(), "```", ""]
        return "\n".join(parts).rstrip()

    def blocks(self) -> dict[str, Callable[[Path], str]]:
        return {"headline": self.headline, "suites": self.suites_block, "robust": self.robust,
                "robust_summary": self.robust_summary, "targets": self.targets,
                "leaderboard": self.leaderboard, "bench": self.bench}

    # -- pages --------------------------------------------------------------------------------
    def render_page(self, path: Path, text: str) -> str:
        """``text`` (the page at ``path``) with every generated block rewritten; ValueError
        naming a block no generator has."""
        blocks = self.blocks()

        def fill(m: re.Match) -> str:
            name = m.group("name")
            if name not in blocks:
                raise ValueError(f"{path}: unknown generated block {name!r}; known: {', '.join(sorted(blocks))}")
            return f"{m.group(1)}{blocks[name](path).rstrip()}\n{m.group(4)}"

        return BLOCK.sub(fill, text)

    def pages(self) -> list[Path]:
        """The README and the documentation pages."""
        return [self.root / "README.md", *sorted((self.root / "docs").glob("*.md"))]

    def outputs(self) -> dict[Path, str]:
        """Every file the records make: the pages with blocks, and the plots."""
        out: dict[Path, str] = {}
        for page in self.pages():
            if page.is_file():
                text = page.read_text()
                if BLOCK.search(text):
                    out[page] = self.render_page(page, text)
        for name in self.suites():
            r = self.results(name)
            out[self.root / IMG_DIR / f"{name}.svg"] = self.plot(name, r)
            if (families := self.family_plot(r)) is not None:
                out[self.root / IMG_DIR / f"{name}_families.svg"] = families
        return out

    def stale(self) -> list[Path]:
        """The files whose committed content differs from what the records give."""
        return [p for p, text in self.outputs().items() if not p.is_file() or p.read_text() != text]

    def write(self) -> list[Path]:
        written = []
        for p, text in self.outputs().items():
            if not p.is_file() or p.read_text() != text:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
                written.append(p)
        return written
