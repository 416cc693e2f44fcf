"""The simulated cell: PyBullet worlds (one BulletClient each), object specs and library,
the parallel-plate gripper, scenes with a top-down camera, the lift-move-place trial and
``SimBackend``. Importing this package imports nothing heavy; its modules import PyBullet."""
