"""simgrasp: does the robot hold the object? Grasp networks scored by lift-move-place trials."""

__version__ = "0.1.0"

import simgrasp.env  # noqa: E402,F401  registers simgrasp/TopDownGrasp-v0 (imports gymnasium, not pybullet)
