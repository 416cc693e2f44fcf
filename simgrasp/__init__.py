"""simgrasp: does the robot hold the object? Grasp networks scored by lift-move-place trials."""

__version__ = "0.1.0"
