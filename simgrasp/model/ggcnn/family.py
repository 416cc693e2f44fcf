"""The GG-CNN family of the network contract."""

from simgrasp.model.ggcnn.config import GGCNNConfig
from simgrasp.model.ggcnn.network import GGCNN
from simgrasp.model.maps.family import map_family

FAMILY = map_family(
    "ggcnn",
    "GG-CNN2 (Morrison et al., IJRR 2020) or GG-CNN (RSS 2018): 300 px depth in, per-pixel quality, "
    "cos 2θ, sin 2θ and width out; squared-error loss",
    GGCNNConfig,
    GGCNN,
)
