"""simgrasp: does the robot hold the object? Grasp networks scored by lift-move-place trials."""

__version__ = "0.1.0"

from simgrasp import _gym_hook  # noqa: E402

# simgrasp/TopDownGrasp-v0 is registered with Gymnasium as soon as Gymnasium is loaded,
# without loading it here: the pure layers stay free of it.
_gym_hook.install()
