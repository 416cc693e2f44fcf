"""Plain-text tables of results for the terminal (the HTML report shows the same rows)."""

from __future__ import annotations

from typing import Any, Sequence

from simgrasp.protocols.summary import lost_trials_text


def pct(x: float | None) -> str:
    """A rate as a percentage, or a dash."""
    return "-" if x is None else f"{100 * x:.1f}%"


def ci(c: Sequence[float] | None, signed: bool = False) -> str:
    """A 95 % interval in percent points."""
    if not c:
        return "-"
    f = "{:+.1f}" if signed else "{:.1f}"
    return f"[{f.format(100 * c[0])}, {f.format(100 * c[1])}]"


def render(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned first column, right-aligned others, columns two spaces apart."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def policy_rows(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and one row per policy: trials, successes, rate and interval, stage rates,
    policy errors, infrastructure errors (left out of the rate), trials per second."""
    headers = [
        "policy",
        "trials",
        "success",
        "rate",
        "95% CI",
        "lifted",
        "carried",
        "placed",
        "policy err",
        "infra err",
        "trials/s",
    ]
    rows = []
    for name, s in results["policies"].items():
        tput = s["throughput"].get("trials_per_s")
        rows.append(
            [
                f"{name} (privileged)" if s.get("privileged") else name,
                s["trials"],
                f"{s['successes']}/{s['valid_trials']}",
                pct(s["success"]["rate"]),
                ci(s["success"]["ci95"]),
                *(pct(s["stages"][k]["rate"]) for k in ("lifted", "carried", "placed")),
                s["failure_reasons"].get("policy_error", 0),
                s["infrastructure_errors"],
                "-" if tput is None else f"{tput:.2f}",
            ]
        )
    return headers, rows


def paired_rows(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and one row per pair of policies: paired difference with its interval."""
    headers = ["A - B", "pairs", "A only", "B only", "difference", "95% CI"]
    rows = []
    for p in results.get("paired", []):
        d = p["difference"]
        rows.append(
            [
                f"{p['a']} - {p['b']}",
                p["pairs"],
                p["only_a"],
                p["only_b"],
                "-" if d is None else f"{100 * d:+.1f} pts",
                ci(p["ci95"], True),
            ]
        )
    return headers, rows


def family_rows(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and one row per object family, one ``successes/trials rate`` cell per policy
    ("-" where a policy ran no valid trial of the family)."""
    names = list(results["policies"])
    families = sorted({f for s in results["policies"].values() for f in s.get("per_family", {})})
    rows = []
    for f in families:
        cells = [results["policies"][n].get("per_family", {}).get(f) for n in names]
        rows.append([f, *("-" if c is None else f"{c['successes']}/{c['n']} {pct(c['rate'])}" for c in cells)])
    return ["family", *names], rows


def results_table(results: dict[str, Any]) -> str:
    """The end-of-run summary: the policy table, then paired differences if several, the
    rates per object family if several, and the failure reasons."""
    text = (lost_trials_text(results["warning"]) + "\n\n" if results.get("warning") else "") + render(*policy_rows(results))
    if results.get("paired"):
        text += "\n\npaired on the same seeds (Newcombe 95% interval):\n" + render(*paired_rows(results))
    headers, families = family_rows(results)
    if len(families) > 1:
        text += "\n\nper object family:\n" + render(headers, families)
    text += scene_note(results)
    reasons = {n: s["failure_reasons"] for n, s in results["policies"].items() if s["failure_reasons"]}
    if reasons:
        text += "\n\nfailure reasons:\n" + "\n".join(
            f"  {n}: " + ", ".join(f"{k} {v}" for k, v in r.items()) for n, r in reasons.items()
        )
    return text


def scene_note(results: dict[str, Any]) -> str:
    """A line saying how many scenes held fewer objects than asked ("" when none did):
    the rates are over the scenes as built, and the crowded ones hold fewer."""
    for s in results["policies"].values():
        sc = s.get("scenes")
        if sc and sc["short"]:
            return (f"\n\nscenes: {sc['short']} of {sc['trials']} held fewer objects than asked "
                    f"(mean {sc['mean_objects']:.2f} of {sc['mean_asked']:.0f}; the rows name those left out)")
    return ""
