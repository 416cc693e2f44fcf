"""The real cell: a FANUC arm driven over RMI, a fixed top-down RGB camera, calibration.

``backend.FanucBackend`` implements the backend contract; ``rmi`` is the RMI client (with
``rmi_protocol`` for packets and ``errors`` for controller errors), ``rmi_emulator`` a
loopback controller to test against, ``camera`` the frame sources, ``config`` the cell's
settings, ``collect`` robot-driven calibration pairs, ``console`` a cell's HTTP side channel.
Nothing here imports torch or the policies, and only the digital twin (``twin``,
``twin_camera``, ``twin_serve``: a simulated cell behind the emulator) imports the simulator.
"""
