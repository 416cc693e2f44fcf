"""Dataset formats by name, and detection of a folder's format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from simgrasp.data.cornell import CornellDataset
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.data.sample import GraspDataset
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


def open_dataset(root: str | Path, format: str | None = None, **kwargs: Any) -> GraspDataset:
    """Open the dataset under ``root`` with the reader of ``format`` (detected if None)."""
    if not Path(root).is_dir():
        raise FileNotFoundError(f"dataset folder not found: {root}")
    return FORMATS.get(format or detect_format(root))(root, **kwargs)
