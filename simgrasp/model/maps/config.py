"""The fields every grasp-map network's config has: what it reads, its input size and how
its width map and its rectangles are scaled. Each family's config extends this one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from simgrasp.config import POSITIVE, Choice, MultipleOf, override, setting
from simgrasp.model.inputs import MODALITIES


@dataclass(frozen=True)
class MapNetConfig:
    """Architecture-independent settings of a grasp-map network (sizes in pixels of the
    network input)."""

    input: str = setting("depth", Choice(MODALITIES.names))
    """Input modality, a name in ``simgrasp.model.inputs.MODALITIES`` (normalised as the
    released code does: :mod:`simgrasp.model.maps.inputs`)."""
    input_size: int = setting(300, MultipleOf(4))
    """Side of the square network input, and of its four output maps (every body here
    halves it twice; some need more, :attr:`size_multiple`)."""
    width_scale_px: float = setting(150.0, POSITIVE)
    """Opening that the width map's 1.0 stands for (both released codes: 150 px, openings
    clipped there)."""
    jaw_px: float = setting(25.0, POSITIVE)
    """Jaw size ``h`` of the decoded rectangles: the gripper's, not the network's (the maps
    say nothing of it). Training sets it to the mean ``h`` of the training set's ground
    truths, as the paper's network sets its anchor; a detector may be given another."""

    def __post_init__(self) -> None:
        if self.input_size % self.size_multiple:
            raise ValueError(
                f"input_size must be a multiple of {self.size_multiple} for {self.describe()}, got {self.input_size}"
            )

    @property
    def size_multiple(self) -> int:
        """The output maps are as large as the input only for sides that are multiples of this."""
        return 1

    @property
    def channels(self) -> int:
        """Channels of the network input for :attr:`input`."""
        return MODALITIES.get(self.input).channels

    def describe(self) -> str:
        """The network's name as a run prints it."""
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MapNetConfig":
        """Strict: an unknown key or a value out of its range raises, naming it."""
        return override(cls(), dict(d), "model config")
