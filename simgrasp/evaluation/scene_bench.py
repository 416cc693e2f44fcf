"""Scene-building benchmark: the share of seeds whose scene cannot be built, by object set,
size mode and scene kind, with the objects each scene holds.

    python -m simgrasp.bench scenes [--objects pybullet_objects,procedural:test,DIR] [--sizes fit,real]
                                    [--kinds pile:5,packed:5] [--seeds 100] [--start 0] [--env]

Every seed is reset once (``SimBackend.reset``, or with ``--env`` the Gymnasium env's
``reset(seed=...)``, which draws the backend's seed from its own generator); a seed counts
as lost when it raises SceneError (every draw of the seed failed). Prints, per combination: lost seeds, mean objects
held of those asked for, scenes holding fewer, draws past the first, CPU ms per reset.
"""

from __future__ import annotations

import argparse
import collections
import time

from tqdm import tqdm

from simgrasp.backends.base import INFO_SCENE
from simgrasp.sim.backend import SceneError, SimBackend


def measure(objects: str, size: str, kind: str, seeds: range, env: bool = False) -> dict[str, float]:
    """Figures of ``kind`` scenes of ``objects`` at size mode ``size`` over ``seeds``
    (through the Gymnasium env with ``env``)."""
    lost, held, short, redrawn, reasons = 0, [], 0, 0, collections.Counter()
    options = {"scene": kind, "library": {"size": size}}
    if env:
        from simgrasp.env.topdown import TopDownGraspEnv

        shell = TopDownGraspEnv(objects=objects, **options)
        b, reset = shell.backend, (lambda s: shell.reset(seed=s))
    else:
        b = SimBackend(objects, **options)
        reset = b.reset
    with b:
        t = time.process_time()
        for seed in tqdm(seeds, desc=f"{objects} {size} {kind}", leave=False):
            try:
                _, info = reset(seed)
            except SceneError as e:
                lost += 1
                reasons[str(e).split(" after ")[0][-50:]] += 1
                continue
            s = info[INFO_SCENE]
            held.append(s["objects"] / s["asked"])
            short += s["objects"] < s["asked"]
            redrawn += s["draw"] > 0
        cpu = time.process_time() - t
    n = len(seeds)
    return {"lost": lost / n, "held": sum(held) / max(len(held), 1), "short": short / n, "redrawn": redrawn / n,
            "ms": 1000 * cpu / n, "reasons": dict(reasons.most_common(3))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench scenes", description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", default="pybullet_objects,procedural:test", help="object specs, comma-separated")
    ap.add_argument("--sizes", default="fit,real")
    ap.add_argument("--kinds", default="pile:5,packed:5")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--env", action="store_true", help="reset through the Gymnasium env (its seeds)")
    a = ap.parse_args(argv)
    seeds = range(a.start, a.start + a.seeds)
    print(f"{'objects':28s} {'size':5s} {'kind':9s} {'lost':>6s} {'held':>6s} {'short':>6s} {'redrawn':>8s} {'ms/reset':>9s}")
    for objects in a.objects.split(","):
        for size in a.sizes.split(","):
            for kind in a.kinds.split(","):
                r = measure(objects, size, kind, seeds, a.env)
                print(f"{objects[-28:]:28s} {size:5s} {kind:9s} {100 * r['lost']:5.1f}% {100 * r['held']:5.1f}% "
                      f"{100 * r['short']:5.1f}% {100 * r['redrawn']:7.1f}% {r['ms']:9.0f}"
                      + (f"  {r['reasons']}" if r["reasons"] else ""), flush=True)


if __name__ == "__main__":
    main()
