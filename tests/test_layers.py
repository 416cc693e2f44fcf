"""The import rules of the layers (docs: ARCHITECTURE.md, "Layers, bottom up").

Every module's imports are read from its source (AST, nothing is executed), lazy imports
inside functions included: a dependency that loads late is still a dependency. A runtime
check then confirms that the pure core really loads light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simgrasp"

# Small leaves every layer above geometry may use: names, TOML configs, grasp drawing.
LEAVES = {"registry", "config", "viz"}

# layer -> the simgrasp layers it may import (itself always). Top-level modules, the
# evaluation package and every ``bench`` module are commands: they may import anything.
ALLOWED: dict[str, set[str]] = {
    "geometry": set(),
    "backends": {"geometry", "registry"},
    "sim": {"geometry", "backends"} | LEAVES,
    "robots": {"geometry", "backends"} | LEAVES,
    "rehearsal": {"geometry", "backends", "robots", "sim"} | LEAVES,
    "model": {"geometry"} | LEAVES,
    "data": {"geometry", "sim", "model", "backends", "executors", "protocols"} | LEAVES,  # protocols: the run folder
    "policies": {"geometry", "model", "backends"} | LEAVES,
    "env": {"geometry", "backends", "protocols"},
    "executors": {"registry"},
    "protocols": {"geometry", "backends", "policies", "executors"} | LEAVES,
}

# Named exceptions, module -> the extra layers it may import.
# The oracle (privileged, the ceiling of a benchmark level) proposes the antipodal candidates
# the dataset generator annotates with (simgrasp.data.candidates: numpy and OpenCV only),
# so the concept is written once.
MODULE_EXCEPTIONS: dict[str, set[str]] = {"simgrasp.policies.oracle": {"data"}}

# Third-party packages a layer must not import (geometry is stricter: numpy and stdlib only).
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    "backends": {"pybullet", "torch", "gymnasium", "ray"},
    "sim": {"torch", "gymnasium", "ray"},
    "robots": {"pybullet", "torch", "gymnasium", "ray"},
    "rehearsal": {"torch", "gymnasium", "ray"},  # the twin drives PyBullet (through the sim)
    "model": {"pybullet", "gymnasium", "ray"},
    "data": {"gymnasium"},
    "policies": {"pybullet", "gymnasium", "ray"},
    "env": {"pybullet", "torch", "ray"},
    "executors": {"pybullet", "torch", "gymnasium"},
    "protocols": {"pybullet", "torch", "gymnasium", "ray"},
}
GEOMETRY_THIRD_PARTY = {"numpy"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module != "__future__":
                found.add(node.module or "")
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[-1] in ("bench", "ray_bench"):
        return None  # a top-level command or a benchmark
    return parts[1] if parts[1] in ALLOWED else None


MODULES = sorted(PACKAGE.rglob("*.py"))


def _violations(path: Path) -> list[str]:
    module = _module_name(path)
    layer = _layer(module)
    if layer is None:
        return []
    bad = []
    for name in sorted(_imports(path)):
        top, _, rest = name.partition(".")
        if top == "simgrasp":
            target = rest.partition(".")[0]
            if target and target != layer and target not in ALLOWED[layer] | MODULE_EXCEPTIONS.get(module, set()):
                bad.append(f"{module} ({layer}) imports {name}")
            elif not target:
                bad.append(f"{module} ({layer}) imports the whole simgrasp package")
        elif layer == "geometry":
            if top not in sys.stdlib_module_names and top not in GEOMETRY_THIRD_PARTY:
                bad.append(f"{module} (geometry) imports {name}: numpy and the standard library only")
        elif top in FORBIDDEN_THIRD_PARTY[layer]:
            bad.append(f"{module} ({layer}) imports {name}")
    return bad


def test_the_walk_sees_every_layer():
    layers = {_layer(_module_name(p)) for p in MODULES}
    assert set(ALLOWED) <= layers


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_module_respects_the_layer_table(path: Path):
    assert _violations(path) == []


def test_the_checker_catches_a_bad_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "simgrasp"
    (fake / "model").mkdir(parents=True)
    (fake / "geometry").mkdir()
    (fake / "model" / "x.py").write_text("def f():\n    from simgrasp.data.jacquard import JacquardDataset\n")
    (fake / "geometry" / "y.py").write_text("import torch\nfrom .rect import GraspRect\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert _violations(fake / "model" / "x.py") == ["simgrasp.model.x (model) imports simgrasp.data.jacquard"]
    assert _violations(fake / "geometry" / "y.py") == [
        "simgrasp.geometry.y (geometry) imports torch: numpy and the standard library only"
    ]


# Layers whose modules must not import one another in a circle (lazy imports included).
ACYCLIC_LAYERS = tuple(ALLOWED)


def _module_imports(path: Path) -> set[str]:
    """The simgrasp modules ``path`` imports, ``from pkg import mod`` resolved to ``pkg.mod``."""
    found = set(_imports(path))
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {n for n in found if n.startswith("simgrasp.")}


def _import_cycles(paths: list[Path]) -> list[list[str]]:
    """Every import circle among the modules at ``paths`` (each reported once, from its least name)."""
    graph = {_module_name(p): _module_imports(p) for p in paths}
    graph = {m: sorted(t for t in targets if t in graph and t != m) for m, targets in graph.items()}
    cycles: list[list[str]] = []

    def walk(start: str, node: str, trail: list[str]) -> None:
        for nxt in graph[node]:
            if nxt == start:
                cycles.append(trail)
            elif nxt > start and nxt not in trail:
                walk(start, nxt, trail + [nxt])

    for m in sorted(graph):
        walk(m, m, [m])
    return cycles


def test_robots_and_rehearsal_import_no_circle():
    paths = [p for p in MODULES if _layer(_module_name(p)) in ACYCLIC_LAYERS]
    assert len(paths) > 10 and _import_cycles(paths) == []


def test_the_circle_check_finds_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "simgrasp" / "rehearsal"
    fake.mkdir(parents=True)
    (fake / "a.py").write_text("from simgrasp.rehearsal import b\n")
    (fake / "b.py").write_text("def f():\n    from simgrasp.rehearsal.c import g\n")
    (fake / "c.py").write_text("import simgrasp.rehearsal.a\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "simgrasp")
    cycle = ["simgrasp.rehearsal.a", "simgrasp.rehearsal.b", "simgrasp.rehearsal.c"]
    assert _import_cycles(sorted(fake.glob("*.py"))) == [cycle]


def test_importing_geometry_loads_no_heavy_library():
    code = (
        "import json, sys; import simgrasp.geometry; "
        "print(json.dumps(sorted(m for m in ('pybullet', 'torch', 'gymnasium', 'cv2', 'ray') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert json.loads(out.stdout) == []


def test_the_env_is_registered_after_import_simgrasp_in_either_order():
    code = (
        "import sys; import simgrasp; assert 'gymnasium' not in sys.modules; "
        "import gymnasium; print('simgrasp/TopDownGrasp-v0' in gymnasium.registry)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "True"

