"""The GG-CNN family's configuration: everything needed to rebuild a network from a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

from simgrasp.config import POSITIVE_INT, Choice, Values, setting
from simgrasp.model.maps.config import MapNetConfig

VARIANTS = ("ggcnn2", "ggcnn")
"""``ggcnn2``: the IJRR 2020 network (``models/ggcnn2.py``); ``ggcnn``: the RSS 2018 one
(``models/ggcnn.py``, fixed layer sizes)."""


@dataclass(frozen=True)
class GGCNNConfig(MapNetConfig):
    """GG-CNN or GG-CNN2 (sizes in pixels of the network input). Defaults: the released
    GG-CNN2 on 300 px depth."""

    variant: str = setting("ggcnn2", Choice(VARIANTS))
    """Which network, a name in :data:`VARIANTS`."""
    filters: tuple[int, ...] = setting((16, 16, 32, 16), Values(POSITIVE_INT, lengths=(4,)))
    """GG-CNN2's filters: its first two pairs of convolutions, its dilated pair and its
    transposed pair (``filter_sizes`` of the released constructor)."""
    dilated_kernel: int = setting(5, POSITIVE_INT)
    """Kernel of GG-CNN2's dilated convolutions (``l3_k_size``)."""
    dilations: tuple[int, ...] = setting((2, 4), Values(POSITIVE_INT, lengths=(2,)))
    """Dilations of GG-CNN2's two dilated convolutions."""

    def __post_init__(self) -> None:
        if self.variant != "ggcnn2" and (self.filters, self.dilated_kernel, self.dilations) != (
            GGCNNConfig.filters, GGCNNConfig.dilated_kernel, GGCNNConfig.dilations
        ):
            raise ValueError(
                "filters, dilated_kernel and dilations shape GG-CNN2 only; variant 'ggcnn' has fixed sizes"
            )
        if self.dilated_kernel % 2 == 0:
            raise ValueError(f"dilated_kernel must be odd (the map keeps its size), got {self.dilated_kernel}")
        super().__post_init__()

    @property
    def size_multiple(self) -> int:
        """GG-CNN2 halves the map twice (4); GG-CNN's strides 3, 2, 2 need 12 (300 is one)."""
        return 4 if self.variant == "ggcnn2" else 12

    def describe(self) -> str:
        return self.variant
