"""Write the README's and the documentation's tables and plots from the records.

``python -m simgrasp.docs`` rewrites every generated block (``<!-- generated:NAME -->``) of
README.md and docs/*.md and the plots in docs/img/ from evaluations/ (see
:mod:`simgrasp.evaluation.docs_tables`); ``--check`` writes nothing and exits 1 naming the
files that differ from what the records give."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simgrasp.evaluation.docs_tables import Records
from simgrasp.policies.cards import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.docs", description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=REPO_ROOT, help="the repository (default: this checkout)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page or plot is stale")
    args = ap.parse_args(argv)
    records = Records(args.root)
    try:
        if args.check:
            stale = records.stale()
            for p in stale:
                print(f"stale: {p.relative_to(args.root)} (run python -m simgrasp.docs)")
            return 1 if stale else 0
        for p in records.write():
            print(f"wrote {p.relative_to(args.root)}")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
