"""Training (section IV-C and V-A 2): SGD on the sum of the three losses, online
augmentation, periodic validation, resumable checkpoints and a JSONL metrics log.

Determinism. The network is initialised after ``torch.manual_seed(seed)``; view ``j`` of
the run (``j = iteration * batch + slot``) is sample ``perm_e[j mod n]`` of epoch
``e = j // n`` with ``perm_e`` drawn from ``default_rng([seed, e])``, augmented with
``default_rng([seed, 1, j])``. Views therefore depend on (seed, j) only: the same with any
number of loader workers, and a resumed run sees the views the uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from simgrasp.config import NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, Choice, Maybe, Number, Values, setting
from simgrasp.geometry.affine import transform_grasps
from simgrasp.model.augment import AugmentConfig, apply_affine, random_affine
from simgrasp.model.checkpoint import CheckpointError, model_from_checkpoint, read_checkpoint, save_checkpoint
from simgrasp.model.config import ModelConfig
from simgrasp.model.detector import Detector
from simgrasp.model.inputs import MODALITIES, height_above_table, stack_channels
from simgrasp.model.losses import LossConfig, Tested, compute_losses, start_at_base_rates
from simgrasp.model.metrics import jaccard_accuracy
from simgrasp.model.network import GraspNet
from simgrasp.model.sample import GraspDataset


TRAINABLE = ("all", "scorer")  # what TrainConfig.trainable may name


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping (paper values where the paper gives them)."""

    iterations: int = setting(1600, POSITIVE_INT)
    """SGD steps (the paper: 100k; 800-1600 reach a plateau on silhouette labels here)."""
    batch_size: int = setting(10, POSITIVE_INT)
    lr: float = setting(1e-3, POSITIVE)
    momentum: float = setting(0.9, Number(lo=0, hi=1, hi_open=True))
    weight_decay: float = setting(1e-4, NON_NEGATIVE)
    seed: int = setting(0, NON_NEGATIVE_INT)
    """Seeds the network's initialisation and every view (numpy generators take no negative seed)."""
    workers: int = setting(1, NON_NEGATIVE_INT)
    """Loader processes preparing batches while the network trains (0: in-process)."""
    val_every: int = setting(200, NON_NEGATIVE_INT)
    """Iterations between validations (0: only at the end)."""
    val_limit: int | None = setting(200, Maybe(POSITIVE_INT))
    """Validation samples used (None: all)."""
    checkpoint_every: int = setting(200, NON_NEGATIVE_INT)
    """Iterations between checkpoints (the last iteration is always saved)."""
    log_every: int = setting(10, POSITIVE_INT)
    """Iterations between loss rows in the metrics log."""
    anchor_limit: int | None = setting(2000, Maybe(POSITIVE_INT))
    """Training samples read to compute the mean anchor box (None: all)."""
    warmup_iterations: int = setting(0, NON_NEGATIVE_INT)
    """Iterations over which the learning rate ramps linearly from ``lr / warmup`` up to
    ``lr`` (0: none; the paper gives none). Eases a from-scratch backbone's first steps."""
    lr_steps: tuple[int, ...] = setting((), Values(POSITIVE_INT))
    """Iterations from which the learning rate is multiplied by ``lr_gamma`` once more
    (a step schedule; empty: constant, as the paper)."""
    lr_gamma: float = setting(0.1, POSITIVE)
    """Factor of each step of ``lr_steps``."""
    scorer_lr_scale: float = setting(1.0, NON_NEGATIVE)
    """Learning rate of the scorer's layers relative to ``lr`` (the paper uses one rate).
    The scorer is a small MLP trained from scratch on 64 grasps per image; at lr 1e-3 its
    loss stays near the base-rate entropy for the ~1600 iterations a CPU session allows."""
    trainable: str = setting("all", Choice(TRAINABLE))
    """What the optimiser updates: ``"all"`` (the paper's joint training) or ``"scorer"``
    (the scorer's layers only, on its own loss, with the feature extractor and the primary
    predictor frozen and their BatchNorm statistics kept: a scorer taught anew on top of a
    trained network, from ``--init``, whose grasps, and so its primary ranking, stay
    exactly as they were)."""
    loss: LossConfig = field(default_factory=LossConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if self.trainable not in TRAINABLE:
            raise ValueError(f"trainable must be one of {TRAINABLE}, got {self.trainable!r}")


def mean_grasp_box(dataset: GraspDataset, input_size: int, limit: int | None = None) -> tuple[float, float]:
    """Mean ``(w, h)`` of the ground truths in network-input pixels (the paper's anchor).
    Reads ``limit`` samples spread evenly over the dataset; a dataset offering
    ``grasps(i)`` (the Jacquard reader) is read without decoding images, assuming all its
    images share the first one's size."""
    n = len(dataset)
    if n == 0:
        raise ValueError("expected a non-empty training set to compute the anchor box")
    idx = np.unique(np.linspace(0, n - 1, min(n, limit or n)).round().astype(int))
    fast = callable(getattr(dataset, "grasps", None))
    side = max(dataset[0].rgb.shape[:2]) if fast else None
    boxes = []
    for i in idx:
        if fast:
            g, s = np.asarray(dataset.grasps(int(i))), side
        else:
            sample = dataset[int(i)]
            g, s = sample.grasps, max(sample.rgb.shape[:2])
        boxes.append(g[:, 3:5] * (input_size / s))
    b = np.concatenate(boxes)
    if len(b) == 0:
        raise ValueError("the training set holds no ground-truth grasp")
    return float(b[:, 0].mean()), float(b[:, 1].mean())


class View(NamedTuple):
    """One augmented training view, all in network-input pixels."""

    image: np.ndarray  # float32 (S, S, C): the channels of simgrasp.model.inputs for the modality
    grasps: np.ndarray  # (G, 5) float32 ground truths [x, y, theta_deg, w, h]
    tested: np.ndarray  # (M, 5) float32 grasps tried in simulation (empty without them)
    tested_success: np.ndarray  # (M,) bool, the outcome of each row of ``tested``


class Batch(NamedTuple):
    """A collated batch of views: per image lists, aligned by index."""

    images: torch.Tensor  # (B, C, S, S) float
    truths: list[np.ndarray]  # B arrays (G_b, 5): the ground truths (Jaccard labels)
    tested: list[np.ndarray]  # B arrays (M_b, 5): grasps tried in simulation, M_b may be 0
    tested_success: list[np.ndarray]  # B arrays (M_b,) bool: their simulated outcomes

    def tried(self) -> list[Tested]:
        """(tested, success) per image, as :func:`simgrasp.model.losses.compute_losses` takes them."""
        return list(zip(self.tested, self.tested_success))


class TrainViews(Dataset):
    """Augmented views of a dataset indexed by their position ``j`` in the run: the image
    (and, for a modality with depth, the height above the table), the ground truths and the
    grasps tried in simulation all go through the same affine map (tried grasps are kept
    even off the image: they then match nothing)."""

    def __init__(self, dataset: GraspDataset, input_size: int, seed: int, cfg: AugmentConfig, modality: str = "rgb") -> None:
        self.dataset, self.input_size, self.seed, self.cfg = dataset, input_size, seed, cfg
        self.modality = MODALITIES.get(modality)
        self.modality_name = modality
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        """The sample order of one epoch (the current and next are kept)."""
        if epoch not in self._perms:
            self._perms = {e: p for e, p in self._perms.items() if e >= epoch - 1}
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(len(self.dataset))
        return self._perms[epoch]

    def __len__(self) -> int:
        return 2**62  # indexed by run position, never iterated to the end

    def __getitem__(self, j: int) -> View:
        epoch, pos = divmod(int(j), len(self.dataset))
        sample = self.dataset[int(self._perm(epoch)[pos])]
        rng = np.random.default_rng([self.seed, 1, int(j)])
        m = random_affine(sample.rgb.shape[:2], self.input_size, rng, self.cfg)
        rgb, grasps, _ = apply_affine(sample.rgb, sample.grasps, m, self.input_size)
        height = None
        if self.modality.depth:
            if sample.depth is None:
                raise ValueError(f"{sample.scene_id}: input {self.modality_name!r} needs depth images; this dataset has none")
            height, _, _ = apply_affine(height_above_table(sample.depth), sample.grasps[:0], m, self.input_size)
        image = stack_channels(rgb, height, self.modality_name)
        return View(image, grasps, transform_grasps(sample.tested, m), sample.tested_success)


def collate(items: list[View]) -> Batch:
    """Stack the inputs into (B, C, S, S); the grasp arrays stay per image."""
    imgs = torch.from_numpy(np.stack([v.image for v in items])).permute(0, 3, 1, 2).contiguous()
    return Batch(imgs, [v.grasps for v in items], [v.tested for v in items], [v.tested_success for v in items])


def freeze_for(model: GraspNet, trainable: str) -> None:
    """Set which parameters learn (``trainable`` one of :data:`TRAINABLE`) and put the
    frozen modules in eval mode, so that their BatchNorm statistics stay as trained. Call
    after every ``model.train()``."""
    if trainable not in TRAINABLE:
        raise ValueError(f"trainable must be one of {TRAINABLE}, got {trainable!r}")
    if trainable == "all":
        return
    for name, module in model.named_children():
        if name != "scorer":
            module.eval()
            module.requires_grad_(False)


def make_optimizer(model: GraspNet, cfg: TrainConfig) -> torch.optim.SGD:
    """SGD with momentum and weight decay; the scorer's layers at ``lr * scorer_lr_scale``."""
    scorer_params = list(model.scorer.parameters())
    scorer_ids = {id(p) for p in scorer_params}
    groups = [
        {"params": [p for p in model.parameters() if id(p) not in scorer_ids], "lr": cfg.lr},
        {"params": scorer_params, "lr": cfg.lr * cfg.scorer_lr_scale},
    ]
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def set_lr(optimizer: torch.optim.SGD, cfg: TrainConfig, iteration: int) -> None:
    """Learning rates of step ``iteration`` (0-based) under ``cfg.warmup_iterations`` and
    ``cfg.lr_steps``; a function of the iteration only, so a resumed run steps as the
    uninterrupted one."""
    factor = min(1.0, (iteration + 1) / max(cfg.warmup_iterations, 1))
    factor *= cfg.lr_gamma ** sum(iteration >= step for step in cfg.lr_steps)
    for group, scale in zip(optimizer.param_groups, (1.0, cfg.scorer_lr_scale)):
        group["lr"] = cfg.lr * scale * factor


LAST = "last.pt"  # the checkpoint a run writes and keeps up to date in its folder


def check_run_folder(out_dir: str | Path, resume: str | Path | None = None) -> Path:
    """The run folder ``out_dir``, created (parents too) and shown writable by writing a
    temporary file in it. A folder already holding a run's ``last.pt`` is refused unless
    ``resume`` is that very file: a new run there would overwrite it."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: expected a run folder, got a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as e:
        raise ValueError(f"{out}: expected a writable run folder, got {type(e).__name__}: {e.strerror or e}") from None
    last = out / LAST
    if last.exists() and (resume is None or Path(resume).resolve() != last.resolve()):
        raise ValueError(
            f"{out} already holds a run ({LAST}); expected a new folder, or resume from {last} to continue that run"
        )
    return out


def resume_point(ckpt: dict[str, Any], where: str, cfg: TrainConfig) -> int:
    """The iteration a run resumed from checkpoint ``ckpt`` (read from ``where``) starts
    at. Refused: a checkpoint without optimizer state (an exported or shipped one, which
    :func:`train` can start from with ``init``) and one already at ``cfg.iterations``."""
    start = int(ckpt["iteration"])
    if ckpt.get("optimizer") is None:
        raise CheckpointError(
            f"{where} holds no optimizer state (an exported checkpoint, at iteration {start}), so a run cannot "
            "continue from it; expected a run's last.pt, or start a new run from its network with --init"
        )
    if start >= cfg.iterations:
        raise ValueError(f"{where} is at iteration {start}; expected --iterations above it, got {cfg.iterations}")
    return start


def _log(path: Path, row: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def train(
    train_set: GraspDataset,
    out_dir: str | Path,
    model_cfg: ModelConfig = ModelConfig(),
    cfg: TrainConfig = TrainConfig(),
    val_set: GraspDataset | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
    init: str | Path | None = None,
) -> Path:
    """Train and return the path of the last checkpoint, ``out_dir/last.pt``. Writes
    ``metrics.jsonl`` (loss rows every ``log_every`` iterations, validation rows) as it
    goes. With ``resume``, the network config and optimiser state come from that
    checkpoint and training continues from its iteration up to ``cfg.iterations``. With
    ``init`` (and no ``resume``), training starts at iteration 0 from that checkpoint's
    network (its config replaces ``model_cfg``) with a fresh optimiser, and the score heads
    keep their trained biases. The folder must be writable and hold no other run
    (:func:`check_run_folder`). Should the loop stop early (unreadable data, an
    interrupt), the iterations done are saved to ``last.pt`` first, and the exception
    carries a note saying so."""
    if resume is not None and init is not None:
        raise ValueError(f"expected one of resume or init, got both ({resume} and {init})")
    out = check_run_folder(out_dir, resume)
    log_path = out / "metrics.jsonl"
    torch.manual_seed(cfg.seed)
    start = 0
    if resume is not None:
        ckpt = read_checkpoint(resume)
        start = resume_point(ckpt, str(resume), cfg)
        model = model_from_checkpoint(ckpt, str(resume))
    elif init is not None:
        model = model_from_checkpoint(read_checkpoint(init), str(init))
    else:
        w, h = mean_grasp_box(train_set, model_cfg.input_size, cfg.anchor_limit)
        model = GraspNet(dataclasses.replace(model_cfg, anchor_w=w, anchor_h=h))
    if cfg.trainable != "all" and resume is None and init is None:
        raise ValueError(f"trainable={cfg.trainable!r} trains on top of a trained network; expected an init checkpoint")
    optimizer = make_optimizer(model, cfg)
    if resume is not None and ckpt.get("optimizer") is not None:
        try:
            optimizer.load_state_dict(ckpt["optimizer"])
        except (ValueError, KeyError) as e:
            raise CheckpointError(f"{resume}: optimizer state does not fit the network: {e}") from None
    train_dict = dataclasses.asdict(cfg)
    start_row = {"event": "start", "iteration": start, "model": model.config.to_dict(), "train": train_dict}
    _log(log_path, {**start_row, **({"init": str(init)} if init is not None and resume is None else {})})

    views = TrainViews(train_set, model.config.input_size, cfg.seed, cfg.augment, model.config.input)
    b = cfg.batch_size
    loader = DataLoader(
        views,
        batch_size=b,
        sampler=range(start * b, cfg.iterations * b),
        num_workers=cfg.workers,
        collate_fn=collate,
        persistent_workers=False,
    )
    metrics: dict[str, Any] = {}
    bar = tqdm(loader, total=cfg.iterations - start, initial=0, disable=not progress, desc="train")
    t0 = time.perf_counter()
    it = start
    saved = start  # the iteration last.pt holds
    try:
        for batch in bar:
            model.train()
            freeze_for(model, cfg.trainable)
            if it == 0 and cfg.loss.scorer_labels == "simulation" and not any(len(t) for t in batch.tested):
                raise ValueError(
                    "scorer_labels='simulation' needs grasps tried in simulation (the generator's _candidates.txt "
                    f"sidecar); the first batch of {len(batch.tested)} images has none"
                )
            if it == 0 and init is None:
                rates = start_at_base_rates(model, batch.images, batch.truths, cfg.loss, batch.tried())
                _log(log_path, {"event": "base_rates", "iteration": 0, **rates})
            losses = compute_losses(model, model(batch.images), batch.truths, cfg.loss, batch.tried())
            if cfg.warmup_iterations > 0 or cfg.lr_steps:
                set_lr(optimizer, cfg, it)
            optimizer.zero_grad(set_to_none=True)
            (losses.total if cfg.trainable == "all" else losses.scorer).backward()
            optimizer.step()
            it += 1
            row = {name: float(getattr(losses, name).detach()) for name in ("primary", "scorer", "regression")}
            bar.set_postfix({k[:4]: f"{v:.3f}" for k, v in row.items()})
            if it % cfg.log_every == 0 or it == cfg.iterations:
                _log(log_path, {"event": "train", "iteration": it, **row, **losses.stats, "elapsed_s": time.perf_counter() - t0})
            last = it == cfg.iterations
            if val_set is not None and ((cfg.val_every and it % cfg.val_every == 0) or last):
                acc = jaccard_accuracy(Detector(model.eval()), val_set, cfg.val_limit)
                metrics = {"val_primary": acc["primary"], "val_scorer": acc["scorer"], "val_n": acc["n"]}
                _log(log_path, {"event": "val", "iteration": it, **metrics})
                bar.write(f"iteration {it}: Jaccard top-1 primary {acc['primary']:.3f}, scorer {acc['scorer']:.3f}")
            if (cfg.checkpoint_every and it % cfg.checkpoint_every == 0) or last:
                save_checkpoint(out / LAST, model, it, optimizer, train_dict, metrics)
                saved = it
    except BaseException as e:  # unreadable data met late, an interrupt: keep the iterations done
        save_on_stop(e, out / LAST, model, it, saved, optimizer, train_dict, metrics)
        raise
    return out / LAST


def save_on_stop(
    error: BaseException,
    path: Path,
    model: torch.nn.Module,
    iteration: int,
    saved: int,
    optimizer: torch.optim.Optimizer,
    train_dict: dict[str, Any],
    metrics: dict[str, Any],
) -> None:
    """When a training loop stopped on ``error`` at ``iteration``, past the iteration its
    checkpoint ``path`` holds (``saved``), save the iterations done there and say so in a
    note on ``error`` (or that the save failed: the first error is the one to report)."""
    if iteration <= saved:
        return
    try:
        save_checkpoint(path, model, iteration, optimizer, train_dict, metrics)
        error.add_note(f"iteration {iteration} is saved in {path}; continue with --resume {path}")
    except Exception as save_error:  # noqa: BLE001 - the first error is the one to report
        error.add_note(f"iteration {iteration} could not be saved: {save_error}")
