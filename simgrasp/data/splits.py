"""Object-wise (and image-wise) splits and k-fold cross-validation over grasp datasets.

Object-wise: every image of an object falls on the same side, so the test set holds only
unseen objects (the Jacquard paper's 5-fold object-wise cross-validation). Image-wise:
each image is its own group. Splits are deterministic from ``seed`` and independent of
the order in which samples were found (groups are sorted before shuffling).
"""

from __future__ import annotations

from typing import Callable, Literal, Sequence

import numpy as np

from simgrasp.data.sample import GraspDataset, GraspSample

SplitBy = Literal["object", "image"]

# How a sample index maps to its group; an unknown name lists the valid ones.
_GROUPERS: dict[str, Callable[[GraspDataset], list[str]]] = {
    "object": lambda ds: list(ds.object_ids()),
    "image": lambda ds: [str(i) for i in range(len(ds))],
}


class Subset:
    """A view of ``dataset`` restricted to ``indices`` (in that order); itself a
    :class:`GraspDataset`, so splits nest."""

    def __init__(self, dataset: GraspDataset, indices: Sequence[int]) -> None:
        n = len(dataset)
        bad = [i for i in indices if not 0 <= i < n]
        if bad:
            raise IndexError(f"subset indices must be in [0, {n}), got {bad[:5]}")
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> GraspSample:
        return self.dataset[self.indices[i]]

    def object_ids(self) -> list[str]:
        ids = self.dataset.object_ids()
        return [ids[i] for i in self.indices]


def _groups(dataset: GraspDataset, by: SplitBy) -> tuple[list[str], dict[str, list[int]]]:
    if by not in _GROUPERS:
        raise ValueError(f"unknown split kind {by!r}; valid: {', '.join(sorted(_GROUPERS))}")
    members: dict[str, list[int]] = {}
    for i, key in enumerate(_GROUPERS[by](dataset)):
        members.setdefault(key, []).append(i)
    return sorted(members), members


def kfold(dataset: GraspDataset, k: int = 5, seed: int = 0, by: SplitBy = "object") -> list[tuple[Subset, Subset]]:
    """``k`` (train, test) pairs: the groups are shuffled with ``seed`` and dealt into
    ``k`` near-equal folds; fold ``i`` is the test set of pair ``i``. Every sample is in
    exactly one test set, and no group is on both sides of a pair."""
    keys, members = _groups(dataset, by)
    if not 2 <= k <= len(keys):
        raise ValueError(f"k must be in [2, {len(keys)}] (the number of {by} groups), got {k}")
    order = np.random.default_rng(seed).permutation(len(keys))
    folds = [[keys[j] for j in part] for part in np.array_split(order, k)]
    pairs = []
    for i in range(k):
        test = sorted(idx for key in folds[i] for idx in members[key])
        test_set = set(test)
        train = [idx for idx in range(len(dataset)) if idx not in test_set]
        pairs.append((Subset(dataset, train), Subset(dataset, test)))
    return pairs


def train_test_split(
    dataset: GraspDataset, test_fraction: float = 0.2, seed: int = 0, by: SplitBy = "object"
) -> tuple[Subset, Subset]:
    """One (train, test) split holding out ``test_fraction`` of the groups (at least one,
    rounded to the nearest group), chosen with ``seed``."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    keys, members = _groups(dataset, by)
    if len(keys) < 2:
        raise ValueError(f"need at least 2 {by} groups to split, got {len(keys)}")
    n_test = min(len(keys) - 1, max(1, round(test_fraction * len(keys))))
    order = np.random.default_rng(seed).permutation(len(keys))
    test_keys = {keys[j] for j in order[:n_test]}
    test = sorted(idx for key in test_keys for idx in members[key])
    test_set = set(test)
    train = [idx for idx in range(len(dataset)) if idx not in test_set]
    return Subset(dataset, train), Subset(dataset, test)
