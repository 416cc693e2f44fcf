"""The network contract: what every grasp-network family gives the layers above it, and the
registry of families that checkpoints name.

A family (the paper's network, GG-CNN, GR-ConvNet) is one folder of the model layer: its
architecture, the training targets and loss of its papers, and its decoding to image
grasps; variants are config. Whatever the family, a loaded network is a
:class:`GraspNetwork`: colour and/or depth images in (the modality its config names; the
network rescales them to its own input size), every grasp it proposes with its scores out,
ranked on request, in the source image's pixels. Policies and the Jaccard metric see this
contract only; the train command goes through :class:`NetworkFamily`.

A checkpoint names its family under ``"family"``; one without (written before families
existed) holds the paper's network. Registration is lazy (names map to ``module:attr``), so
importing the contract loads neither torch nor any family.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

import numpy as np

from simgrasp.geometry import GraspRect
from simgrasp.model.families import FAMILY_KEY, PAPER_FAMILY, CheckpointError
from simgrasp.registry import Registry

if TYPE_CHECKING:
    from torch import nn



class ScoredGrasps(Protocol):
    """Every grasp a network proposes for one image: ``grasps`` (N, 5) rows ``[x, y,
    theta_deg, w, h]`` in the source image's pixels, with one or more scores each."""

    grasps: np.ndarray

    def scores(self, score: str) -> np.ndarray:
        """The (N,) values of the score named ``score`` (higher is better)."""
        ...

    def ranked(self, score: str, image_size: tuple[int, int] | None = None, top_k: int | None = None) -> np.ndarray:
        """Indices of the grasps, best first by ``score``; with ``image_size = (width,
        height)`` only grasps executable in that image; ``top_k`` keeps the best only."""
        ...


class GraspNetwork(Protocol):
    """A loaded network of any family, ready to propose grasps (see the module docstring)."""

    family: str
    """The family's registered name."""
    score_kinds: tuple[str, ...]
    """The scores it ranks by, its default first (the paper's: scorer, primary)."""

    @property
    def needs_depth(self) -> bool:
        """Whether it reads a depth image (H, W) in metres with each colour image."""
        ...

    @property
    def modality(self) -> str:
        """Its input modality, a name of :data:`simgrasp.model.inputs.MODALITIES`."""
        ...

    @property
    def ranking_info(self) -> dict[str, Any]:
        """Settings of its ranking that a trial's log row records."""
        ...

    def predict(
        self, images: np.ndarray | Sequence[np.ndarray], depths: np.ndarray | Sequence[np.ndarray] | None = None
    ) -> Sequence[ScoredGrasps]:
        """Every grasp of every uint8 (H, W, 3) image; ``depths`` one (H, W) image in
        metres per image when :attr:`needs_depth`, ignored otherwise."""
        ...

    def predict_samples(self, samples: Sequence[Any]) -> Sequence[ScoredGrasps]:
        """:meth:`predict` on dataset samples (anything with ``rgb`` and ``depth``)."""
        ...

    def detect(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        score: str = ...,
        top_k: int | None = None,
        depths: np.ndarray | Sequence[np.ndarray] | None = None,
    ) -> list[list[tuple[GraspRect, float]]]:
        """Grasps of each image best first as ``(GraspRect, score value)``."""
        ...


@dataclass(frozen=True)
class NetworkFamily:
    """What the model layer knows of one family: how to configure, build, load, wrap and
    train its network. ``config`` and ``train_config`` are dataclasses whose fields declare
    their ranges (:mod:`simgrasp.config`); ``config.from_dict`` is strict."""

    name: str
    summary: str
    """One line: the paper and what the network reads and outputs."""
    config: type
    """The architecture's config (saved in checkpoints)."""
    train_config: type
    """The training schedule's config."""
    build: Callable[[Any], "nn.Module"]
    """The network of a config, randomly initialised."""
    from_checkpoint: Callable[[dict[str, Any], str], "nn.Module"]
    """The network of a checkpoint dict (second argument: where it came from, for errors)."""
    detector: Callable[..., GraspNetwork]
    """Wraps a network into a :class:`GraspNetwork`; keyword options are the family's."""
    train: Callable[..., Path]
    """``train(train_set, out_dir, model_cfg, cfg, val_set=None, resume=None, progress=True,
    init=None) -> last checkpoint``."""


FAMILIES: Registry[str] = Registry("network family")
FAMILIES.register(PAPER_FAMILY)("simgrasp.model.paper:FAMILY")
FAMILIES.register("ggcnn")("simgrasp.model.ggcnn.family:FAMILY")
FAMILIES.register("grconvnet")("simgrasp.model.grconvnet.family:FAMILY")


def get_family(name: str) -> NetworkFamily:
    """The registered family ``name`` (its module loads now); KeyError lists the known ones."""
    module, _, attr = FAMILIES.get(name).partition(":")
    return getattr(importlib.import_module(module), attr)


def checkpoint_family(ckpt: Mapping[str, Any], where: str = "checkpoint") -> NetworkFamily:
    """The family a checkpoint dict names (the paper's when it names none)."""
    name = ckpt.get(FAMILY_KEY, PAPER_FAMILY)
    if not isinstance(name, str) or name not in FAMILIES:
        raise CheckpointError(f"{where}: names network family {name!r}; expected one of {', '.join(FAMILIES.names())}")
    return get_family(name)


def load_family_model(path: str | Path, device: str = "cpu") -> tuple[NetworkFamily, "nn.Module", dict[str, Any]]:
    """The family, the network (eval mode, on ``device``) and the dict of a checkpoint
    file; a file that cannot be read or does not fit its config raises
    :class:`~simgrasp.model.checkpoint.CheckpointError` (FileNotFoundError when absent)."""
    from simgrasp.model.checkpoint import read_checkpoint

    ckpt = read_checkpoint(path, device)
    family = checkpoint_family(ckpt, str(path))
    model = family.from_checkpoint(ckpt, str(path)).to(device).eval()
    return family, model, ckpt


def load_network(path: str | Path, device: str = "cpu", **options: Any) -> GraspNetwork:
    """The network of a checkpoint file, whatever its family, behind the contract;
    ``options`` go to the family's detector (the paper's: ``scorer_candidates``,
    ``batch_size``; the map families': ``decode``, ``jaw_px``, ``batch_size``)."""
    family, model, _ = load_family_model(path, device)
    return family.detector(model, **options)
