"""The leaderboard from the recorded suite results (``simgrasp.evaluation.leaderboard``).

``python -m simgrasp.leaderboard [--evaluations DIR] [--cards DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simgrasp.evaluation.leaderboard import write_leaderboard
from simgrasp.policies.cards import CARDS_DIR, REPO_ROOT


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.leaderboard", description=__doc__.splitlines()[0])
    ap.add_argument("--evaluations", type=Path, default=REPO_ROOT / "evaluations", help="the suites' record folders")
    ap.add_argument("--cards", type=Path, default=CARDS_DIR, help="the policy cards")
    ap.add_argument("--out", type=Path, default=None, help="where to write (default: --evaluations)")
    args = ap.parse_args(argv)
    for path in write_leaderboard(args.evaluations, args.cards, REPO_ROOT, args.out).values():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
