"""Capabilities beside the contract: who offers what, and the one-line refusal of who lacks it."""

from __future__ import annotations

import pytest

from simgrasp.backends.capabilities import Clearing, MissingCapability, Privileged, Recording, offers, require


class Bare:
    """A backend with nothing beyond the contract."""


def test_a_backend_without_a_capability_is_refused_naming_who_what_and_which():
    with pytest.raises(MissingCapability) as e:
        require(Bare(), Clearing, "protocol 'clear'")
    msg = str(e.value)
    assert msg.startswith("protocol 'clear' needs a backend that can clear") and msg.endswith("backend Bare has none")
    assert "\n" not in msg


def test_a_method_lost_since_an_earlier_check_is_seen():
    class Once:
        def keep_going(self):
            return None

    b = Once()
    assert require(b, Clearing, "x") is b
    del Once.keep_going  # isinstance on a runtime-checkable Protocol would still say yes (its cache)
    assert not offers(b, Clearing)


def test_the_sim_backend_offers_every_capability_and_the_fanuc_backend_none():
    pytest.importorskip("pybullet")
    from simgrasp.robots.backend import FanucBackend
    from simgrasp.sim.backend import SimBackend

    assert all(offers(SimBackend, c) for c in (Clearing, Recording, Privileged))
    assert not any(offers(FanucBackend, c) for c in (Clearing, Recording, Privileged))
