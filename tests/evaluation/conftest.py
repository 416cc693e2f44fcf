"""Shared pieces of the evaluation tests: the pure-numpy fake backend and test policies
live next to these tests and are imported by module name (also in spawned workers, which
inherit ``sys.path``)."""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

FAKE = "fake_backend:FakeBackend"


@pytest.fixture
def fake_config():
    """A RunConfig on the fake backend: heuristic and random, 6 trials each."""
    from simgrasp.evaluation.runner import RunConfig

    return RunConfig(policies=("heuristic", "random"), backend=FAKE, objects="fake:0-4", trials=6, seed=3)


@pytest.fixture(scope="session")
def tiny_cards(tmp_path_factory):
    """Cards for ``scorer`` and ``primary`` over a tiny randomly initialised network (64 px
    input), and for ``network`` over a randomly initialised GG-CNN2 (64 px depth), saved
    with the model's own checkpoint code. Skips when torch cannot build them."""
    torch = pytest.importorskip("torch")
    from simgrasp.model.checkpoint import save_checkpoint
    from simgrasp.model.config import ModelConfig
    from simgrasp.model.ggcnn.config import GGCNNConfig
    from simgrasp.model.ggcnn.network import GGCNN
    from simgrasp.model.network import GraspNet

    d = tmp_path_factory.mktemp("cards")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    save_checkpoint(
        d / "tiny.pt",
        GraspNet(ModelConfig(input_size=64, scorer_channels=32, scorer_hidden=16, scorer_param_width=32)),
        0,
    )
    save_checkpoint(d / "tiny_ggcnn2.pt", GGCNN(GGCNNConfig(input_size=64)), 0)
    torch.set_num_threads(threads)
    cards = {}
    for name in ("scorer", "primary"):
        # A relative checkpoint: resolved next to the card, whatever the working directory.
        (d / f"{name}.toml").write_text(f'name = "{name}"\nimplementation = "{name}"\ncheckpoint = "tiny.pt"\n')
        cards[name] = str(d / f"{name}.toml")
    # An untrained quality map has no peak above the threshold: the card takes its maximum.
    (d / "network.toml").write_text(
        'name = "network"\nimplementation = "network"\ncheckpoint = "tiny_ggcnn2.pt"\n[options.decode]\nfallback = true\n'
    )
    cards["network"] = str(d / "network.toml")
    return cards
