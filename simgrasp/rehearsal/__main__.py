"""``python -m simgrasp.rehearsal``: the RMI emulator, with the twin behind it on ``--twin``
(see :mod:`simgrasp.rehearsal.cli`)."""

from simgrasp.rehearsal.cli import main

main()
