"""Model benchmark: ``python -m simgrasp.bench model [--backbones resnet18 resnet50]
[--input-size 320] [--repeats 10] [--train-iterations 3] [--batch 10] [--threads N]``.

Prints, per backbone, inference milliseconds per image for the feature extractor, the
PGP and the scorer (all g*g*k grasps at once) separately, the scorer's share of FE+PGP,
and seconds per training iteration (forward, the three losses, backward, SGD step) on
synthetic images at the given batch size.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np
import torch

from simgrasp.model.augment import AugmentConfig
from simgrasp.model.config import ModelConfig
from simgrasp.model.losses import compute_losses
from simgrasp.model.network import GraspNet
from simgrasp.model.sample import GraspSample
from simgrasp.model.train import TrainViews, collate, mean_grasp_box


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: allocations and kernel selection
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


class _RandomScenes:
    """Images of noise with a few random grasps: enough to time a training step, which
    does not depend on what the pixels show (the model layer reads no dataset of its own)."""

    def __init__(self, n: int, size: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.samples = []
        for i in range(n):
            k = int(rng.integers(3, 8))
            xy = rng.uniform(0.2 * size, 0.8 * size, (k, 2))
            grasps = np.column_stack([xy, rng.uniform(-90, 90, k), rng.uniform(20, 100, k), rng.uniform(10, 40, k)])
            rgb = rng.integers(0, 256, (size, size, 3), np.uint8)
            self.samples.append(GraspSample(rgb, grasps.astype(np.float32), f"obj{i}", f"scene{i}"))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> GraspSample:
        return self.samples[i]

    def object_ids(self) -> list[str]:
        return [s.object_id for s in self.samples]


def bench_backbone(name: str, input_size: int, repeats: int, train_iterations: int, batch: int) -> dict[str, float]:
    """Figures for one backbone; inference at batch 1."""
    data = _RandomScenes(max(batch, 8), input_size, seed=0)
    w, h = mean_grasp_box(data, input_size)
    torch.manual_seed(0)
    net = GraspNet(ModelConfig(backbone=name, input_size=input_size, anchor_w=w, anchor_h=h))
    net.eval()
    x = torch.rand(1, 3, input_size, input_size)
    with torch.no_grad():
        feats = net.fe(x)
        deltas, _ = net.pgp(feats)
        fe = _median_ms(lambda: net.fe(x), repeats)
        pgp = _median_ms(lambda: net.pgp(feats), repeats)
        scorer = _median_ms(lambda: net.scorer(feats, deltas), repeats)
    views = TrainViews(data, input_size, 0, AugmentConfig())
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
    net.train()
    steps = []
    for i in range(train_iterations + 1):
        views_batch = collate([views[i * batch + j] for j in range(batch)])
        t = time.perf_counter()
        losses = compute_losses(net, net(views_batch.images), views_batch.truths, tested=views_batch.tried())
        opt.zero_grad(set_to_none=True)
        losses.total.backward()
        opt.step()
        if i:  # the first step warms up
            steps.append(time.perf_counter() - t)
    return {"fe_ms": fe, "pgp_ms": pgp, "scorer_ms": scorer, "train_s": float(np.median(steps))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simgrasp.bench model", description=__doc__.splitlines()[0])
    ap.add_argument("--backbones", nargs="+", default=["resnet18", "resnet50"])
    ap.add_argument("--input-size", type=int, default=320)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--train-iterations", type=int, default=3)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, input {args.input_size} px, "
          f"inference at batch 1, training at batch {args.batch}")
    print(f"{'backbone':<10}{'FE ms':>9}{'PGP ms':>9}{'scorer ms':>11}{'scorer/(FE+PGP)':>17}{'train s/it':>12}")
    for name in args.backbones:
        r = bench_backbone(name, args.input_size, args.repeats, args.train_iterations, args.batch)
        share = r["scorer_ms"] / (r["fe_ms"] + r["pgp_ms"])
        print(f"{name:<10}{r['fe_ms']:>9.1f}{r['pgp_ms']:>9.2f}{r['scorer_ms']:>11.2f}{100 * share:>16.1f}%{r['train_s']:>12.2f}",
              flush=True)


if __name__ == "__main__":
    main()
