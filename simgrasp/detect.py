"""Detect grasps in one image and draw the best ones.

``python -m simgrasp.detect IMAGE --checkpoint C [--depth D.npy] [--score S] [--top 5] [--out out.png]``
prints the grasps (pixels of IMAGE, degrees) with their score and writes a PNG. Any network
family (the network contract); a network that reads depth needs ``--depth``, an (H, W)
float array in metres saved by ``numpy.save``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from simgrasp.model.contract import load_network
from simgrasp.viz import draw_grasps


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.detect", description=__doc__.splitlines()[0])
    ap.add_argument("image", type=Path, help="an RGB image (PNG, JPEG...)")
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--depth", type=Path, default=None, help="the image's depth in metres (.npy), for depth networks")
    ap.add_argument("--score", default=None, help="rank grasps by this score (default: the network's own)")
    ap.add_argument("--top", type=int, default=5, help="grasps to print and draw")
    ap.add_argument("--out", type=Path, default=None, help="PNG to write (default: IMAGE stem + _grasps.png)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    bgr = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read image {args.image} (expected an RGB image file)")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    detector = load_network(args.checkpoint, args.device)
    score = args.score or detector.score_kinds[0]
    if score not in detector.score_kinds:
        raise SystemExit(f"--score must be one of {', '.join(detector.score_kinds)} for a {detector.family} network, got {score!r}")
    depths = None
    if detector.needs_depth:
        if args.depth is None:
            raise SystemExit(f"the network reads input {detector.modality!r}: pass --depth D.npy (metres, the image's size)")
        depth = np.load(args.depth)
        if depth.shape != rgb.shape[:2]:
            raise SystemExit(f"--depth: expected an array of shape {rgb.shape[:2]} (the image's), got {depth.shape}")
        depths = [depth.astype(np.float32)]
    found = detector.detect([rgb], score=score, top_k=args.top, depths=depths)[0]
    for rank, (g, p) in enumerate(found, 1):
        print(f"{rank}: x={g.x:.1f} y={g.y:.1f} theta={g.theta_deg:.1f} deg w={g.w:.1f} h={g.h:.1f}  {score}={p:.3f}")
    out = args.out or args.image.with_name(args.image.stem + "_grasps.png")
    drawn = draw_grasps(rgb, [g for g, _ in found])
    if not cv2.imwrite(str(out), cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR)):
        raise SystemExit(f"cannot write {out}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
