"""Detect grasps in one image and draw the best ones.

``python -m simgrasp.detect IMAGE --checkpoint C [--score scorer] [--top 5] [--out out.png]``
prints the grasps (pixels of IMAGE, degrees) with their probability and writes a PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from simgrasp.model.detector import SCORES, Detector
from simgrasp.viz import draw_grasps


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.detect", description=__doc__.splitlines()[0])
    ap.add_argument("image", type=Path, help="an RGB image (PNG, JPEG...)")
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--score", choices=SCORES, default="scorer", help="rank grasps by this probability")
    ap.add_argument("--top", type=int, default=5, help="grasps to print and draw")
    ap.add_argument("--out", type=Path, default=None, help="PNG to write (default: IMAGE stem + _grasps.png)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    bgr = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read image {args.image} (expected an RGB image file)")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    detector = Detector.from_checkpoint(args.checkpoint, args.device)
    found = detector.detect(rgb, score=args.score, top_k=args.top)[0]
    for rank, (g, p) in enumerate(found, 1):
        print(f"{rank}: x={g.x:.1f} y={g.y:.1f} theta={g.theta_deg:.1f} deg w={g.w:.1f} h={g.h:.1f}  {args.score}={p:.3f}")
    out = args.out or args.image.with_name(args.image.stem + "_grasps.png")
    drawn = draw_grasps(rgb, [g for g, _ in found])
    if not cv2.imwrite(str(out), cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR)):
        raise SystemExit(f"cannot write {out}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
