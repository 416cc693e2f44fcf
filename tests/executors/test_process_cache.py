"""ProcessCache: the one heavy object a work unit keeps per process."""

from __future__ import annotations

import pytest

from simgrasp.executors import ProcessCache


class Held:
    def __init__(self, setup):
        self.setup, self.closed = setup, 0

    def close(self) -> None:
        self.closed += 1


def test_built_once_per_setup_and_rebuilt_when_it_changes():
    built = []
    cache = ProcessCache(lambda s: built.append(Held(s)) or built[-1])
    a = cache.get(("objects", 1))
    assert cache.get(("objects", 1)) is a and len(built) == 1
    b = cache.get(("objects", 2))
    assert b is not a and a.closed == 1 and b.closed == 0 and len(built) == 2
    assert cache.held is b


def test_key_limits_what_forces_a_rebuild():
    cache = ProcessCache(Held, key=lambda s: s[:2])
    a = cache.get(("ckpt", "stereo", "cfg-1"))
    assert cache.get(("ckpt", "stereo", "cfg-2")) is a  # only the key's part matters
    assert cache.get(("ckpt", "perfect", "cfg-2")) is not a and a.closed == 1


def test_close_closes_once_and_forgets():
    cache = ProcessCache(Held)
    a = cache.get("s")
    cache.close()
    cache.close()
    assert a.closed == 1 and cache.held is None
    assert cache.get("s") is not a


def test_install_reuses_a_built_object_and_closes_the_one_it_replaces():
    cache = ProcessCache(Held)
    old = cache.get("s")
    given = Held("s")
    cache.install("s", given)
    assert old.closed == 1 and cache.get("s") is given and given.closed == 0
    cache.install("s", given)  # installing the held object again keeps it open
    assert given.closed == 0


def test_a_failing_build_leaves_nothing_held():
    def build(setup):
        raise RuntimeError(f"cannot build {setup}")

    cache = ProcessCache(build)
    with pytest.raises(RuntimeError, match="cannot build s"):
        cache.get("s")
    assert cache.held is None
