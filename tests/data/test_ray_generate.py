"""Dataset generation on Ray: the same files and log as local workers, one log row per
scene, and a one-line error when Ray is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simgrasp.data.candidates import CandidateConfig
from simgrasp.data.generate import GenerateConfig
from simgrasp.data.runner import generate_dataset
from simgrasp.data.writer import LOG_NAME, read_log

OBJECTS = "pybullet_objects:jenga"
CFG = GenerateConfig(candidates=CandidateConfig(antipodal=6, random=2), max_grasps=3, noisy_depth=True)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*_*.*")) if p.name != LOG_NAME}


def _log(root: Path) -> list[dict]:
    rows = [{k: v for k, v in r.items() if k != "seconds"} for r in read_log(root)]
    return sorted(rows, key=lambda r: (r["object_index"], r["scene_index"]))


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance with two CPUs for this module."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_writes_the_same_files_as_a_local_worker(ray_cluster, tmp_path: Path) -> None:
    pytest.importorskip("pybullet")
    local, ray = tmp_path / "local", tmp_path / "ray"
    generate_dataset(OBJECTS, local, 2, workers=1, seed=7, cfg=CFG, progress=False)
    summary = generate_dataset(OBJECTS, ray, 2, seed=7, cfg=CFG, progress=False, executor="ray")
    assert summary["scenes_attempted"] == 2 and summary["scenes_kept"] >= 1
    assert _files(ray) == _files(local) and _files(ray)
    assert _log(ray) == _log(local)
    # resuming a finished run on Ray does nothing and writes no row twice
    again = generate_dataset(OBJECTS, ray, 2, seed=7, cfg=CFG, progress=False, resume=True, executor="ray")
    assert again["scenes_this_run"] == 0 and len(read_log(ray)) == 2


def test_without_ray_generation_names_the_install_command(monkeypatch, tmp_path: Path, capsys) -> None:
    from simgrasp.dataset import main

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as if not installed
    out = tmp_path / "gen"
    code = main(["generate", "--objects", OBJECTS, "--out", str(out), "--executor", "ray"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "pip install 'simgrasp[ray]'" in err
    assert not out.exists()


def test_address_needs_the_ray_executor(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--address is for --executor ray"):
        generate_dataset(OBJECTS, tmp_path / "gen", 1, address="auto", progress=False)
    with pytest.raises(ValueError, match="unknown executor 'dask'"):
        generate_dataset(OBJECTS, tmp_path / "gen", 1, executor="dask", progress=False)
