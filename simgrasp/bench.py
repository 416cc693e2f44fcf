"""Benchmarks that print figures: ``python -m simgrasp.bench
{sim,clutter,scenes,model,dataset,evaluate,evaluate-memory,decisions,robots,ray,agreement,all}``.

Each area keeps its benchmark next to its code as ``main(argv) -> None``; this module
only dispatches, importing an area only when it is asked for."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "sim": "simgrasp.sim.bench",
    "clutter": "simgrasp.evaluation.clutter_bench",
    "scenes": "simgrasp.evaluation.scene_bench",
    "model": "simgrasp.model.bench",
    "dataset": "simgrasp.data.bench",
    "evaluate": "simgrasp.evaluation.bench",
    "evaluate-memory": "simgrasp.evaluation.memory_bench",
    "decisions": "simgrasp.evaluation.decision_bench",
    "robots": "simgrasp.robots.bench",
    "ray": "simgrasp.evaluation.ray_bench",
    "agreement": "simgrasp.evaluation.against_bench",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS), "or all")
        return
    name, rest = argv[0], argv[1:]
    names = [n for n in BENCHMARKS if n != "agreement"] if name == "all" else [name]  # agreement needs --against
    for n in names:
        if n not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {n!r}; known: {', '.join(BENCHMARKS)}, all")
        try:
            module = importlib.import_module(BENCHMARKS[n])
        except ModuleNotFoundError as e:
            if name == "all":
                print(f"[{n}] not available: {e}")
                continue
            raise
        print(f"== {n} ==", flush=True)
        module.main(rest)


if __name__ == "__main__":
    main()
