"""The simulated cell: PyBullet worlds (one BulletClient each), object specs and library,
the parallel-plate gripper, scenes with a top-down camera, the lift-move-place trial and
``SimBackend``. Importing this package imports nothing heavy; its modules import PyBullet."""

#: The held-out object spec: random_urdfs 900-999, never used in training or validation.
#: Every default that means "held-out objects" names this constant.
HELD_OUT_OBJECTS = "random_urdfs:900-999"
