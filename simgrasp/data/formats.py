"""Opening a dataset: formats by name, detection of a folder's format, and the
``synthetic:N[:SEED]`` spec. The one place every command (train, jaccard, dataset) opens
a dataset from what the user typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from simgrasp.data.cornell import CornellDataset
from simgrasp.data.io import PROBLEM_KINDS, Dropped
from simgrasp.data.jacquard import JacquardDataset
from simgrasp.data.sample import GraspDataset, GraspSample
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


class ConcatDataset:
    """Several datasets read as one, in order (e.g. generated scenes of two object sets, or
    simulated scenes next to a real dataset). Object ids are kept as each part gives them."""

    def __init__(self, parts: list[GraspDataset]) -> None:
        if not parts:
            raise ValueError("expected at least one dataset to concatenate, got none")
        self.parts = parts
        self._ends = np.cumsum([len(p) for p in parts])

    def __len__(self) -> int:
        return int(self._ends[-1])

    def _locate(self, i: int) -> tuple[GraspDataset, int]:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for a dataset of {n} samples")
        i %= n
        part = int(np.searchsorted(self._ends, i, side="right"))
        return self.parts[part], i - (int(self._ends[part - 1]) if part else 0)

    def __getitem__(self, i: int) -> GraspSample:
        dataset, j = self._locate(i)
        return dataset[j]

    def object_ids(self) -> list[str]:
        return [oid for p in self.parts for oid in p.object_ids()]

    @property
    def dropped(self) -> list[Dropped]:
        """The scenes every part's reader left out, in order."""
        return [d for p in self.parts for d in getattr(p, "dropped", [])]


def dropped_summary(dropped: list[Dropped], examples: int = 2) -> list[str]:
    """One line per kind of problem (:data:`simgrasp.data.io.PROBLEM_KINDS` order) saying how
    many scenes were left out for it, with the reasons of the first ``examples``."""
    lines = []
    for kind, words in PROBLEM_KINDS.items():
        found = [d for d in dropped if d.kind == kind]
        if found:
            more = f" (and {len(found) - examples} more)" if len(found) > examples else ""
            scenes = "scene" if len(found) == 1 else "scenes"
            lines.append(f"{len(found)} {scenes} with {words}: " + "; ".join(d.reason for d in found[:examples]) + more)
    return lines


def open_dataset(spec: str | Path, format: str | None = None, **kwargs: Any) -> GraspDataset:
    """The dataset ``spec`` names: ``synthetic:N[:SEED]`` (N drawn scenes, for development
    without data), a folder read by the reader of ``format`` (detected if None), or several
    of these separated by commas, read one after another (:class:`ConcatDataset`);
    ``kwargs`` go to the readers. Raises FileNotFoundError or ValueError saying what was
    expected."""
    s = str(spec)
    if "," in s:
        return ConcatDataset([open_dataset(part.strip(), format, **kwargs) for part in s.split(",") if part.strip()])
    if s.startswith("synthetic:"):
        return _synthetic(s)
    if not Path(s).is_dir():
        raise FileNotFoundError(f"dataset folder not found: {s} (expected a dataset folder or synthetic:N[:SEED])")
    return FORMATS.get(format or detect_format(s))(Path(s), **kwargs)
