"""Policy cards and how ``--policy`` names turn into policies.

A card is a TOML file in the repository's ``policies/`` folder (or anywhere, given by
path)::

    name = "scorer"
    implementation = "scorer"              # a registered name or "package.module:attr"
    checkpoint = "assets/weights/default.pt"
    description = "..."
    [options]                              # keyword arguments of the implementation

A relative checkpoint is looked up next to the card, then from the repository root; never
from the working directory. A :class:`PolicySpec` is the resolved, picklable recipe that
each worker process turns into a policy with :func:`build_policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgrasp.config import load_toml_checked
from simgrasp.policies.base import POLICIES, Policy
from simgrasp.registry import import_attr

REPO_ROOT = Path(__file__).resolve().parents[2]  # simgrasp/policies/cards.py -> the repository
CARDS_DIR = REPO_ROOT / "policies"
_CARD_KEYS = {"name", "implementation", "checkpoint", "description", "options"}


class PolicyError(Exception):
    """A policy cannot be found or built; the message is one line meant for the user."""


@dataclass(frozen=True, eq=True)
class PolicySpec:
    """What a worker needs to build a policy: ``label`` names it in results;
    ``implementation`` is a registered name or ``package.module:attr``; ``checkpoint`` an
    absolute path or None; ``options`` keyword arguments; ``source`` where it came from."""

    label: str
    implementation: str
    checkpoint: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "implementation": self.implementation,
            "checkpoint": self.checkpoint,
            "options": dict(self.options),
            "source": self.source,
        }


def shown(path: str | Path) -> str:
    """A path as the user should read it: relative to the repository when inside it."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(REPO_ROOT))
    except ValueError:
        return str(p)


def card_names(cards_dir: Path = CARDS_DIR) -> list[str]:
    """Names of the cards shipped in ``cards_dir``."""
    return sorted(p.stem for p in cards_dir.glob("*.toml")) if cards_dir.is_dir() else []


def known_policies() -> list[str]:
    """Every name ``--policy`` accepts without a path: cards and registered policies."""
    return sorted(set(card_names()) | set(POLICIES.names()))


def resolve_checkpoint(value: str, card_path: Path) -> Path:
    """The checkpoint file a card names: absolute as written, else next to the card, else
    from the repository root. Returns the first existing one (or the card-relative path
    when none exists, for the error message)."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p
    candidates = [card_path.parent / p, REPO_ROOT / p]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    return candidates[-1] if card_path.parent.resolve() == CARDS_DIR.resolve() else candidates[0]


def load_card(path: str | Path) -> PolicySpec:
    """Read a policy card into a spec (the checkpoint path made absolute)."""
    p = Path(path)
    card = load_toml_checked(p, _CARD_KEYS, PolicyError)
    if "implementation" not in card:
        raise PolicyError(f"{p}: a policy card needs an 'implementation' (registered name or package.module:attr)")
    checkpoint = card.get("checkpoint")
    ckpt = str(resolve_checkpoint(checkpoint, p.resolve())) if checkpoint else None
    return PolicySpec(
        label=str(card.get("name", p.stem)),
        implementation=str(card["implementation"]),
        checkpoint=ckpt,
        options=dict(card.get("options", {})),
        source=str(p),
    )


def resolve_policy(ref: str) -> PolicySpec:
    """Turn a ``--policy`` value into a spec: a card file path, ``package.module:attr``,
    the name of a shipped card, or a registered name (in that order). Checks that a
    named checkpoint exists, so a missing file fails before any trial."""
    ref = ref.strip()
    if not ref:
        raise PolicyError(f"empty policy name; known: {', '.join(known_policies())}")
    if ref.endswith(".toml"):
        spec = load_card(ref)
    elif ":" in ref:
        spec = PolicySpec(label=ref, implementation=ref, source="import")
    elif (CARDS_DIR / f"{ref}.toml").is_file():
        spec = load_card(CARDS_DIR / f"{ref}.toml")
    elif ref in POLICIES:
        spec = PolicySpec(label=ref, implementation=ref, source="registry")
    else:
        raise PolicyError(f"unknown policy {ref!r}; known: {', '.join(known_policies())} (or package.module:attr)")
    if spec.checkpoint is not None and not Path(spec.checkpoint).is_file():
        raise PolicyError(
            f"checkpoint not found for policy {spec.label!r}: {shown(spec.checkpoint)} "
            f"(named by {shown(spec.source)}); train weights first or choose another policy"
        )
    return spec


def _import_attr(ref: str) -> Any:
    try:
        return import_attr(ref)
    except LookupError as e:
        raise PolicyError(f"cannot import policy {ref!r}: {e}") from None


def build_policy(spec: PolicySpec) -> Policy:
    """Instantiate the policy a spec describes (in the process that will use it)."""
    if ":" in spec.implementation:
        factory = _import_attr(spec.implementation)
    elif spec.implementation in POLICIES:
        factory = POLICIES.get(spec.implementation)
    else:
        raise PolicyError(
            f"policy {spec.label!r} names implementation {spec.implementation!r}, which is not registered; "
            f"registered: {', '.join(POLICIES.names())}"
        )
    kwargs = dict(spec.options)
    if spec.checkpoint is not None:
        kwargs["checkpoint"] = spec.checkpoint
    if hasattr(factory, "act") and not isinstance(factory, type):
        if kwargs:
            raise PolicyError(f"policy {spec.label!r} is an instance and takes no options, got {sorted(kwargs)}")
        policy = factory
    else:
        try:
            policy = factory(**kwargs)
        except PolicyError:
            raise
        except Exception as e:  # a bad option or an unreadable checkpoint: one line, no traceback
            raise PolicyError(f"cannot build policy {spec.label!r}: {type(e).__name__}: {e}") from None
    if not callable(getattr(policy, "act", None)):
        raise PolicyError(f"policy {spec.label!r} built a {type(policy).__name__}, which has no act(observation, rng)")
    return policy
