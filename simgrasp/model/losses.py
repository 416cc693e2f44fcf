"""The three losses of section IV-B and how their gradients are routed.

- ``primary``: softmax cross-entropy of the PGP score on P angle-matched positives and 3P
  hard negatives (Eq. 3).
- ``scorer``: softmax cross-entropy of the scorer on the T grasps with the highest primary
  scores, labelled by Jaccard matching (15 degrees, IoU 25 %) (Eq. 4), or, with
  ``scorer_labels="simulation"``, by the outcomes of the grasps tried in simulation that
  match them (:func:`simgrasp.model.targets.simulation_targets`); grasps no tried grasp
  matches are left out of the mean; ``"simulation_or_jaccard"`` labels those by Jaccard
  matching instead.
- ``regression``: ``alpha / P`` times the smooth-L1 of the positives' deformations, minus
  the mean log success probability the scorer gives the same T grasps (Eq. 5).

Routing, as the paper asks:
- the scorer loss reaches the scorer and the FE, never the PGP: the deformations it sees
  are detached, so the PGP cannot make grasps that are merely easy to classify;
- the regression loss reaches the PGP and the FE, never the scorer: its scorer term is
  evaluated with ``torch.func.functional_call`` on detached copies of the scorer's
  parameters, so the scorer acts as a fixed critic whose gradient flows only into its
  inputs (the deformations and the features).
The three are summed into one backward pass; each parameter then receives exactly the
gradients the paper routes to it, with no hooks or manual zeroing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from simgrasp.model.anchors import decode, encode
from simgrasp.model.network import GraspNet, NetOutput
from simgrasp.model.init import set_logit_prior
from simgrasp.model.targets import (
    SimMatch,
    anchor_cells,
    angle_match,
    hard_negatives,
    scorer_targets,
    simulation_targets,
)
from simgrasp.config import FLAG, NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE_INT, Choice, Maybe, Number, setting
from simgrasp.registry import Registry

ANGLE = Number(lo=0, hi=90, lo_open=True)  # an angle threshold in degrees: grasp angles differ by at most 90

Tested = tuple[np.ndarray, np.ndarray]
"""Grasps tried in simulation on one image, (M, 5) in network-input pixels, and their
outcomes (M,) bool."""


@dataclass(frozen=True)
class LossConfig:
    """Loss and target-selection settings (paper values by default)."""

    alpha: float = setting(2.0, NON_NEGATIVE)
    """Weight of the smooth-L1 term in the regression loss (Zhou et al.'s value)."""
    negative_ratio: int = setting(3, POSITIVE_INT)
    """Hard negatives per positive for the primary score."""
    top_t: int = setting(64, POSITIVE_INT)
    """Grasps per image, highest primary score first, that train the scorer."""
    scorer_random: int = setting(0, NON_NEGATIVE_INT)
    """Further grasps per image drawn uniformly from the others (not among the top
    ``top_t``) that train the scorer too, labelled the same way (0: the paper). At test time
    the scorer ranks all 20x20xk grasps, while the top T by primary score show it only
    the grasps the primary score already likes; the draws show it the rest. The
    regression loss's scorer term stays on the top T."""
    match_angle_deg: float | None = setting(None, Maybe(ANGLE))
    """Angle-matching threshold; None means half the anchor spacing (15 degrees for k=6)."""
    scorer_angle_deg: float = setting(15.0, ANGLE)
    """Jaccard-matching angle threshold for the scorer's labels."""
    scorer_iou: float = setting(0.25, Number(lo=0, hi=1, lo_open=True))
    """Jaccard-matching IoU threshold for the scorer's labels."""
    scorer_labels: str = setting("jaccard", Choice(lambda: SCORER_LABELS.names()))
    """Where the scorer's labels come from, a name in ``SCORER_LABELS``: ``"jaccard"``
    (the paper: overlap with a ground truth) or ``"simulation"`` (the outcome of a matching
    grasp tried in simulation; unmatched grasps are left out) or ``"simulation_or_jaccard"``
    (the outcome where a tried grasp matches, Jaccard matching elsewhere)."""
    sim_match: SimMatch = field(default_factory=SimMatch)
    """When a tested grasp labels a prediction (``scorer_labels`` ``"simulation"`` and
    ``"simulation_or_jaccard"``)."""
    scorer_tried: bool = setting(False, FLAG)
    """Whether the scorer also rates every grasp tried in simulation on the image, placed on
    the anchor of its cell nearest its angle, against that grasp's outcome (needs the tried
    grasps). Early in training hardly any prediction lies near a tried grasp, so matched
    labels alone leave the scorer with little to learn from; the tried grasps give it
    every physical label of the image from the first iteration, failures included."""
    critic_weight: float = setting(1.0, NON_NEGATIVE)
    """Weight of the scorer term in the regression loss (1 in Eq. 5; 0 trains the PGP
    like Zhou et al.'s baseline while the scorer still learns)."""
    scorer_weight: float = setting(1.0, NON_NEGATIVE)
    """Weight of the scorer loss (Eq. 4) in the total (1 in the paper). 0 together with
    ``critic_weight = 0`` trains Zhou et al.'s network alone, the FE and the PGP on the
    primary and smooth-L1 losses, the scorer left untrained: the baseline the paper's
    real-robot comparison (88.1 against 92.4 %) sets against the full model."""
    critic_features: bool = setting(False, FLAG)
    """Whether the regression loss's scorer term also reaches the FE through the features
    the scorer reads. Section IV-B says only that L_reg updates the PGP and the FE; with
    False it reaches the FE through the deformations (PGP -> FE) but not through the
    scorer's feature input. Reason: with True, the FE is pushed to make every
    neighbourhood look graspable to the scorer, against the scorer loss; in a 1600-iteration
    CPU run (resnet18, 320 px) the scorer loss then never left its base-rate entropy
    (0.64 nats at 35 % positives) and the scorer ranked worse than the primary score
    (66.7 % against 84.8 % top-1 Jaccard on the validation split)."""

    def __post_init__(self) -> None:
        if self.top_t < 1 or self.scorer_random < 0:
            raise ValueError(f"top_t must be >= 1 and scorer_random >= 0, got {self.top_t} and {self.scorer_random}")
        if not (self.scorer_weight >= 0 and self.critic_weight >= 0):
            raise ValueError(
                f"scorer_weight and critic_weight must be >= 0, got {self.scorer_weight} and {self.critic_weight}"
            )
        if self.scorer_labels not in SCORER_LABELS:
            raise ValueError(f"scorer_labels must be one of {SCORER_LABELS.names()}, got {self.scorer_labels!r}")


Labeller = Callable[[np.ndarray, np.ndarray, "Tested | None", "LossConfig"], tuple[np.ndarray, np.ndarray]]
#: Scorer label sources: (grasps (T, 5), truths (G, 5), tested or None, config) ->
#: (labels (T,) float32, known (T,) bool).
SCORER_LABELS: Registry[Labeller] = Registry("scorer label source")


@SCORER_LABELS.register("jaccard")
def _jaccard_labels(grasps: np.ndarray, truths: np.ndarray, tested: Tested | None, cfg: "LossConfig") -> tuple:
    return scorer_targets(grasps, truths, cfg.scorer_angle_deg, cfg.scorer_iou), np.ones(len(grasps), bool)


@SCORER_LABELS.register("simulation")
def _simulation_labels(grasps: np.ndarray, truths: np.ndarray, tested: Tested | None, cfg: "LossConfig") -> tuple:
    if tested is None:
        raise ValueError("scorer_labels='simulation' needs the grasps tried in simulation for every image, got none")
    return simulation_targets(grasps, tested[0], tested[1], cfg.sim_match)


@SCORER_LABELS.register("simulation_or_jaccard")
def _simulation_or_jaccard_labels(grasps: np.ndarray, truths: np.ndarray, tested: Tested | None, cfg: "LossConfig") -> tuple:
    """Every grasp labelled: by a matching tried grasp's outcome where there is one (a
    failure there overrides an overlapping success), else by Jaccard matching against the
    stored successes, so grasps far from anything tried are taught as failures instead of
    being left out. The ranking at test time covers all 20x20xk grasps; labels that cover
    only the neighbourhoods of tried grasps leave the rest untaught."""
    sim, known = _simulation_labels(grasps, truths, tested, cfg)
    jaccard, _ = _jaccard_labels(grasps, truths, tested, cfg)
    return np.where(known, sim, jaccard).astype(np.float32), np.ones(len(sim), bool)


@dataclass
class Losses:
    """The three scalar losses of one batch, and counts for logging."""

    primary: torch.Tensor
    scorer: torch.Tensor
    regression: torch.Tensor
    stats: dict[str, float] = field(default_factory=dict)
    scorer_weight: float = 1.0
    """Weight of ``scorer`` in :attr:`total` (:attr:`LossConfig.scorer_weight`)."""

    @property
    def total(self) -> torch.Tensor:
        """What joint training minimises: primary + scorer_weight * scorer + regression."""
        return self.primary + self.scorer_weight * self.scorer + self.regression


def compute_losses(
    model: GraspNet,
    out: NetOutput,
    truths: list[np.ndarray],
    cfg: LossConfig = LossConfig(),
    tested: Sequence[Tested] | None = None,
) -> Losses:
    """Losses of one batch. ``truths[b]`` holds image b's ground truths (G, 5) in
    network-input pixels (``[x, y, theta_deg, w, h]``); ``tested[b]``, when given, the
    grasps tried in simulation on image b and their outcomes (:data:`Tested`), which
    ``cfg.scorer_labels="simulation"`` needs."""
    mc = model.config
    b = out.deltas.shape[0]
    if len(truths) != b:
        raise ValueError(f"expected {b} ground-truth arrays (one per image), got {len(truths)}")
    if tested is not None and len(tested) != b:
        raise ValueError(f"expected {b} (tested, success) pairs (one per image), got {len(tested)}")
    logits = out.primary_logits.reshape(b, -1, 2)
    deltas = out.deltas.reshape(b, -1, 5)
    prob = logits.detach().softmax(-1)[..., 1]
    angles = model.anchors[: mc.k, 2].cpu().numpy()

    # Primary score and smooth-L1 on angle-matched anchors.
    cls_rows, cls_labels, pos_rows, pos_truths = [], [], [], []
    prob_np = prob.cpu().numpy()
    for i, t in enumerate(truths):
        m = angle_match(t, mc.grid, mc.stride, angles, cfg.match_angle_deg)
        neg = hard_negatives(prob_np[i], m.positive, cfg.negative_ratio)
        cls_rows += [(i, n) for n in m.positive] + [(i, n) for n in neg]
        cls_labels += [1] * len(m.positive) + [0] * len(neg)
        pos_rows += [(i, n) for n in m.positive]
        pos_truths.append(m.matched)
    cls_idx = torch.as_tensor(np.array(cls_rows, dtype=np.int64).reshape(-1, 2), device=logits.device)
    if cls_rows:
        cls_target = torch.as_tensor(cls_labels, dtype=torch.long, device=logits.device)
        primary = F.cross_entropy(logits[cls_idx[:, 0], cls_idx[:, 1]], cls_target)
    else:
        primary = logits.sum() * 0.0
    n_pos = len(pos_rows)
    if n_pos:
        pos_idx = torch.as_tensor(np.array(pos_rows, dtype=np.int64), device=deltas.device)
        target = encode(
            torch.as_tensor(np.concatenate(pos_truths), device=deltas.device),
            model.anchors[pos_idx[:, 1]],
            mc.k,
        )
        smooth = F.smooth_l1_loss(deltas[pos_idx[:, 0], pos_idx[:, 1]], target, reduction="sum")
        smooth = cfg.alpha * smooth / n_pos
    else:
        smooth = deltas.sum() * 0.0

    # The scorer sees the T grasps with the highest primary scores (and, if asked, draws
    # from the rest: scorer_random).
    t_count = min(cfg.top_t, deltas.shape[1])
    top = prob.topk(t_count, dim=1).indices  # (B, T)
    sel = torch.gather(deltas, 1, top[..., None].expand(b, t_count, 5))
    rated_idx = torch.cat([top, _draw_others(prob.shape, top, cfg.scorer_random)], 1)
    rated_sel = torch.gather(deltas, 1, rated_idx[..., None].expand(*rated_idx.shape, 5)).detach()
    grasps = decode(rated_sel, model.anchors[rated_idx], mc.k).cpu().numpy()
    labeller = SCORER_LABELS.get(cfg.scorer_labels)
    pairs = [labeller(grasps[i], truths[i], None if tested is None else tested[i], cfg) for i in range(b)]
    labels, known = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    scorer_logits = model.scorer(out.features, rated_sel, rated_idx)
    keep = torch.as_tensor(known.reshape(-1), device=deltas.device)
    rated = [scorer_logits.reshape(-1, 2)[keep]]
    targets = [torch.as_tensor(labels.reshape(-1), device=deltas.device).long()[keep]]
    if cfg.scorer_tried:
        if tested is None:
            raise ValueError("scorer_tried=True needs the grasps tried in simulation for every image, got none")
        for i, (tried, ok) in enumerate(tested):
            logits_i, labels_i = _rate_tried(model, out.features[i : i + 1], tried, ok, angles)
            rated.append(logits_i)
            targets.append(labels_i)
    n_rated = sum(len(t) for t in targets)
    if n_rated:
        scorer = F.cross_entropy(torch.cat(rated), torch.cat(targets))
    else:
        scorer = scorer_logits.sum() * 0.0  # nothing known in this batch: no gradient

    frozen = {name: p.detach() for name, p in model.scorer.named_parameters()}
    critic_in = out.features if cfg.critic_features else out.features.detach()
    critic_logits = functional_call(model.scorer, frozen, (critic_in, sel, top))
    critic = -F.log_softmax(critic_logits, -1)[..., 1].mean()

    stats = {
        "positives": float(n_pos),
        "scorer_positive_rate": float(torch.cat(targets).float().mean()) if n_rated else 0.0,
        "scorer_known_rate": float(known.mean()) if known.size else 0.0,
        "scorer_rated": float(n_rated),
        "smooth_l1": float(smooth.detach()),
        "critic": float(critic.detach()),
    }
    return Losses(primary, scorer, smooth + cfg.critic_weight * critic, stats, cfg.scorer_weight)


def _draw_others(shape: torch.Size, top: torch.Tensor, count: int) -> torch.Tensor:
    """(B, count) grasp indices per image drawn uniformly without replacement from those not
    in ``top`` (B, T), with torch's generator (seeded by training); fewer if fewer remain."""
    b, n = shape
    count = min(count, n - top.shape[1])
    if count <= 0:
        return top.new_zeros((b, 0))
    keys = torch.rand(b, n, device=top.device)
    keys.scatter_(1, top, -1.0)  # never drawn: rand is in [0, 1)
    return keys.topk(count, dim=1).indices


def _rate_tried(
    model: GraspNet, features: torch.Tensor, tried: np.ndarray, success: np.ndarray, angles: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """The scorer's logits (M', 2) for the tried grasps of one image whose centre lies on the
    feature map, each as a deformation of its anchor (:func:`anchor_cells`), and their
    outcomes (M',) as class labels. The deformations are data, so no gradient reaches the PGP."""
    mc = model.config
    index, inside = anchor_cells(tried, mc.grid, mc.stride, angles)
    finite = np.isfinite(np.asarray(tried, np.float64).reshape(-1, 5)).all(1)
    keep = inside & finite & (np.asarray(tried).reshape(-1, 5)[:, 3:5] > 0).all(1)
    idx = torch.as_tensor(index[keep], device=features.device)
    g = torch.as_tensor(np.asarray(tried, np.float32).reshape(-1, 5)[keep], device=features.device)
    deltas = encode(g, model.anchors[idx], mc.k)
    logits = model.scorer(features, deltas[None], idx[None])[0]
    labels = torch.as_tensor(np.asarray(success, bool)[keep], device=features.device).long()
    return logits, labels


def start_at_base_rates(
    model: GraspNet,
    images: torch.Tensor,
    truths: list[np.ndarray],
    cfg: LossConfig = LossConfig(),
    tested: Sequence[Tested] | None = None,
) -> dict[str, float]:
    """Set the score heads' biases to their base rates (see :mod:`simgrasp.model.init`):
    the primary at ``1 / (1 + negative_ratio)``, the scorer at the positive rate of its
    labels on this batch. The forward pass runs in training mode like the first step, with
    the BatchNorm statistics restored afterwards. Returns both rates."""
    primary_prior = 1.0 / (1.0 + cfg.negative_ratio)
    set_logit_prior(model.pgp.classify, primary_prior)
    saved = [(buf, buf.clone()) for buf in model.buffers()]
    was_training = model.training
    model.train()
    with torch.no_grad():
        stats = compute_losses(model, model(images), truths, cfg, tested).stats
        for buf, value in saved:
            buf.copy_(value)
    model.train(was_training)
    # With no label known on this batch, nothing is known of the rate either: 1/2.
    scorer_prior = stats["scorer_positive_rate"] if stats["scorer_rated"] > 0 else 0.5
    set_logit_prior(model.scorer.fc2, scorer_prior)
    return {"primary_prior": primary_prior, "scorer_prior": scorer_prior}
