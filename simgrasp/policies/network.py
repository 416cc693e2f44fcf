"""Grasp networks as policies, any family through the network contract
(:mod:`simgrasp.model.contract`): ``scorer`` (the paper's choice) and ``primary`` (the Zhou
et al. baseline), two ways of ranking the paper's network's 20 x 20 x k predictions, and
``network``, which ranks any family's grasps by its own default score (GG-CNN2's and
GR-ConvNet's: the quality at the grasp)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simgrasp.backends.base import COLOR, DEPTH, PINHOLE, Observation
from simgrasp.geometry import GraspRect
from simgrasp.geometry.clearance import JawSpec, executable_grasps
from simgrasp.model.inputs import MODALITIES
from simgrasp.policies.base import Decision, register_policy
from simgrasp.registry import import_attr


class NetworkPolicy:
    """Runs the checkpoint's network on the observation (the colour image, and the depth
    image when the network reads depth) and takes its best grasp (the same ranking as
    ``detect(..., score=score)`` of the contract, restricted to grasps inside the image).

    ``checkpoint``: a file written by the model's training (state_dict plus config, of any
    family); ``score``: one of the network's ``score_kinds``, None its default (the paper's
    network: ``"scorer"`` ranks by the scorer's success probability, ``"primary"`` by the
    primary head's score; the grasp-map networks: ``"quality"``); ``network_options`` go to
    the family's detector (the paper's: ``scorer_candidates``, 0 lets the scorer rank all 20
    x 20 x k grasps, the paper's test-time rule, N only the N best by primary score, the
    grasps it is trained on; the grasp-map networks': ``decode``, a dict of
    :class:`~simgrasp.model.maps.decode.DecodeConfig` fields, and ``jaw_px``, the jaw size
    in the observation's pixels); ``keep_candidates``: how many ranked candidates to keep in the
    decision for the trial log (grasps in the observation's pixels); ``max_opening_m``: the
    gripper's largest opening in metres (a fact of the hardware, in the policy card): when
    set, grasps whose opening, mapped through the observation's camera, is wider are passed
    over, since a gripper cannot open to them (None: no such limit); ``jaws``: the gripper's
    plates (a :class:`~simgrasp.geometry.clearance.JawSpec` or a dict of its fields, None:
    no check): when given, grasps whose plates would come down on something seen in the
    depth image are passed over (:func:`~simgrasp.geometry.clearance.jaw_clearance`). Both
    filters keep the ranking; when no grasp passes, the best-ranked grasp is taken as it is
    and the trial shows why."""

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        score: str | None = None,
        keep_candidates: int = 5,
        max_opening_m: float | None = None,
        jaws: JawSpec | dict[str, Any] | None = None,
        network: str | None = None,
        **network_options: Any,
    ):
        if max_opening_m is not None and not max_opening_m > 0:
            raise ValueError(f"max_opening_m must be a positive number of metres or None, got {max_opening_m!r}")
        if isinstance(jaws, dict):
            unknown = set(jaws) - set(JawSpec.__dataclass_fields__)
            if unknown:
                raise ValueError(
                    f"jaws: unknown field(s) {sorted(unknown)}; expected some of {sorted(JawSpec.__dataclass_fields__)}"
                )
            jaws = JawSpec(**{"max_opening_m": max_opening_m, **jaws})
        if jaws is not None and not isinstance(jaws, JawSpec):
            raise ValueError(f"jaws must be a JawSpec, a dict of its fields or None, got {type(jaws).__name__}")
        self.jaws = jaws
        self.detector = _network(checkpoint, network, network_options)
        self.score = self.detector.score_kinds[0] if score is None else score
        if self.score not in self.detector.score_kinds:
            kinds = ", ".join(self.detector.score_kinds)
            raise ValueError(f"score must be one of {kinds} for a {self.detector.family} network, got {score!r}")
        self.keep_candidates = int(keep_candidates)
        self.max_opening_m = None if max_opening_m is None else float(max_opening_m)

    @property
    def reads(self) -> dict[str, str]:
        """What the camera must give, and why: what the checkpoint's network reads (its
        config's ``input``) and, with ``jaws``, the depth image and a pinhole camera the
        plate check projects the plates with."""
        name = self.detector.modality
        modality = MODALITIES.get(name)
        why: dict[str, list[str]] = {}
        for stream, needed in ((COLOR, modality.rgb), (DEPTH, modality.depth)):
            if needed:
                why.setdefault(stream, []).append(f"network input {name!r}")
        if self.jaws is not None:
            for stream in (DEPTH, PINHOLE):
                why.setdefault(stream, []).append("plate check")
        return {s: " and ".join(w) for s, w in why.items()}

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        h, w = observation.rgb.shape[:2]
        depth = None
        if self.detector.needs_depth:
            if observation.depth is None:
                raise ValueError(
                    f"the network reads input {self.detector.modality!r} but the observation has no depth image"
                )
            depth = [observation.depth]
        pred = self.detector.predict([observation.rgb], depth)[0]
        # Only grasps the camera can map are candidates; building rectangles for the kept
        # few only spares ~10 ms per trial over detect().
        keep = max(1, self.keep_candidates)
        filtered = self.max_opening_m is not None or self.jaws is not None
        order = pred.ranked(self.score, (w, h), None if filtered else keep)
        if order.size == 0:
            raise ValueError(f"the detector returned no grasp inside the {w}x{h} image (score={self.score!r})")
        info: dict[str, Any] = {"score_kind": self.score, **self.detector.ranking_info}
        if filtered:
            order, passed = self._executable(order, pred.grasps, observation, keep)
            info.update(passed)
        scores = pred.scores(self.score)
        candidates = tuple((GraspRect.from_array(pred.grasps[j]), float(scores[j])) for j in order[:keep])
        best, value = candidates[0]
        info["score"] = value
        return Decision(best, candidates, info=info)

    def _executable(
        self, order: np.ndarray, grasps: np.ndarray, observation: Observation, keep: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The first ``keep`` grasps of ``order`` the gripper can make (opening at most
        ``max_opening_m``, plates clear in the depth image), and how many ranked above the
        last kept were passed over for each reason. When none passes, ``order`` is returned
        as it is (the trial then shows why)."""
        kept, wide, blocked = executable_grasps(
            order, grasps, observation.camera, observation.depth, self.max_opening_m, self.jaws, keep
        )
        passed: dict[str, Any] = {}
        if self.max_opening_m is not None:
            passed["too_wide_passed_over"] = wide
        if self.jaws is not None:
            # A camera without depth, or one that is not a pinhole model, cannot be checked.
            passed["jaws_blocked_passed_over"] = blocked
        return (kept if len(kept) else order), passed


def _network(checkpoint: str | Path | None, network: str | None, options: dict[str, Any]) -> Any:
    """The :class:`~simgrasp.model.contract.GraspNetwork` a card names: a checkpoint of a
    registered family, or ``network = "package.module:attr"``, an object honouring the
    contract or a factory of one (called with the card's checkpoint, when it names one,
    and the remaining options)."""
    if network is not None:
        obj = import_attr(network)
        if isinstance(obj, type) or not callable(getattr(obj, "predict", None)):
            obj = obj(**({"checkpoint": str(checkpoint)} if checkpoint is not None else {}), **options)
        elif options or checkpoint is not None:
            raise ValueError(f"network {network!r} is an instance and takes no checkpoint or options, got {sorted(options)}")
        missing = [a for a in ("family", "score_kinds", "modality", "needs_depth", "ranking_info", "predict") if not hasattr(obj, a)]
        if missing:
            raise ValueError(f"network {network!r} gave a {type(obj).__name__} without {', '.join(missing)} of the network contract")
        return obj
    if checkpoint is None:
        raise ValueError("expected a checkpoint or network = 'package.module:attr', got neither")
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    # The model (and torch) load only when a network policy is built.
    from simgrasp.model.contract import load_network

    return load_network(path, **options)


@register_policy("scorer")
def scorer_policy(checkpoint: str | Path | None = None, **options: Any) -> NetworkPolicy:
    """The network choosing the grasp with the best scorer probability."""
    return NetworkPolicy(checkpoint, score="scorer", **options)


@register_policy("primary")
def primary_policy(checkpoint: str | Path | None = None, **options: Any) -> NetworkPolicy:
    """The network choosing the grasp with the best primary score (no scorer)."""
    return NetworkPolicy(checkpoint, score="primary", **options)


@register_policy("network")
def network_policy(checkpoint: str | Path | None = None, **options: Any) -> NetworkPolicy:
    """A network of any family choosing by its own default score (the paper's: the scorer;
    GG-CNN2's and GR-ConvNet's: the quality map), or a user's network under the contract
    (option ``network = "package.module:attr"``)."""
    return NetworkPolicy(checkpoint, **options)
