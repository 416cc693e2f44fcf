"""Strict overrides of dataclass configs from TOML files, dicts and CLI flags."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, TypeVar

C = TypeVar("C")


def override(cfg: C, values: dict[str, Any], where: str = "config") -> C:
    """A copy of dataclass ``cfg`` with ``values`` applied. Unknown keys raise
    ``ValueError`` naming the valid ones; nested dataclasses take nested dicts."""
    if not dataclasses.is_dataclass(cfg):
        raise TypeError(f"expected a dataclass instance, got {type(cfg).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise ValueError(f"unknown key {key!r} in {where}; valid keys: {', '.join(sorted(fields))}")
        current = getattr(cfg, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            changes[key] = override(current, value, f"{where}.{key}")
        elif isinstance(current, tuple) and isinstance(value, list):
            changes[key] = tuple(value)
        elif isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            changes[key] = float(value)
        else:
            if current is not None and value is not None and type(current) is not type(value):
                raise ValueError(
                    f"{where}.{key} expects {type(current).__name__}, got {type(value).__name__} ({value!r})"
                )
            changes[key] = value
    return dataclasses.replace(cfg, **changes)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, with an error that names the file."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file not found: {p}")
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{p}: not valid TOML: {e}") from None


def load_toml_checked(path: str | Path, valid_keys: set[str] | frozenset[str], error: type[Exception]) -> dict[str, Any]:
    """Read a TOML file whose top-level keys must be among ``valid_keys``; an unreadable
    file or an unknown key raises ``error`` naming the file and the valid keys."""
    p = Path(path)
    try:
        d = load_toml(p)
    except (FileNotFoundError, ValueError) as e:
        raise error(str(e)) from None
    unknown = set(d) - set(valid_keys)
    if unknown:
        raise error(f"{p}: unknown keys {sorted(unknown)}; valid keys: {sorted(valid_keys)}")
    return d


def to_dict(cfg: Any) -> dict[str, Any]:
    """A dataclass config as a plain dict (tuples become lists), for JSON and TOML."""
    return dataclasses.asdict(cfg)
