"""Policy tests render their scenes with the evaluation tests' pure-numpy fake backend."""

import sys
from pathlib import Path

import pytest

FAKE_DIR = Path(__file__).resolve().parents[1] / "evaluation"
if str(FAKE_DIR) not in sys.path:
    sys.path.insert(0, str(FAKE_DIR))


@pytest.fixture
def scene():
    """``scene(seed, depth=True) -> (observation, backend)`` on the fake backend."""
    from fake_backend import FakeBackend

    def make(seed: int, depth: bool = True, size_px: int = 128):
        backend = FakeBackend(size_px=size_px, depth=depth)
        obs, _ = backend.reset(seed)
        return obs, backend

    return make
