"""The names a checkpoint file carries about its network family, and the error of a file
that cannot be used: a leaf, so the checkpoint format, the paper's network and the network
contract all take them from here without importing one another (or torch)."""

from __future__ import annotations

PAPER_FAMILY = "depierre"
"""The family of the paper's network (Depierre et al., ICRA 2021), and of every checkpoint
that names none."""
FAMILY_KEY = "family"
"""The checkpoint key naming the family."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not match its own config."""
