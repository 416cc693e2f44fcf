"""Rehearsal: a cell to run the real-robot path against before the real cell.

``emulator.RMIEmulator`` is a FANUC RMI controller on loopback (``controller`` its state,
``commands`` its answers, ``fields`` the checks every packet passes); ``twin.TwinCell`` a
PyBullet cell behind it, ``twin_camera`` the camera mounted over it, ``console`` its HTTP
side channel (frames, staging by seed) and ``rig.TwinRig`` all of them on free ports.
``python -m simgrasp.rehearsal`` serves them (``cli``). The RMI client and ``FanucBackend``
(:mod:`simgrasp.robots`) never import this package; only the twin imports the simulator.
"""
