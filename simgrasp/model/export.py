"""Shipping weights: ``python -m simgrasp.model.export SRC DST`` copies a training
checkpoint of any family without its optimizer state (half the size), after checking that
its network loads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from simgrasp.model.checkpoint import read_checkpoint
from simgrasp.model.contract import checkpoint_family


def export_weights(src: str | Path, dst: str | Path) -> Path:
    """Copy a training checkpoint without its optimizer state: the file that ships.
    Training can still start again from it, with a fresh optimizer."""
    import torch

    ckpt = read_checkpoint(src)
    checkpoint_family(ckpt, str(src)).from_checkpoint(ckpt, str(src))  # refuse to ship weights that do not load
    ckpt["optimizer"] = None
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    torch.save(ckpt, tmp)
    os.replace(tmp, dst)
    return dst


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m simgrasp.model.export SRC DST")
    out = export_weights(sys.argv[1], sys.argv[2])
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
