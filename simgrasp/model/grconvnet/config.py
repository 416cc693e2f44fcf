"""The GR-ConvNet family's configuration: everything needed to rebuild a network from a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

from simgrasp.config import FRACTION, POSITIVE_INT, Choice, MultipleOf, setting
from simgrasp.model.inputs import MODALITIES
from simgrasp.model.maps.config import MapNetConfig


@dataclass(frozen=True)
class GRConvNetConfig(MapNetConfig):
    """GR-ConvNet (the released ``grconvnet3``; sizes in pixels of the network input).
    Defaults: the published network, 32 channels on 224 px RGB-D."""

    input: str = setting("rgbd", Choice(MODALITIES.names))
    """Input modality (published: ``rgbd``; ``depth`` and ``rgb`` as its ``--use-rgb`` and
    ``--use-depth`` flags allow)."""
    input_size: int = setting(224, MultipleOf(4))
    """Side of the square network input (published: 224)."""
    channel_size: int = setting(32, POSITIVE_INT)
    """Channels of the first convolution; the body widens to 2x and 4x of it (published:
    32, 1.90 M parameters on RGB-D; 16 gives 0.48 M)."""
    dropout: float = setting(0.0, FRACTION)
    """Dropout before each head (the released Jacquard networks: 0, ``drop0``; its training
    script's default: 0.1)."""
    residual_blocks: int = setting(5, POSITIVE_INT)
    """Residual blocks at a quarter of the input side (published: 5)."""

    def __post_init__(self) -> None:
        if not self.dropout < 1:
            raise ValueError(f"dropout must be below 1, got {self.dropout}")
        super().__post_init__()

    @property
    def size_multiple(self) -> int:
        """The body halves the map twice."""
        return 4

    def describe(self) -> str:
        return f"grconvnet-{self.channel_size}"
