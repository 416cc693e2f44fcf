"""The real cell: a FANUC arm driven over RMI, a fixed top-down RGB camera, calibration.

``backend.FanucBackend`` implements the backend contract; ``rmi`` is the RMI client (with
``rmi_protocol`` for packets and ``errors`` for controller errors), ``camera`` the frame
sources, ``config`` the cell's settings, ``collect`` robot-driven calibration pairs,
``console`` the client of a cell's HTTP side channel. Nothing here imports the simulator,
torch or the policies; the emulator and the digital twin to rehearse against live in
:mod:`simgrasp.rehearsal`.
"""
