"""Checkpoints: a state dict plus the config that rebuilds the network, never a pickled model.

Layout (a dict saved with ``torch.save``, read with ``torch.load(weights_only=True)``)::

    {"format": "simgrasp.graspnet", "version": 1, "family": name, "config": config dict,
     "state_dict": ..., "iteration": int, "optimizer": state dict or None,
     "train_config": dict or None, "metrics": dict}

``family`` names the network family (:mod:`simgrasp.model.contract`) whose config
``config`` is; checkpoints written before families existed have none and hold the paper's
network (a :class:`~simgrasp.model.config.ModelConfig`). Every family's checkpoints share
this layout, so reading, validating and exporting them is written once, here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import torch

from simgrasp.model.config import ModelConfig
from simgrasp.model.families import FAMILY_KEY, PAPER_FAMILY, CheckpointError
from simgrasp.model.network import GraspNet

FORMAT = "simgrasp.graspnet"
VERSION = 1
REQUIRED_KEYS = ("format", "version", "config", "state_dict", "iteration")


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    iteration: int,
    optimizer: torch.optim.Optimizer | None = None,
    train_config: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint of ``model`` (a network of any family: its ``family`` name and
    its ``config``) atomically (a temporary file renamed over ``path``), so an interrupted
    save never leaves a half-written file under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        FAMILY_KEY: model.family,
        "config": model.config.to_dict(),
        "state_dict": model.state_dict(),
        "iteration": int(iteration),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "train_config": train_config,
        "metrics": metrics or {},
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and validate a checkpoint dict; errors say what was expected."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises several types for truncated or foreign files
        # torch's messages run to pages of advice: keep their first sentence
        first = next((line.strip() for line in str(e).splitlines() if line.strip()), "").split(". ")[0]
        raise CheckpointError(
            f"{path}: not a readable checkpoint (expected a torch.save file of a {FORMAT} dict; "
            f"it may be truncated): {type(e).__name__}: {first}"
        ) from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: expected a dict with keys {REQUIRED_KEYS}, got {type(ckpt).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path}: expected keys {REQUIRED_KEYS}, missing {missing}")
    if ckpt["format"] != FORMAT or ckpt["version"] != VERSION:
        raise CheckpointError(
            f"{path}: expected format {FORMAT!r} version {VERSION}, got {ckpt['format']!r} version {ckpt['version']}"
        )
    return ckpt


def model_from_checkpoint(ckpt: dict[str, Any], where: str = "checkpoint") -> GraspNet:
    """Rebuild the paper's network from a checkpoint dict; a checkpoint of another family,
    or a state dict that does not fit the config, raises :class:`CheckpointError` naming both."""
    family = ckpt.get(FAMILY_KEY, PAPER_FAMILY)
    if family != PAPER_FAMILY:
        raise CheckpointError(
            f"{where} holds a {family!r} network; expected the paper's ({PAPER_FAMILY!r}): "
            "load it through simgrasp.model.contract.load_network"
        )
    try:
        config = ModelConfig.from_dict(ckpt["config"])
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{where}: bad model config: {e}") from None
    # Never fetch or load ImageNet weights here: the state dict replaces them anyway.
    model = GraspNet(ModelConfig.from_dict({**config.to_dict(), "pretrained": False}))
    model.config = config
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as e:
        summary = ", ".join(f"{k}={v}" for k, v in config.to_dict().items() if k in ("backbone", "k", "scorer_channels"))
        raise CheckpointError(f"{where}: the weights do not match the network its config describes ({summary}): {e}") from None
    return model


def check_same_network(
    ckpt: dict[str, Any], asked: Mapping[str, tuple[Any, str]], where: str = "checkpoint", config: type = ModelConfig
) -> None:
    """Refuse network settings asked for (field of the ``config`` dataclass, the paper's
    :class:`ModelConfig` unless told -> (value, who asked, e.g. ``"--backbone"``)) that
    differ from the network the checkpoint holds, which is the network a run started from
    it trains: :class:`CheckpointError` naming every difference with both values."""
    try:
        have = config.from_dict(ckpt["config"]).to_dict()  # older checkpoints: defaults filled in
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{where}: bad model config: {e}") from None
    diffs = [f"{who} asks for {key} {value!r}, the checkpoint has {have[key]!r}"
             for key, (value, who) in asked.items() if have.get(key) != value]
    if diffs:
        raise CheckpointError(f"{where} holds another network than asked for: {'; '.join(diffs)} "
                              "(a run started from a checkpoint trains the checkpoint's network)")


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[GraspNet, dict[str, Any]]:
    """The network of a checkpoint file, in eval mode on ``device``, and the checkpoint dict."""
    ckpt = read_checkpoint(path, device)
    model = model_from_checkpoint(ckpt, str(path)).to(device).eval()
    return model, ckpt
