from __future__ import annotations

import numpy as np
import pytest

from simgrasp.data.sample import GraspDataset, GraspSample
from simgrasp.data.splits import Subset, kfold, train_test_split


class Toy:
    """A dataset of 3 images for each of 7 objects, in an interleaved order."""

    def __init__(self) -> None:
        self.ids = [f"obj{i % 7}" for i in range(21)]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> GraspSample:
        return GraspSample(np.zeros((4, 4, 3), np.uint8), np.zeros((0, 5)), self.ids[i], str(i))

    def object_ids(self) -> list[str]:
        return list(self.ids)


def test_object_folds_partition_objects() -> None:
    ds = Toy()
    folds = kfold(ds, k=5, seed=3)
    seen: list[int] = []
    for train, test in folds:
        assert isinstance(test, GraspDataset)
        assert not set(train.object_ids()) & set(test.object_ids())
        assert len(train) + len(test) == len(ds)
        seen += test.indices
    assert sorted(seen) == list(range(len(ds)))
    sizes = sorted(len(set(t.object_ids())) for _, t in folds)
    assert sizes == [1, 1, 1, 2, 2]


def test_folds_are_deterministic_and_seeded() -> None:
    a = [t.indices for _, t in kfold(Toy(), 5, seed=1)]
    b = [t.indices for _, t in kfold(Toy(), 5, seed=1)]
    c = [t.indices for _, t in kfold(Toy(), 5, seed=2)]
    assert a == b and a != c


def test_image_folds_and_subset_reads_through() -> None:
    train, test = kfold(Toy(), k=3, seed=0, by="image")[0]
    assert len(test) == 7 and test[0].scene_id == str(test.indices[0])
    nested = Subset(test, [1, 0])
    assert nested.object_ids() == [test.object_ids()[1], test.object_ids()[0]]


def test_train_test_split_holds_out_objects() -> None:
    train, test = train_test_split(Toy(), test_fraction=0.3, seed=0)
    assert len(set(test.object_ids())) == 2 and not set(train.object_ids()) & set(test.object_ids())


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k must be in"):
        kfold(Toy(), k=8)
    with pytest.raises(ValueError, match="unknown split kind"):
        kfold(Toy(), by="scene")  # type: ignore[arg-type]
    with pytest.raises(IndexError):
        Subset(Toy(), [21])
