"""Shared helpers for the simulation tests."""

from __future__ import annotations

import pytest

from simgrasp.geometry import minor_axis_grasp

# Held-out objects checked to be graspable across their short side (seeds 0-2 show 900-902).
GRASPABLE = "random_urdfs:900-902"


@pytest.fixture(name="minor_axis_grasp")
def minor_axis_grasp_fixture():
    """The one minor-axis grasp (a fixture, so test modules need not import it)."""
    return minor_axis_grasp


@pytest.fixture(name="graspable")
def graspable_fixture() -> str:
    return GRASPABLE


@pytest.fixture
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("simgrasp_cache"))
