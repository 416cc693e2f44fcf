"""Strict overrides of dataclass configs from TOML files, dicts and CLI flags, and the
ranges their fields declare.

Every field of a config dataclass declares the values it takes with :func:`setting`
(``width: int = setting(320, POSITIVE_INT)``): a :class:`Number` range, a
:class:`Choice`, :class:`Text`, :data:`FLAG`, a :class:`Values` sequence, a
:class:`Parsed` format, or :class:`Maybe` of one of those. :func:`override` (and so every
config read from TOML) refuses a value outside its field's range with a
:class:`ConfigError` naming the field by its path, the range and the value:
``gripper.max_opening_m must be > 0, got -0.1``."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, TypeVar

C = TypeVar("C")

RANGE = "range"  # the metadata key of a field's declared range


class ConfigError(ValueError):
    """A config value that cannot be used: an unknown key, a wrong type or a value out of
    its field's range. ``detail`` is the message without ``where`` (the file or the caller
    that supplied the values)."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}" if where else detail)
        self.where, self.detail = where, detail


class Rule(Protocol):
    """What values a field takes."""

    def problem(self, value: Any) -> str | None:
        """Why ``value`` breaks the rule (``"must be > 0"``), or None when it fits."""
        ...


def _num(x: float) -> str:
    return f"{x:g}"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass(frozen=True)
class Number:
    """A finite int or float between ``lo`` and ``hi`` (None: unbounded on that side),
    each end included unless ``lo_open`` / ``hi_open``; ``integer``: ints only."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def bounds(self) -> str:
        """The range alone: ``> 0``, ``in [0, 1]``, or "" when unbounded."""
        if self.lo is not None and self.hi is not None:
            return f"in {'(' if self.lo_open else '['}{_num(self.lo)}, {_num(self.hi)}{')' if self.hi_open else ']'}"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '>='} {_num(self.lo)}"
        if self.hi is not None:
            return f"{'<' if self.hi_open else '<='} {_num(self.hi)}"
        return ""

    def describe(self) -> str:
        """The range as a phrase: ``> 0``, ``an int >= 1``, ``finite``."""
        if self.integer:
            return f"an int {self.bounds()}".rstrip()
        return self.bounds() or "finite"

    def problem(self, value: Any) -> str | None:
        if self.integer and not (_is_number(value) and isinstance(value, int)):
            return f"must be {self.describe()}"
        if not _is_number(value):
            return f"must be a number {self.bounds()}".rstrip()
        if not math.isfinite(value):
            return f"must be finite and {self.bounds()}" if self.bounds() else "must be finite"
        below = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        above = self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi)
        return f"must be {self.describe()}" if below or above else None


FINITE = Number()
POSITIVE = Number(lo=0, lo_open=True)
NON_NEGATIVE = Number(lo=0)
FRACTION = Number(lo=0, hi=1)  # a probability or a share, both ends included
POSITIVE_INT = Number(lo=1, integer=True)
NON_NEGATIVE_INT = Number(lo=0, integer=True)
INT = Number(integer=True)


def between(lo: float, hi: float, integer: bool = False) -> Number:
    """A number in ``[lo, hi]``."""
    return Number(lo=lo, hi=hi, integer=integer)


@dataclass(frozen=True)
class MultipleOf:
    """A positive int that ``step`` divides (an image side a network's stride must divide)."""

    step: int

    def describe(self) -> str:
        return f"a positive multiple of {self.step}"

    def problem(self, value: Any) -> str | None:
        ok = POSITIVE_INT.problem(value) is None and value % self.step == 0
        return None if ok else f"must be {self.describe()}"


@dataclass(frozen=True)
class Choice:
    """One of ``options``: the names themselves, or a function giving them (a registry
    read when a value is checked, so the config module need not import it)."""

    options: tuple[str, ...] | Callable[[], Iterable[str]]

    def names(self) -> list[str]:
        return list(self.options() if callable(self.options) else self.options)

    def describe(self) -> str:
        return f"one of {', '.join(self.names())}"

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) and value in self.names() else f"must be {self.describe()}"


@dataclass(frozen=True)
class Text:
    """Any string (``nonempty``: with something in it)."""

    nonempty: bool = False

    def describe(self) -> str:
        return "a non-empty string" if self.nonempty else "a string"

    def problem(self, value: Any) -> str | None:
        ok = isinstance(value, str) and (bool(value.strip()) or not self.nonempty)
        return None if ok else f"must be {self.describe()}"


@dataclass(frozen=True)
class Flag:
    """True or false."""

    def describe(self) -> str:
        return "true or false"

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else "must be true or false"


FLAG = Flag()
TEXT = Text()
NAME = Text(nonempty=True)


@dataclass(frozen=True)
class Parsed:
    """A string that ``parse`` accepts (it raises ValueError otherwise); ``what`` says
    which strings, for the message. The parser is the format's one home."""

    parse: Callable[[str], Any]
    what: str

    def describe(self) -> str:
        return self.what

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            try:
                self.parse(value)
                return None
            except ValueError:
                pass
        return f"must be {self.what}"


@dataclass(frozen=True)
class Values:
    """A list of values, each taking ``item``. ``lengths``: the counts allowed (None:
    any; ``min_length`` at least); ``order``: ``"<="`` or ``"<"`` for a ``(low, high)``
    range whose low end stays below its high end."""

    item: Number | Choice | Text
    lengths: tuple[int, ...] | None = None
    min_length: int = 0
    order: str | None = None

    def describe(self) -> str:
        if self.order is not None:
            return f"a (low, high) range with low {self.order} high, each {self.item.describe()}"
        if isinstance(self.item, Choice):
            return f"among {', '.join(self.item.names())}"
        if self.lengths is not None:
            return f"{' or '.join(map(str, self.lengths))} values, each {self.item.describe()}"
        return f"a list of values, each {self.item.describe()}"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, (list, tuple)):
            return f"must be {self.describe()}"
        if len(value) < self.min_length:
            return f"must hold at least {self.min_length} of {', '.join(self.item.names())}" if isinstance(
                self.item, Choice
            ) else f"must hold at least {self.min_length} values"
        if self.lengths is not None and len(value) not in self.lengths:
            return f"must be {self.describe()}"
        if any(self.item.problem(v) for v in value):
            return f"must be {self.describe()}"
        if self.order is not None and not (value[0] < value[1] if self.order == "<" else value[0] <= value[1]):
            return f"must be {self.describe()}"
        return None


def pair(item: Number, order: str = "<=") -> Values:
    """A ``(low, high)`` range of two values, each taking ``item``."""
    return Values(item, lengths=(2,), order=order)


@dataclass(frozen=True)
class Maybe:
    """None, or a value that ``rule`` takes."""

    rule: Rule

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None
        why = self.rule.problem(value)
        return None if why is None else f"{why} (or None)"


def setting(default: Any = dataclasses.MISSING, rule: Rule | None = None, *,
            factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field with a default (or a ``factory``) and the range ``rule`` its
    values must fit: ``max_opening_m: float = setting(0.10, POSITIVE)``."""
    if rule is None:
        raise TypeError("setting() needs the field's rule, e.g. setting(0.1, POSITIVE)")
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={RANGE: rule})
    return dataclasses.field(default=default, metadata={RANGE: rule})


def field_rule(f: dataclasses.Field) -> Rule | None:
    """The range a dataclass field declares, or None."""
    return f.metadata.get(RANGE)


def check_value(f: dataclasses.Field, value: Any, path: str, where: str = "") -> None:
    """ConfigError when ``value`` is outside the range field ``f`` declares; ``path``
    names the field (``gripper.max_opening_m``)."""
    rule = field_rule(f)
    why = rule.problem(value) if rule is not None else None
    if why is not None:
        raise ConfigError(where, f"{path} {why}, got {value!r}")


def check_config(cfg: Any, where: str = "", prefix: str = "") -> Any:
    """``cfg`` itself when every field of it and of its nested configs lies in its
    declared range; else ConfigError naming the first field that does not."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            check_config(value, where, f"{path}.")
        else:
            check_value(f, value, path, where)
    return cfg


def override(cfg: C, values: dict[str, Any], where: str = "config") -> C:
    """A copy of dataclass ``cfg`` with ``values`` applied. Unknown keys, values of the
    wrong type and values outside a field's declared range raise :class:`ConfigError`
    (a ValueError) naming the field; nested dataclasses take nested dicts."""
    return _override(cfg, values, where, "")


def _override(cfg: C, values: dict[str, Any], where: str, prefix: str) -> C:
    if not dataclasses.is_dataclass(cfg):
        raise TypeError(f"expected a dataclass instance, got {type(cfg).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    section = f"{where}.{prefix[:-1]}" if prefix else where
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError("", f"unknown key {key!r} in {section}; valid keys: {', '.join(sorted(fields))}")
        current = getattr(cfg, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            changes[key] = _override(current, value, where, f"{prefix}{key}.")
            continue
        if isinstance(current, tuple) and isinstance(value, list):
            new: Any = tuple(value)
        elif isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            new = float(value)
        else:
            if current is not None and value is not None and type(current) is not type(value):
                raise ConfigError(
                    "", f"{section}.{key} expects {type(current).__name__}, got {type(value).__name__} ({value!r})"
                )
            new = value
        check_value(fields[key], value, f"{prefix}{key}", where)
        changes[key] = new
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

