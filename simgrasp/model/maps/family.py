"""A grasp-map architecture as a family of the network contract: the pieces every such
family shares (loading, the detector, training), around its own config and network."""

from __future__ import annotations

import functools
from typing import Any, Callable

from simgrasp.model.checkpoint import CheckpointError
from simgrasp.model.contract import FAMILY_KEY, PAPER_FAMILY, NetworkFamily
from simgrasp.model.maps.config import MapNetConfig
from simgrasp.model.maps.detector import MapDetector
from simgrasp.model.maps.network import MapNetwork
from simgrasp.model.maps.train import MapTrainConfig, train_maps


def model_from_checkpoint(
    ckpt: dict[str, Any], where: str, family: str, config: type[MapNetConfig], build: Callable[[Any], MapNetwork]
) -> MapNetwork:
    """The ``family`` network a checkpoint dict holds; another family's checkpoint, a bad
    config or weights that do not fit it raise :class:`CheckpointError` saying which."""
    have = ckpt.get(FAMILY_KEY, PAPER_FAMILY)
    if have != family:
        raise CheckpointError(f"{where} holds a {have!r} network; expected a {family!r} one")
    try:
        cfg = config.from_dict(ckpt["config"])
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{where}: bad {family} config: {e}") from None
    model = build(cfg)
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except RuntimeError as e:
        raise CheckpointError(
            f"{where}: the weights do not match the {cfg.describe()} network its config describes: {e}"
        ) from None
    return model


def map_family(
    name: str, summary: str, config: type[MapNetConfig], build: Callable[[Any], MapNetwork]
) -> NetworkFamily:
    """The :class:`NetworkFamily` of a grasp-map architecture ``build`` configured by ``config``."""
    return NetworkFamily(
        name=name,
        summary=summary,
        config=config,
        train_config=MapTrainConfig,
        build=build,
        from_checkpoint=functools.partial(model_from_checkpoint, family=name, config=config, build=build),
        detector=MapDetector,
        train=functools.partial(train_maps, build=build),
    )
