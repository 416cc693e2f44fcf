"""Training a grasp-map network as its released code does: Adam at its default rate on the
sum of the four map losses, batches of 8, the rotation-and-zoom augmentation; periodic
top-1 Jaccard validation, resumable checkpoints and a JSONL metrics log as the paper's
network has them (:mod:`simgrasp.model.train`, whose run folder, resume and view-order
rules this loop shares).

The published schedule is 50 epochs of 1000 batches of 8 (50,000 iterations, days on a
2-core CPU); the train command's CPU presets run a few thousand.

Determinism: as the paper's network, view ``j`` of the run depends on (seed, j) only
(:class:`simgrasp.model.train.TrainViews`), and dropout is seeded from (seed, iteration),
so a resumed run trains as the uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from simgrasp.config import NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, Maybe, setting
from simgrasp.geometry.affine import transform_grasps
from simgrasp.model.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from simgrasp.model.contract import checkpoint_family
from simgrasp.model.maps.augment import MapAugmentConfig, random_view_affine
from simgrasp.model.maps.config import MapNetConfig
from simgrasp.model.maps.decode import DecodeConfig
from simgrasp.model.maps.detector import QUALITY, MapDetector
from simgrasp.model.maps.inputs import network_view
from simgrasp.model.maps.losses import map_losses
from simgrasp.model.maps.network import MapNetwork
from simgrasp.model.maps.targets import CHANNELS, draw_maps
from simgrasp.model.metrics import jaccard_accuracy
from simgrasp.model.sample import GraspDataset
from simgrasp.model.train import LAST, TrainViews, check_run_folder, mean_grasp_box, resume_point, save_on_stop


@dataclass(frozen=True)
class MapTrainConfig:
    """Optimisation and bookkeeping (the released values where they give them)."""

    iterations: int = setting(50_000, POSITIVE_INT)
    """Adam steps (published: 50 epochs of 1000 batches)."""
    batch_size: int = setting(8, POSITIVE_INT)
    lr: float = setting(1e-3, POSITIVE)
    """Adam's learning rate (both released scripts: PyTorch's default, 1e-3)."""
    seed: int = setting(0, NON_NEGATIVE_INT)
    """Seeds the network's initialisation, every view and the dropout masks."""
    workers: int = setting(1, NON_NEGATIVE_INT)
    """Loader processes preparing batches while the network trains (0: in-process)."""
    val_every: int = setting(500, NON_NEGATIVE_INT)
    """Iterations between validations (0: only at the end)."""
    val_limit: int | None = setting(200, Maybe(POSITIVE_INT))
    """Validation samples used (None: all)."""
    checkpoint_every: int = setting(500, NON_NEGATIVE_INT)
    """Iterations between checkpoints (the last iteration is always saved)."""
    log_every: int = setting(10, POSITIVE_INT)
    """Iterations between loss rows in the metrics log."""
    jaw_limit: int | None = setting(2000, Maybe(POSITIVE_INT))
    """Training samples read for the mean jaw size ``jaw_px`` (None: all)."""
    augment: MapAugmentConfig = field(default_factory=MapAugmentConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    """How validation decodes the maps (released values: the best peak above 0.2, or none)."""


class MapView(NamedTuple):
    """One augmented training view in network-input pixels."""

    image: np.ndarray  # float32 (S, S, C), see simgrasp.model.maps.inputs
    maps: np.ndarray  # float32 (4, S, S) label maps, see simgrasp.model.maps.targets


class MapViews(TrainViews):
    """Views of a dataset indexed by their position ``j`` in the run (the order of
    :class:`~simgrasp.model.train.TrainViews`): image, depth and grasps through one random
    view map (:mod:`.augment`), then the label maps of the grasps (all of them: the drawing
    clips those reaching past the view)."""

    def __init__(self, dataset: GraspDataset, config: MapNetConfig, seed: int, cfg: MapAugmentConfig) -> None:
        super().__init__(dataset, config.input_size, seed, cfg, config.input)
        self.net = config

    def __getitem__(self, j: int) -> MapView:  # type: ignore[override]
        epoch, pos = divmod(int(j), len(self.dataset))
        sample = self.dataset[int(self._perm(epoch)[pos])]
        rng = np.random.default_rng([self.seed, 1, int(j)])
        m = random_view_affine(sample.rgb.shape[:2], self.input_size, rng, self.cfg)
        if self.modality.depth and sample.depth is None:
            raise ValueError(
                f"{sample.scene_id}: input {self.modality_name!r} needs depth images; this dataset has none"
            )
        image = network_view(sample.rgb, sample.depth, m, self.input_size, self.modality_name)
        maps = draw_maps(transform_grasps(sample.grasps, m), self.input_size, self.net.width_scale_px)
        return MapView(image, maps)


def collate_maps(items: list[MapView]) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (B, C, S, S) and label maps (B, 4, S, S)."""
    images = torch.from_numpy(np.stack([v.image for v in items])).permute(0, 3, 1, 2).contiguous()
    return images, torch.from_numpy(np.stack([v.maps for v in items]))


def _log(path: Path, row: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def _step_seed(seed: int, iteration: int) -> int:
    return int(np.random.SeedSequence([seed, 2, iteration]).generate_state(1)[0])


def train_maps(
    train_set: GraspDataset,
    out_dir: str | Path,
    model_cfg: MapNetConfig,
    cfg: MapTrainConfig = MapTrainConfig(),
    val_set: GraspDataset | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
    init: str | Path | None = None,
    *,
    build: Callable[[MapNetConfig], MapNetwork],
) -> Path:
    """Train the network ``build(model_cfg)`` and return ``out_dir/last.pt`` (the same
    contract as :func:`simgrasp.model.train.train`: ``resume`` continues a run from its
    checkpoint, network and optimizer included; ``init`` starts a new run from a
    checkpoint's network; the folder must hold no other run; an early stop saves the
    iterations done). A new network's ``jaw_px`` becomes the mean ``h`` of the training
    set's ground truths in network-input pixels."""
    if resume is not None and init is not None:
        raise ValueError(f"expected one of resume or init, got both ({resume} and {init})")
    out = check_run_folder(out_dir, resume)
    log_path = out / "metrics.jsonl"
    torch.manual_seed(cfg.seed)
    start, ckpt = 0, None
    if resume is not None or init is not None:
        source = str(resume if resume is not None else init)
        ckpt = read_checkpoint(source)
        if resume is not None:
            start = resume_point(ckpt, source, cfg)
        model = checkpoint_family(ckpt, source).from_checkpoint(ckpt, source)
    else:
        _, jaw = mean_grasp_box(train_set, model_cfg.input_size, cfg.jaw_limit)
        model = build(dataclasses.replace(model_cfg, jaw_px=jaw))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    if resume is not None:
        try:
            optimizer.load_state_dict(ckpt["optimizer"])
        except (ValueError, KeyError) as e:
            raise CheckpointError(f"{resume}: optimizer state does not fit the network: {e}") from None
    train_dict = dataclasses.asdict(cfg)
    start_row = {"event": "start", "iteration": start, "family": model.family, "model": model.config.to_dict(),
                 "train": train_dict}
    _log(log_path, {**start_row, **({"init": str(init)} if init is not None else {})})

    views = MapViews(train_set, model.config, cfg.seed, cfg.augment)
    b = cfg.batch_size
    loader = DataLoader(
        views, batch_size=b, sampler=range(start * b, cfg.iterations * b), num_workers=cfg.workers,
        collate_fn=collate_maps, persistent_workers=False,
    )
    metrics: dict[str, Any] = {}
    bar = tqdm(loader, total=cfg.iterations - start, disable=not progress, desc="train")
    t0 = time.perf_counter()
    it = saved = start
    try:
        for images, target in bar:
            model.train()
            torch.manual_seed(_step_seed(cfg.seed, it))
            losses = map_losses(model(images), target, model.loss)
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            optimizer.step()
            it += 1
            row = {name: float(losses[name].detach()) for name in ("total", *CHANNELS)}
            bar.set_postfix({"loss": f"{row['total']:.4f}"})
            if it % cfg.log_every == 0 or it == cfg.iterations:
                _log(log_path, {"event": "train", "iteration": it, **row, "elapsed_s": time.perf_counter() - t0})
            last = it == cfg.iterations
            if val_set is not None and ((cfg.val_every and it % cfg.val_every == 0) or last):
                detector = MapDetector(model.eval(), decode=cfg.decode)
                acc = jaccard_accuracy(detector, val_set, cfg.val_limit, scores=(QUALITY,))
                metrics = {"val_quality": acc[QUALITY], "val_n": acc["n"]}
                _log(log_path, {"event": "val", "iteration": it, **metrics})
                bar.write(f"iteration {it}: Jaccard top-1 {acc[QUALITY]:.3f}")
            if (cfg.checkpoint_every and it % cfg.checkpoint_every == 0) or last:
                save_checkpoint(out / LAST, model, it, optimizer, train_dict, metrics)
                saved = it
    except BaseException as e:  # unreadable data met late, an interrupt: keep the iterations done
        save_on_stop(e, out / LAST, model, it, saved, optimizer, train_dict, metrics)
        raise
    return out / LAST
