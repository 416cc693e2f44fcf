"""The network policies' depth input and their scorer_candidates option."""

import os

import numpy as np
import pytest

from simgrasp.policies.base import POLICIES, policy_rng

torch = pytest.importorskip("torch")


def _checkpoint(path, modality: str):
    from simgrasp.model.checkpoint import save_checkpoint
    from simgrasp.model.config import ModelConfig
    from simgrasp.model.network import GraspNet

    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = ModelConfig(input=modality, input_size=64, scorer_channels=32, scorer_hidden=16, scorer_param_width=32)
    return save_checkpoint(path, GraspNet(cfg), 0)


def test_a_depth_network_reads_the_observation_depth(scene, tmp_path):
    ckpt = _checkpoint(tmp_path / "rgbd.pt", "rgbd")
    policy = POLICIES.get("scorer")(checkpoint=ckpt)
    with_depth, _ = scene(0, depth=True)
    assert policy.act(with_depth, policy_rng(0)).grasp is not None
    without, _ = scene(0, depth=False)
    with pytest.raises(ValueError, match="reads input 'rgbd' but the observation has no depth image"):
        policy.act(without, policy_rng(0))
    # An rgb network does not need depth.
    rgb_policy = POLICIES.get("scorer")(checkpoint=_checkpoint(tmp_path / "rgb.pt", "rgb"))
    assert rgb_policy.act(without, policy_rng(0)).grasp is not None


def test_scorer_candidates_limits_the_scorer_to_the_primary_top_n(scene, tmp_path):
    ckpt = _checkpoint(tmp_path / "rgb.pt", "rgb")
    obs, _ = scene(0)
    policy = POLICIES.get("scorer")(checkpoint=ckpt, scorer_candidates=3, keep_candidates=3)
    d = policy.act(obs, policy_rng(0))
    pred = policy.detector.predict([obs.rgb])[0]
    h, w = obs.rgb.shape[:2]
    g = pred.grasps
    valid = np.flatnonzero((g[:, 0] >= 0) & (g[:, 0] < w) & (g[:, 1] >= 0) & (g[:, 1] < h))
    top3 = valid[np.argsort(-pred.primary[valid], kind="stable")[:3]]
    assert sorted(s for _, s in d.candidates) == pytest.approx(sorted(pred.scorer[top3]))
    assert d.info["scorer_candidates"] == 3
    with pytest.raises(ValueError, match="scorer_candidates must be 0"):
        POLICIES.get("scorer")(checkpoint=ckpt, scorer_candidates=-1)


def test_grasps_wider_than_the_gripper_opens_are_passed_over(scene, tmp_path):
    ckpt = _checkpoint(tmp_path / "rgbd.pt", "rgbd")
    obs, _ = scene(0, depth=True)
    free = POLICIES.get("scorer")(checkpoint=ckpt, keep_candidates=4)
    wide = free.act(obs, policy_rng(0))
    openings = [obs.camera.image_to_world(g, obs.depth).opening_m for g, _ in wide.candidates]
    # A limit just under the free choice's opening: that grasp is passed over, and every kept one fits.
    limit = 0.999 * openings[0]
    limited = POLICIES.get("scorer")(checkpoint=ckpt, keep_candidates=4, max_opening_m=limit)
    d = limited.act(obs, policy_rng(0))
    kept = [obs.camera.image_to_world(g, obs.depth).opening_m for g, _ in d.candidates]
    assert kept and max(kept) <= limit and d.info["too_wide_passed_over"] >= 1
    assert d.grasp.as_array().tolist() != wide.grasp.as_array().tolist()
    # No grasp fits a 1 mm gripper: the ranking is returned as it is.
    tiny = POLICIES.get("scorer")(checkpoint=ckpt, keep_candidates=4, max_opening_m=0.001)
    assert tiny.act(obs, policy_rng(0)).grasp.as_array().tolist() == wide.grasp.as_array().tolist()
    with pytest.raises(ValueError, match="max_opening_m must be a positive number"):
        POLICIES.get("scorer")(checkpoint=ckpt, max_opening_m=0)


def test_grasps_whose_plates_land_on_the_object_are_passed_over(scene, tmp_path):
    import dataclasses

    from simgrasp.geometry import GraspRect
    from simgrasp.geometry.clearance import JawSpec, footprint_pixels, jaw_clearance, plate_footprints

    ckpt = _checkpoint(tmp_path / "rgbd.pt", "rgbd")
    obs, _ = scene(0, depth=True)
    spec = JawSpec(max_opening_m=None)  # what jaws={} gives a policy without max_opening_m
    top = POLICIES.get("scorer")(checkpoint=ckpt).act(obs, policy_rng(0)).grasp
    # A 10 cm post seen under the top pick's plates: that grasp must be passed over.
    depth = obs.depth.copy()
    world = obs.camera.image_to_world(top, obs.depth)
    for plate in plate_footprints(world, spec, world.z_m - spec.tip_below_m):
        u, v = footprint_pixels(obs.camera.world_to_image(plate), obs.camera.width, obs.camera.height)
        depth[v, u] = float(obs.depth.max()) - 0.10
    obs = dataclasses.replace(obs, depth=depth)
    checked = POLICIES.get("scorer")(checkpoint=ckpt, keep_candidates=4, jaws={})
    # The untrained scorer's probabilities nearly tie: rank with the very detector the policy uses.
    pred = checked.detector.predict([obs.rgb], [obs.depth])[0]
    order = pred.ranked("scorer", (obs.camera.width, obs.camera.height))[:400]
    grasps = [GraspRect.from_array(pred.grasps[j]) for j in order]
    clear = [jaw_clearance(obs.camera, obs.depth, g, spec).clear for g in grasps]
    grasps = [g.as_array().tolist() for g in grasps]
    first_clear = [g for g, ok in zip(grasps, clear) if ok][:4]
    assert not clear[0] and len(first_clear) == 4
    d = checked.act(obs, policy_rng(0))
    assert [g.as_array().tolist() for g, _ in d.candidates] == first_clear
    last = grasps.index(first_clear[-1])
    assert d.info["jaws_blocked_passed_over"] == sum(not ok for ok in clear[:last]) >= 1
    # Plates reaching half a metre below the grasp point meet the table whatever the grasp:
    # the ranking is returned as it is.
    huge = POLICIES.get("scorer")(checkpoint=ckpt, keep_candidates=4, jaws=JawSpec(tip_below_m=0.5))
    first = huge.detector.predict([obs.rgb], [obs.depth])[0]
    best = first.grasps[first.ranked("scorer", (obs.camera.width, obs.camera.height))[0]].tolist()
    d = huge.act(obs, policy_rng(0))
    assert d.grasp.as_array().tolist() == pytest.approx(best) and d.info["jaws_blocked_passed_over"] > 0
    # Without depth the plates cannot be checked, and the decision says so.
    rgb = POLICIES.get("scorer")(checkpoint=_checkpoint(tmp_path / "rgb.pt", "rgb"), jaws={})
    flat, _ = scene(0, depth=False)
    assert rgb.act(flat, policy_rng(0)).info["jaws_blocked_passed_over"] is None
    with pytest.raises(ValueError, match=r"jaws: unknown field\(s\) \['thickness'\]"):
        POLICIES.get("scorer")(checkpoint=ckpt, jaws={"thickness": 0.01})
    with pytest.raises(ValueError, match="JawSpec.jaw_m must be a positive"):
        POLICIES.get("scorer")(checkpoint=ckpt, jaws={"jaw_m": -1})


@pytest.mark.parametrize("modality, jaws, reads", [
    ("rgb", None, {"color"}),
    ("rgbd", None, {"color", "depth"}),
    ("depth", None, {"depth"}),
    ("rgb", {"finger_m": 0.01}, {"color", "depth", "pinhole"}),
])
def test_a_network_reads_what_its_checkpoint_and_plate_check_need(tmp_path, modality, jaws, reads):
    policy = POLICIES.get("scorer")(checkpoint=_checkpoint(tmp_path / f"{modality}.pt", modality), jaws=jaws)
    assert set(policy.reads) == reads
    if modality != "depth":
        assert policy.reads["color"] == f"network input {modality!r}"
    if jaws:
        assert policy.reads["pinhole"] == "plate check" and policy.reads["depth"] == "plate check"


# --- other network families through the same policy ------------------------------------

MAP_NETWORKS = {"ggcnn": {"input": "depth", "input_size": 64}, "grconvnet": {"input": "rgbd", "input_size": 64, "channel_size": 8}}


def _family_checkpoint(path, family: str):
    """A randomly initialised, tiny network of ``family`` (GG-CNN2 on depth, GR-ConvNet-8 on RGB-D)."""
    from simgrasp.model.checkpoint import save_checkpoint
    from simgrasp.model.contract import get_family

    torch.set_num_threads(1)
    torch.manual_seed(0)
    fam = get_family(family)
    return save_checkpoint(path, fam.build(fam.config.from_dict(MAP_NETWORKS[family])), 0)


@pytest.mark.parametrize("family", sorted(MAP_NETWORKS))
def test_a_grasp_map_network_runs_through_the_network_policy(scene, tmp_path, family):
    ckpt = _family_checkpoint(tmp_path / f"{family}.pt", family)
    obs, _ = scene(0, depth=True)
    policy = POLICIES.get("network")(checkpoint=ckpt, keep_candidates=3, decode={"threshold": -1e9, "min_distance": 4})
    d = policy.act(obs, policy_rng(0))
    scores = [s for _, s in d.candidates]
    assert d.grasp == d.candidates[0][0] and scores == sorted(scores, reverse=True) and len(scores) == 3
    assert d.info["score_kind"] == "quality" and d.info["network"] in ("ggcnn2", "grconvnet-8")
    assert "depth" in policy.reads
    # The opening limit and the plate check apply as to the paper's network.
    checked = POLICIES.get("network")(checkpoint=ckpt, decode={"fallback": True}, max_opening_m=0.1, jaws={})
    info = checked.act(obs, policy_rng(0)).info
    assert {"too_wide_passed_over", "jaws_blocked_passed_over"} <= set(info)
    with pytest.raises(ValueError, match=f"score must be one of quality for a {family} network, got 'scorer'"):
        POLICIES.get("scorer")(checkpoint=ckpt)
    with pytest.raises(TypeError, match="scorer_candidates"):
        POLICIES.get("network")(checkpoint=ckpt, scorer_candidates=3)
    # Without the fallback an untrained quality map has no peak: the trial says so.
    with pytest.raises(ValueError, match="returned no grasp inside the 128x128 image"):
        POLICIES.get("network")(checkpoint=ckpt, decode={"threshold": 1e9}).act(obs, policy_rng(0))


def test_the_network_policy_on_the_paper_network_is_the_scorer(scene, tmp_path):
    ckpt = _checkpoint(tmp_path / "rgbd.pt", "rgbd")
    obs, _ = scene(0, depth=True)
    a = POLICIES.get("network")(checkpoint=ckpt, scorer_candidates=4).act(obs, policy_rng(0))
    b = POLICIES.get("scorer")(checkpoint=ckpt, scorer_candidates=4).act(obs, policy_rng(0))
    assert a.candidates == b.candidates and a.info == b.info == {**a.info, "score_kind": "scorer", "scorer_candidates": 4}


@pytest.mark.parametrize("card, family", [("ggcnn2", "ggcnn"), ("ggcnn2_nojaws", "ggcnn"),
                                          ("grconvnet", "grconvnet"), ("grconvnet_nojaws", "grconvnet")])
def test_the_shipped_cards_of_other_families_run_on_a_tiny_checkpoint(scene, tmp_path, card, family):
    import dataclasses

    from simgrasp.policies.cards import CARDS_DIR, PolicyError, build_policy, load_card, resolve_policy

    spec = load_card(CARDS_DIR / f"{card}.toml")
    assert spec.implementation == "network" and spec.checkpoint.endswith(f"assets/weights/{card.split('_')[0]}.pt")
    if not os.path.exists(spec.checkpoint):  # the weights are not trained yet: the card says what to do
        with pytest.raises(PolicyError, match=f"checkpoint not found for policy '{card}'.*train weights first"):
            resolve_policy(card)
    tiny = dataclasses.replace(spec, checkpoint=str(_family_checkpoint(tmp_path / "tiny.pt", family)))
    policy = build_policy(tiny)
    obs, _ = scene(1, depth=True)
    d = policy.act(obs, policy_rng(1))
    assert d.grasp is not None and d.info["score_kind"] == "quality"
    assert ("jaws_blocked_passed_over" in d.info) == (not card.endswith("_nojaws"))


@pytest.mark.parametrize("card", ["zhou", "zhou_nojaws"])
def test_the_zhou_cards_choose_by_the_primary_score_on_a_tiny_checkpoint(scene, tmp_path, card):
    import dataclasses

    from simgrasp.policies.cards import CARDS_DIR, PolicyError, build_policy, load_card, resolve_policy

    spec = load_card(CARDS_DIR / f"{card}.toml")
    assert spec.implementation == "primary" and spec.checkpoint.endswith("assets/weights/zhou.pt")
    import tomllib

    description = tomllib.loads((CARDS_DIR / f"{card}.toml").read_text())["description"]
    assert "--preset zhou" in description and "python -m simgrasp.model.export runs/zhou/last.pt" in description
    if not os.path.exists(spec.checkpoint):  # the weights are not trained yet: the card says what to do
        with pytest.raises(PolicyError, match=f"checkpoint not found for policy '{card}'.*train weights first"):
            resolve_policy(card)
    policy = build_policy(dataclasses.replace(spec, checkpoint=str(_checkpoint(tmp_path / "tiny.pt", "rgbd"))))
    obs, _ = scene(1, depth=True)
    d = policy.act(obs, policy_rng(1))
    assert d.grasp is not None and d.info["score_kind"] == "primary"
    assert ("jaws_blocked_passed_over" in d.info) == (card == "zhou")
