"""Reaching a Ray cluster: an address nobody answers at fails in bounded time, with one
line and a non-zero exit, and leaves no run folder behind (both commands)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simgrasp.executors.ray import RayExecutor, RayOptions, _host_port

pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[2]
FAKE = REPO / "tests" / "evaluation"  # fake_backend.py, a backend with no simulator


def _run(args: list[str], timeout_s: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(FAKE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env, timeout=timeout_s)


def _evaluate(address: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return _run(["simgrasp.evaluate", "--backend", "fake_backend:FakeBackend", "--objects", "fake:0-4", "--policy",
                 "heuristic", "--trials", "2", "--executor", "ray", "--address", address, "--out", str(out),
                 "--no-progress", *extra])


def test_addresses_name_a_host_and_port():
    assert _host_port("127.0.0.1:6379") == ("127.0.0.1", 6379)
    assert _host_port("ray://head.example:10001") == ("head.example", 10001)
    assert _host_port("[::1]:6379") == ("::1", 6379)
    assert _host_port("auto") is None


def test_bad_ray_options_are_refused():
    with pytest.raises(ValueError, match="connect_timeout_s > 0"):
        RayExecutor(None, RayOptions(connect_timeout_s=0))  # type: ignore[arg-type]


def test_a_refused_address_fails_at_once_in_both_commands(tmp_path: Path):
    run = _evaluate("127.0.0.1:1", tmp_path / "run")
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == (
        "error: cannot reach the Ray cluster at '127.0.0.1:1': connection refused (is `ray start` running there?)"
    )
    assert not (tmp_path / "run").exists()
    gen = _run(["simgrasp.dataset", "generate", "--objects", "pybullet_objects:jenga", "--out", str(tmp_path / "gen"),
                "--executor", "ray", "--address", "127.0.0.1:1"])
    # pybullet prints a banner when it loads; the error itself is one line
    errors = [line for line in gen.stderr.splitlines() if "error" in line.lower()]
    assert gen.returncode == 2 and len(errors) == 1 and "connection refused" in errors[0]
    assert not (tmp_path / "gen").exists()


def test_a_port_that_never_answers_is_given_up_after_the_connect_timeout(tmp_path: Path):
    with socket.socket() as silent:  # accepts connections, never speaks Ray's protocol
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        run = _evaluate(f"127.0.0.1:{port}", tmp_path / "run", "--connect-timeout", "2")
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == f"error: cannot reach the Ray cluster at '127.0.0.1:{port}': no answer within 2 s (--connect-timeout)"
    assert not (tmp_path / "run").exists()
