import pytest
import torch

from simgrasp.model.network import NetOutput
from simgrasp.model.losses import LossConfig, compute_losses

GROUPS = {
    "fe": lambda name: name.startswith("fe."),
    "pgp_regress": lambda name: name.startswith("pgp.regress."),
    "pgp_classify": lambda name: name.startswith("pgp.classify."),
    "scorer": lambda name: name.startswith("scorer."),
}

# Where each loss's gradients must land (section IV-B), and where they must not.
ROUTES = {
    "primary": {"fe", "pgp_classify"},
    "scorer": {"fe", "scorer"},
    "regression": {"fe", "pgp_regress"},
}


def _grad_groups(net) -> set[str]:
    hit = set()
    for name, p in net.named_parameters():
        if p.grad is not None and p.grad.abs().sum() > 0:
            hit |= {g for g, member in GROUPS.items() if member(name)}
    return hit


@pytest.mark.parametrize("loss_name", sorted(ROUTES))
def test_gradient_routing(net, batch, loss_name):
    images, truths = batch
    cfg = LossConfig(top_t=16)
    losses = compute_losses(net, net(images), truths, cfg)
    assert losses.stats["positives"] > 0
    net.zero_grad(set_to_none=True)
    getattr(losses, loss_name).backward()
    assert _grad_groups(net) == ROUTES[loss_name]


def test_regression_critic_term_alone_reaches_pgp_and_fe_only(net, batch):
    images, truths = batch
    with_critic = compute_losses(net, net(images), truths, LossConfig(top_t=16))
    without = compute_losses(net, net(images), truths, LossConfig(top_t=16, critic_weight=0.0))
    net.zero_grad(set_to_none=True)
    (with_critic.regression - without.regression).backward()
    assert _grad_groups(net) == {"fe", "pgp_regress"}


def test_losses_are_finite_and_counted(net, batch):
    images, truths = batch
    losses = compute_losses(net, net(images), truths, LossConfig(top_t=16))
    for name in ("primary", "scorer", "regression"):
        assert torch.isfinite(getattr(losses, name))
    assert 0.0 <= losses.stats["scorer_positive_rate"] <= 1.0
    with pytest.raises(ValueError, match="expected 4 ground-truth arrays"):
        compute_losses(net, net(images), truths[:2])


@pytest.mark.parametrize("critic_features", [True, False])
def test_critic_reaches_the_features_only_when_asked(net, batch, critic_features):
    images, truths = batch
    out = net(images)
    # Cut the deformations off the graph: what is left of the critic's gradient on the
    # features is the part that goes through the scorer's feature input.
    cut = NetOutput(out.features, out.deltas.detach(), out.primary_logits)
    cfg = LossConfig(top_t=16, alpha=0.0, critic_features=critic_features)
    loss = compute_losses(net, cut, truths, cfg).regression
    if not critic_features:
        assert not loss.requires_grad  # nothing left for the features to receive
        return
    (grad,) = torch.autograd.grad(loss, out.features)
    assert grad.abs().sum() > 0


def test_simulation_labels_leave_unmatched_grasps_out(net, batch):
    import numpy as np

    images, truths = batch
    cfg = LossConfig(top_t=16, scorer_labels="simulation")
    out = net(images)
    with pytest.raises(ValueError, match="needs the grasps tried in simulation"):
        compute_losses(net, out, truths, cfg)
    # Nothing tried: every label unknown, no scorer loss and no gradient from it.
    empty = [(np.zeros((0, 5), np.float32), np.zeros(0, bool))] * len(truths)
    losses = compute_losses(net, out, truths, cfg, empty)
    assert losses.scorer.item() == 0.0 and losses.stats["scorer_known_rate"] == 0.0
    # Every decoded candidate tried and successful: all known, all positive.
    b = images.shape[0]
    prob = out.primary_logits.detach().reshape(b, -1, 2).softmax(-1)[..., 1]
    top = prob.topk(16, dim=1).indices
    grasps = net.decode(out.deltas.detach()).gather(1, top[..., None].expand(b, 16, 5)).numpy()
    tried = [(g, np.ones(len(g), bool)) for g in grasps]
    losses = compute_losses(net, out, truths, cfg, tried)
    assert losses.stats["scorer_known_rate"] == 1.0 and losses.stats["scorer_positive_rate"] == 1.0
    with pytest.raises(ValueError, match="expected 4 \\(tested, success\\) pairs"):
        compute_losses(net, out, truths, cfg, tried[:1])
    with pytest.raises(ValueError, match="scorer_labels must be one of"):
        LossConfig(scorer_labels="physics")


def test_the_scorer_rates_every_tried_grasp_on_its_anchor(net, batch):
    import numpy as np

    from simgrasp.model.anchors import encode
    from simgrasp.model.targets import anchor_cells

    images, truths = batch
    out = net(images)
    empty = [(np.zeros((0, 5), np.float32), np.zeros(0, bool))] * len(truths)
    # Each truth tried twice: as it is (success) and turned 90 degrees (failure); one more off the map.
    tried = []
    for t in truths:
        turned = t.copy()
        turned[:, 2] += 90.0
        off = np.array([[-10.0, 5.0, 0.0, 20.0, 10.0]], np.float32)
        tried.append((np.concatenate([t, turned, off]), np.r_[np.ones(len(t), bool), np.zeros(len(t) + 1, bool)]))
    base = LossConfig(top_t=16, scorer_labels="simulation")
    cfg = LossConfig(top_t=16, scorer_labels="simulation", scorer_tried=True)
    assert compute_losses(net, out, truths, base, empty).stats["scorer_rated"] == 0
    losses = compute_losses(net, out, truths, cfg, tried)
    n_truths = sum(len(t) for t in truths)
    assert losses.stats["scorer_rated"] == 2 * n_truths  # the grasp off the map is not rated
    assert losses.stats["scorer_positive_rate"] == pytest.approx(0.5)
    # The loss is the cross-entropy of the scorer on those grasps at their anchors.
    angles = net.anchors[: net.config.k, 2].numpy()
    g, ok = tried[0]
    idx, inside = anchor_cells(g, net.config.grid, net.config.stride, angles)
    assert inside.tolist() == [True] * (2 * len(truths[0])) + [False]
    idx_t = torch.as_tensor(idx[inside])
    deltas = encode(torch.as_tensor(g[inside]), net.anchors[idx_t], net.config.k)
    decoded = net.decode(torch.zeros(1, net.config.grid, net.config.grid, net.config.k, 5)).reshape(-1, 5)[idx_t]
    assert (np.abs(decoded[:, :2].numpy() - g[inside, :2]) <= net.config.stride).all()  # the cell holds the centre
    assert deltas.abs()[:, 4].max() <= 0.5 + 1e-5  # the nearest anchor: within half a spacing
    # Routing: this term reaches the scorer and the FE only.
    net.zero_grad(set_to_none=True)
    losses.scorer.backward()
    assert _grad_groups(net) == ROUTES["scorer"]
    with pytest.raises(ValueError, match="scorer_tried=True needs the grasps tried"):
        compute_losses(net, net(images), truths, LossConfig(top_t=16, scorer_tried=True))


def test_simulation_or_jaccard_labels_every_grasp():
    import numpy as np

    from simgrasp.model.losses import SCORER_LABELS

    label = SCORER_LABELS.get("simulation_or_jaccard")
    truth = np.array([[100.0, 100.0, 0.0, 60.0, 20.0]], np.float32)
    grasps = np.array(
        [
            [100.0, 100.0, 0.0, 60.0, 20.0],  # on the stored success, but tried and failed
            [108.0, 100.0, 5.0, 60.0, 20.0],  # overlaps the success, nothing tried near it
            [250.0, 250.0, 90.0, 40.0, 20.0],  # far from everything
            [250.0, 100.0, 0.0, 50.0, 20.0],  # far from the success, tried and succeeded
        ],
        np.float32,
    )
    tested = (np.array([[100.0, 100.0, 0.0, 60.0, 20.0], [250.0, 100.0, 0.0, 50.0, 20.0]], np.float32), np.array([False, True]))
    cfg = LossConfig(scorer_labels="simulation_or_jaccard")
    labels, known = label(grasps, truth, tested, cfg)
    assert labels.tolist() == [0.0, 1.0, 0.0, 1.0] and known.all()
    # The same grasps under the two sources it combines.
    sim, sim_known = SCORER_LABELS.get("simulation")(grasps, truth, tested, cfg)
    assert sim_known.tolist() == [True, False, False, True] and sim[sim_known].tolist() == [0.0, 1.0]
    jac, _ = SCORER_LABELS.get("jaccard")(grasps, truth, tested, cfg)
    assert jac.tolist() == [1.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="needs the grasps tried in simulation"):
        label(grasps, truth, None, cfg)


def test_scorer_random_adds_draws_from_outside_the_top_t(net, batch):
    images, truths = batch
    out = net(images)
    base = compute_losses(net, out, truths, LossConfig(top_t=16))
    torch.manual_seed(0)
    more = compute_losses(net, out, truths, LossConfig(top_t=16, scorer_random=8))
    b = len(truths)
    assert base.stats["scorer_rated"] == b * 16 and more.stats["scorer_rated"] == b * (16 + 8)
    # The primary and regression losses (the critic term included) stay on the top T.
    assert torch.equal(base.primary, more.primary) and torch.equal(base.regression, more.regression)
    assert not torch.equal(base.scorer, more.scorer)
    net.zero_grad(set_to_none=True)
    more.scorer.backward()
    assert _grad_groups(net) == ROUTES["scorer"]


def test_draws_are_distinct_and_never_in_the_top():
    from simgrasp.model.losses import _draw_others

    torch.manual_seed(0)
    top = torch.tensor([[0, 1, 2], [5, 6, 7]])
    drawn = _draw_others(torch.Size((2, 10)), top, 4)
    assert drawn.shape == (2, 4)
    for row, t in zip(drawn.tolist(), top.tolist()):
        assert len(set(row)) == 4 and not set(row) & set(t)
    assert _draw_others(torch.Size((2, 10)), top, 50).shape == (2, 7)  # only 7 are left
    assert _draw_others(torch.Size((2, 10)), top, 0).shape == (2, 0)


def test_bad_selection_sizes_are_refused():
    with pytest.raises(ValueError, match="scorer_random >= 0, got 64 and -1"):
        LossConfig(scorer_random=-1)
    with pytest.raises(ValueError, match="top_t must be >= 1"):
        LossConfig(top_t=0)


def test_zhou_baseline_leaves_the_scorer_untrained(net, batch):
    """scorer_weight = critic_weight = 0: the FE and the PGP get exactly the gradients of the
    primary and smooth-L1 losses, the scorer none."""
    images, truths = batch
    baseline = compute_losses(net, net(images), truths, LossConfig(top_t=16, scorer_weight=0.0, critic_weight=0.0))
    net.zero_grad(set_to_none=True)
    baseline.total.backward()
    assert _grad_groups(net) == {"fe", "pgp_classify", "pgp_regress"}
    got = {name: _grad_or_zero(p).clone() for name, p in net.named_parameters()}
    assert torch.isfinite(baseline.scorer)  # still computed and logged

    plain = compute_losses(net, net(images), truths, LossConfig(top_t=16, critic_weight=0.0))
    net.zero_grad(set_to_none=True)
    (plain.primary + plain.regression).backward()
    for name, p in net.named_parameters():
        torch.testing.assert_close(got[name], _grad_or_zero(p), msg=name)


def _grad_or_zero(p: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(p) if p.grad is None else p.grad


def test_negative_loss_weights_are_refused():
    with pytest.raises(ValueError, match="must be >= 0, got -1.0 and 1.0"):
        LossConfig(scorer_weight=-1.0)
    with pytest.raises(ValueError, match="must be >= 0, got 1.0 and nan"):
        LossConfig(critic_weight=float("nan"))
