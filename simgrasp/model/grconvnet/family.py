"""The GR-ConvNet family of the network contract."""

from simgrasp.model.grconvnet.config import GRConvNetConfig
from simgrasp.model.grconvnet.network import GRConvNet
from simgrasp.model.maps.family import map_family

FAMILY = map_family(
    "grconvnet",
    "GR-ConvNet (Kumra et al., IROS 2020): 224 px RGB-D in, per-pixel quality, cos 2θ, sin 2θ and "
    "width out; smooth-L1 loss",
    GRConvNetConfig,
    GRConvNet,
)
