"""The backend contract and its registry."""

from simgrasp.backends.base import BACKENDS, Backend, Observation, Outcome, make_backend

__all__ = ["BACKENDS", "Backend", "Observation", "Outcome", "make_backend"]
