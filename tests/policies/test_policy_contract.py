import math

import numpy as np
import pytest

from simgrasp.backends.base import SUCCESS
from simgrasp.geometry import GraspRect
from simgrasp.policies import (
    POLICIES,
    Decision,
    InvalidGrasp,
    PolicyError,
    build_policy,
    known_policies,
    policy_rng,
    resolve_policy,
    validate_decision,
)
from simgrasp.policies.random_grasp import RandomPolicy
from simgrasp.policies.heuristic import largest_blob, segment_by_colour, segment_by_depth


@pytest.mark.parametrize("depth", [True, False])
def test_heuristic_grasps_the_ellipse_across_its_minor_axis(scene, depth):
    policy = build_policy(resolve_policy("heuristic"))
    outcomes = []
    for seed in range(8):
        obs, backend = scene(seed, depth=depth)
        decision = policy.act(obs, policy_rng(seed))
        validate_decision(decision, obs.camera.width, obs.camera.height)
        outcomes.append(backend.execute(obs.camera.image_to_world(decision.grasp, obs.depth)).reason)
    assert outcomes.count(SUCCESS) >= 7, outcomes


def test_depth_segmentation_ignores_a_tilted_table():
    h, w = 60, 80
    v, u = np.mgrid[0:h, 0:w]
    table = 1.0 / (1.5 + 0.002 * u - 0.001 * v)  # a plane seen by a tilted camera: 1/depth affine in pixels
    depth = table.copy()
    depth[20:35, 30:55] -= 0.03  # a 3 cm box
    mask = segment_by_depth(depth.astype(np.float32))
    assert mask[20:35, 30:55].all() and mask.sum() == 15 * 25


def test_colour_segmentation_and_empty_scene():
    rgb = np.full((40, 40, 3), 90, np.uint8)
    with pytest.raises(ValueError, match="no object found"):
        largest_blob(segment_by_colour(rgb))
    rgb[10:20, 10:30] = (200, 40, 40)
    assert largest_blob(segment_by_colour(rgb)).sum() == 200


def test_random_is_seeded_and_inside_the_image(scene):
    obs, _ = scene(0)
    policy = build_policy(resolve_policy("random"))
    a = [policy.act(obs, policy_rng(s)).grasp for s in range(20)]
    b = [policy.act(obs, policy_rng(s)).grasp for s in range(20)]
    assert a == b and len({g.x for g in a}) == 20
    for g in a:
        validate_decision(g, obs.camera.width, obs.camera.height)


def test_policy_stream_is_not_the_scene_stream():
    assert policy_rng(7).uniform() != np.random.default_rng(7).uniform()


@pytest.mark.parametrize(
    "grasp, message",
    [
        (GraspRect(math.nan, 5, 0, 10, 5), "non-finite"),
        (GraspRect(5, 50, 0, 10, 5), "outside"),
        (GraspRect(5, 5, 0, -1, 5), "positive"),
        ("not a grasp", "expected a Decision"),
    ],
)
def test_invalid_grasps_are_rejected(grasp, message):
    with pytest.raises(InvalidGrasp, match=message):
        validate_decision(grasp, 40, 40)


def test_names_cards_and_imports_resolve():
    assert {"scorer", "primary", "heuristic", "random"} <= set(known_policies())
    assert set(POLICIES.names()) >= {"scorer", "primary", "heuristic", "random"}
    spec = resolve_policy("simgrasp.policies.random_grasp:RandomPolicy")
    assert isinstance(build_policy(spec), RandomPolicy) and spec.label == "simgrasp.policies.random_grasp:RandomPolicy"
    with pytest.raises(
        PolicyError,
        match=r"unknown policy 'nope'; known: ggcnn2, ggcnn2_nojaws, grconvnet, grconvnet_nojaws, heuristic, network, "
        r"oracle, primary, primary_nojaws, random, scorer, scorer_nojaws, scorer_rgb, scorer_top64, zhou, zhou_nojaws "
        r"\(or package.module:attr\)",
    ):
        resolve_policy("nope")


def test_card_options_are_strict_and_checkpoints_resolve_next_to_the_card(tmp_path, monkeypatch):
    card = tmp_path / "cards" / "r.toml"
    card.parent.mkdir()
    card.write_text('name = "r"\nimplementation = "random"\n[options]\nmax_width_frac = 0.2\nbogus = 1\n')
    with pytest.raises(PolicyError, match="cannot build policy 'r'.*bogus"):
        build_policy(resolve_policy(str(card)))
    (tmp_path / "cards" / "w.pt").write_bytes(b"")
    card.write_text('implementation = "scorer"\ncheckpoint = "w.pt"\n')
    monkeypatch.chdir(tmp_path)  # the working directory plays no part
    assert resolve_policy(str(card)).checkpoint == str((tmp_path / "cards" / "w.pt").resolve())


def test_network_policy_returns_ranked_candidates(scene, tmp_path):
    torch = pytest.importorskip("torch")
    from simgrasp.model.checkpoint import save_checkpoint
    from simgrasp.model.config import ModelConfig
    from simgrasp.model.network import GraspNet

    torch.set_num_threads(1)
    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "tiny.pt",
        GraspNet(ModelConfig(input_size=64, scorer_channels=32, scorer_hidden=16, scorer_param_width=32)),
        0,
    )
    obs, _ = scene(0)
    for name in ("scorer", "primary"):
        policy = POLICIES.get(name)(checkpoint=tmp_path / "tiny.pt", keep_candidates=3)
        d = policy.act(obs, policy_rng(0))
        assert isinstance(d, Decision) and len(d.candidates) == 3 and d.candidates[0][0] == d.grasp
        scores = [s for _, s in d.candidates]
        assert scores == sorted(scores, reverse=True) and d.info["score_kind"] == name
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        POLICIES.get("scorer")(checkpoint=tmp_path / "absent.pt")


def test_every_registered_policy_says_what_it_reads():
    from simgrasp.policies.base import POLICIES, policy_reads

    expected = {"heuristic": {"color"}, "random": set(), "oracle": set()}
    for name, reads in expected.items():
        assert set(policy_reads(POLICIES.get(name)())) == reads


def test_a_policy_the_camera_cannot_serve_is_named_with_what_it_reads_and_what_the_camera_gives():
    from simgrasp.policies.base import unserved

    class Reader:
        reads = {"depth": "segmentation", "pinhole": ""}

    class Silent:
        pass

    assert unserved("r", Reader(), frozenset({"color", "depth", "pinhole"}), "sim") is None
    assert unserved("r", Reader(), None, "custom") is None  # a backend that does not say is not refused
    assert unserved("s", Silent(), frozenset({"color"}), "fanuc") is None  # nor a policy that does not say
    assert unserved("r", Reader(), frozenset({"color"}), "fanuc") == (
        "policy 'r' reads depth (segmentation), pinhole; the camera of backend 'fanuc' gives color "
        "(missing: depth, pinhole)")

    class Confused:
        def reads(self):
            return {"infrared"}

    assert "unknown stream(s) ['infrared']" in unserved("c", Confused(), frozenset({"color"}), "fanuc")
