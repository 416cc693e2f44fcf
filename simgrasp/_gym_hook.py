"""Register the Gymnasium envs without importing Gymnasium.

``import simgrasp`` must leave the pure layers light (``import simgrasp.geometry`` loads
numpy only), yet ``gym.make("simgrasp/TopDownGrasp-v0")`` must work after it, whichever
of the two was imported first. So: if Gymnasium is already loaded, register now; if not,
a one-shot import hook registers the envs right after Gymnasium itself finishes loading,
then removes itself. Nothing else is imported early."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Sequence


def _register() -> None:
    from simgrasp.env import register_envs

    register_envs()


class _RegisteringLoader(importlib.abc.Loader):
    """Gymnasium's own loader, then the registration."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _register()


class GymnasiumHook(importlib.abc.MetaPathFinder):
    """Finds nothing itself; on the first import of ``gymnasium`` it wraps the real loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "gymnasium":
            return None
        uninstall()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


def install() -> None:
    """Register now if Gymnasium is loaded, else when it is (idempotent)."""
    if "gymnasium" in sys.modules:
        _register()
    elif not any(isinstance(f, GymnasiumHook) for f in sys.meta_path):
        sys.meta_path.insert(0, GymnasiumHook())


def uninstall() -> None:
    """Remove the hook (it is one-shot)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, GymnasiumHook)]


