"""A tiny name -> factory registry, used for policies, backends and object sets, and the
one resolver of "a registered name or ``package.module:attr``"."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories. ``@registry.register("name")`` adds one; looking up an
    unknown name raises ``KeyError`` listing the known names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "(none)"
            raise KeyError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def import_attr(ref: str) -> Any:
    """The object ``package.module:attr`` (``attr`` may be dotted) names; ``LookupError``
    naming ``ref`` and the cause when it cannot be imported."""
    module, sep, attr = ref.partition(":")
    if not sep or not module or not attr:
        raise LookupError(f"expected package.module:attr, got {ref!r}")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise LookupError(f"cannot import {ref!r}: {e}") from None
    return obj


def resolve(ref: str, registry: Registry[T]) -> T:
    """``registry``'s entry for a registered name, or the object a ``package.module:attr``
    names; ``KeyError`` (unknown name, listing the known ones) or ``LookupError``."""
    return import_attr(ref) if ":" in ref else registry.get(ref)
