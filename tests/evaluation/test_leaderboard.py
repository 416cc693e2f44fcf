"""The leaderboard: regenerated from the committed records it must equal the committed
board; an external network, under the network contract, is ranked by the same code."""

import json
import math

import numpy as np
import pytest

from simgrasp import evaluate
from simgrasp.evaluation.leaderboard import agreement, build_rows, to_markdown, write_leaderboard
from simgrasp.policies.cards import CARDS_DIR, REPO_ROOT

EVALUATIONS = REPO_ROOT / "evaluations"


def test_committed_leaderboard_matches_the_records(tmp_path):
    paths = write_leaderboard(EVALUATIONS, CARDS_DIR, REPO_ROOT, tmp_path)
    committed = (EVALUATIONS / "leaderboard.md").read_text()
    assert paths["md"].read_text() == committed, "evaluations/leaderboard.md is stale: run python -m simgrasp.leaderboard"


def test_cells_come_from_the_records_and_missing_ones_show_as_not_run():
    rows = {r.name: r for r in build_rows(EVALUATIONS, CARDS_DIR, REPO_ROOT)}
    pile = json.loads((EVALUATIONS / "pile" / "results.json").read_text())["policies"]
    for name, p in pile.items():
        assert rows[name].cells["pile"].successes == p["success"]["successes"]
        assert rows[name].cells["pile"].ci95 == pytest.approx(p["success"]["ci95"])
    from simgrasp.evaluation.leaderboard import suite_results

    heldout = suite_results(EVALUATIONS, "heldout")["policies"]
    absent = [n for n in rows if n not in heldout]
    assert absent, "expected some policy without a heldout record"
    md = to_markdown(list(rows.values()), agreement(list(rows.values()), EVALUATIONS))
    for name in absent:
        line = next(ln for ln in md.splitlines() if ln.startswith(f"| {name}"))
        assert line.split(" | ")[1] == "not run"
    assert rows["oracle"].privileged and "oracle (privileged)" in md


def test_tau_is_undefined_with_fewer_than_three_networks():
    rows = [r for r in build_rows(EVALUATIONS, CARDS_DIR, REPO_ROOT) if not r.is_network or r.name in ("scorer", "primary")]
    a = agreement(rows, EVALUATIONS)
    assert a.tau is None and "undefined" in to_markdown(rows, a)


# A user's network, defined here: a torch module honouring the network contract.
torch = pytest.importorskip("torch")


class TinyNet(torch.nn.Module):
    """One 3x3 convolution over depth; its best grasp sits at the quality map's maximum."""

    family = "tiny"
    score_kinds = ("quality",)
    modality = "depth"
    needs_depth = True
    ranking_info: dict = {}

    def __init__(self, width_px: float = 24.0) -> None:
        super().__init__()
        self.width_px = float(width_px)
        self.conv = torch.nn.Conv2d(1, 1, 3, padding=1)
        with torch.no_grad():  # higher where the scene is nearer the camera: on the object
            self.conv.weight.fill_(-1.0)
            self.conv.bias.zero_()

    def predict(self, images, depths=None):
        from simgrasp.model.maps.detector import MapPrediction

        out = []
        for depth in depths:
            with torch.no_grad():
                q = self.conv(torch.as_tensor(np.asarray(depth, np.float32))[None, None])[0, 0].numpy()
            order = np.argsort(-q, axis=None)[:8]
            ys, xs = np.unravel_index(order, q.shape)
            grasps = np.stack([xs, ys, np.zeros(len(xs)), np.full(len(xs), self.width_px), np.full(len(xs), 10.0)], 1)
            out.append(MapPrediction(grasps.astype(float), q[ys, xs].astype(float)))
        return out

    def predict_samples(self, samples):
        return self.predict([s.rgb for s in samples], [s.depth for s in samples])

    def detect(self, images, score="quality", top_k=None, depths=None):
        from simgrasp.geometry import GraspRect

        return [[(GraspRect.from_array(p.grasps[i]), float(p.quality[i])) for i in p.ranked(score, top_k=top_k)]
                for p in self.predict(images, depths)]


def test_an_external_network_is_ranked_on_the_board(tmp_path):
    cards = tmp_path / "cards"
    cards.mkdir()
    card = cards / "tiny.toml"
    card.write_text(
        'name = "tiny"\nimplementation = "network"\ndescription = "a user network"\n'
        '[options]\nnetwork = "test_leaderboard:TinyNet"\nwidth_px = 30.0\n'
    )
    evaluations = tmp_path / "evaluations"
    argv = ["--policy", f"{card},random", "--backend", "fake_backend:FakeBackend", "--objects", "fake:0-3"]
    code = evaluate.main([*argv, "--trials", "4", "--no-progress", "--out", str(evaluations / "heldout")])
    assert code == 0
    rows = {r.name: r for r in build_rows(evaluations, cards, REPO_ROOT)}
    assert set(rows) == {"tiny", "random"} and rows["tiny"].is_network
    recorded = json.loads((evaluations / "heldout" / "results.json").read_text())["policies"]["tiny"]["success"]
    assert rows["tiny"].cells["heldout"].successes == recorded["successes"] and recorded["n"] == 4
    md = write_leaderboard(evaluations, cards, REPO_ROOT)["md"].read_text()
    line = next(ln for ln in md.splitlines() if ln.startswith("| tiny"))
    assert f"#{rows['tiny'].ranks['heldout']}" in line and "undefined" in md
    assert not math.isnan(rows["tiny"].cells["heldout"].rate)


def test_a_run_added_beside_a_suite_joins_its_column_only_on_the_same_scenes(tmp_path):
    from simgrasp.evaluation.leaderboard import suite_results

    run = {"backend": "sim", "backend_options": {}, "objects": "fake:0-4", "seed": 0, "trials": 5}
    cell = {"success": {"successes": 3, "n": 5}}

    def write(path, policies, **changes):
        path.mkdir(parents=True, exist_ok=True)
        record = {"run": {**run, **changes, "policies": [{"label": p} for p in policies]},
                  "policies": {p: cell for p in policies}}
        (path / "results.json").write_text(json.dumps(record))

    write(tmp_path / "pile", ["heuristic"])
    write(tmp_path / "pile" / "networks", ["ggcnn2"])
    merged = suite_results(tmp_path, "pile")
    assert list(merged["policies"]) == ["heuristic", "ggcnn2"]
    assert [p["label"] for p in merged["run"]["policies"]] == ["heuristic", "ggcnn2"]
    assert suite_results(tmp_path, "packed") is None
    write(tmp_path / "pile" / "networks", ["ggcnn2"], seed=7)
    with pytest.raises(ValueError, match="expected the scenes of .* \\(seed 0\\), got seed 7"):
        suite_results(tmp_path, "pile")
    write(tmp_path / "pile" / "networks", ["heuristic"])
    with pytest.raises(ValueError, match="recorded in .* already"):
        suite_results(tmp_path, "pile")
