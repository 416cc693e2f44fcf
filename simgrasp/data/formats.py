"""Opening a dataset: formats by name, detection of a folder's format, and the
``synthetic:N[:SEED]`` spec. The one place every command (train, jaccard, dataset) opens
a dataset from what the user typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from simgrasp.data.cornell import CornellDataset
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.data.sample import GraspDataset
from simgrasp.data.synthetic import SyntheticGraspDataset
from simgrasp.registry import Registry

FORMATS: Registry[Callable[..., GraspDataset]] = Registry("dataset format")
FORMATS.register("jacquard")(JacquardDataset)
FORMATS.register("cornell")(CornellDataset)

# A file pattern that only one format has, to recognise a folder.
_MARKERS = {"jacquard": "*_grasps.txt", "cornell": "pcd*cpos.txt"}


def detect_format(root: str | Path) -> str:
    """The name of the format of the dataset under ``root`` (searched recursively)."""
    found = [name for name, pattern in _MARKERS.items() if next(Path(root).rglob(pattern), None) is not None]
    if len(found) != 1:
        raise ValueError(
            f"{root}: expected files of exactly one dataset format "
            f"({', '.join(f'{n}: {p}' for n, p in _MARKERS.items())}), found {found or 'none'}"
        )
    return found[0]


SYNTHETIC_SIZE_PX = 320  # side of the drawn scenes of a ``synthetic:`` spec (the network's input size)


def _synthetic(spec: str) -> GraspDataset:
    try:
        parts = [int(v) for v in spec.split(":")[1:]]
        if not 1 <= len(parts) <= 2:
            raise ValueError
    except ValueError:
        raise ValueError(f"expected synthetic:N or synthetic:N:SEED with integers, got {spec!r}") from None
    n, seed = parts[0], (parts[1] if len(parts) > 1 else 0)
    return SyntheticGraspDataset(n, SYNTHETIC_SIZE_PX, seed=seed)


def open_dataset(spec: str | Path, format: str | None = None, **kwargs: Any) -> GraspDataset:
    """The dataset ``spec`` names: ``synthetic:N[:SEED]`` (N drawn scenes, for development
    without data) or a folder read by the reader of ``format`` (detected if None);
    ``kwargs`` go to that reader. Raises FileNotFoundError or ValueError saying what was
    expected."""
    s = str(spec)
    if s.startswith("synthetic:"):
        return _synthetic(s)
    if not Path(s).is_dir():
        raise FileNotFoundError(f"dataset folder not found: {s} (expected a dataset folder or synthetic:N[:SEED])")
    return FORMATS.get(format or detect_format(s))(Path(s), **kwargs)
