"""Datasets and random_split against torch.utils.data."""
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata


class Squares(edata.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(edata.IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_base_classes():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        edata.Dataset()[0]
    both = Squares(3) + Squares(2)
    assert isinstance(both, edata.ConcatDataset) and [both[i] for i in range(5)] == [0, 1, 4, 0, 1]
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, edata.ChainDataset) and list(chained) == [1, 2, 3] and len(chained) == 3
    assert issubclass(edata.IterableDataset, edata.Dataset)
    assert edata.Dataset[int] is not None  # generic, as user code annotates Dataset[T]


def test_tensor_dataset():
    x, y = ember.arange(12).reshape(6, 2), ember.arange(6)
    ds = edata.TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[4]
    assert a.tolist() == [8, 9] and b.item() == 4
    a, b = ds[[0, 5]]
    assert a.tolist() == [[0, 1], [10, 11]]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(x, ember.arange(5))


def test_concat_dataset_indices_match_torch():
    parts = [list(range(3)), list(range(10, 14)), [], list(range(20, 22))]
    e, t = edata.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(e) == len(t) == 9 and e.cumulative_sizes == t.cumulative_sizes
    assert [e[i] for i in range(-9, 9)] == [t[i] for i in range(-9, 9)]
    with pytest.raises(ValueError, match="absolute value of index"):
        e[-10]
    with pytest.raises(AssertionError, match="empty iterable"):
        edata.ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        edata.ConcatDataset([Stream([1])])


def test_chain_dataset_rejects_map_style():
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(edata.ChainDataset([Stream([1]), Squares(2)]))


def test_subset_matches_torch():
    base = Squares(10)
    idx = [7, 2, 2, 9]
    e, t = edata.Subset(base, idx), tdata.Subset(list(range(0, 100, 10)), idx)
    assert len(e) == 4 and [e[i] for i in range(4)] == [49, 4, 4, 81]
    assert e.__getitems__([0, 3]) == [49, 81] and t.__getitems__([0, 3]) == [70, 90]
    nested = edata.Subset(edata.Subset(base, [1, 3, 5, 7]), [3, 0])
    assert [nested[0], nested[1]] == [49, 1]

    class Bad(edata.Subset):
        def __getitem__(self, i):
            return 0
    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Bad(base, [0])


def test_stack_dataset():
    a, b = Squares(3), edata.TensorDataset(ember.arange(3))
    tup = edata.StackDataset(a, b)
    assert tup[2][0] == 4 and tup[2][1][0].item() == 2
    named = edata.StackDataset(sq=a, t=b)
    assert named[1]["sq"] == 1 and len(named) == 3
    assert [s["sq"] for s in named.__getitems__([2, 0])] == [4, 0]
    assert [s[0] for s in tup.__getitems__([1, 2])] == [1, 4]
    for bad in [lambda: edata.StackDataset(a, x=b), lambda: edata.StackDataset(),
                lambda: edata.StackDataset(a, Squares(4))]:
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (5, [1 / 3] * 3), (100, [0.25] * 4),
    (3, [0.1, 0.9]),
])
def test_random_split_sizes_match_torch(n, lengths):
    with warnings.catch_warnings(record=True) as caught_t:
        warnings.simplefilter("always")
        t = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings(record=True) as caught_e:
        warnings.simplefilter("always")
        e = edata.random_split(range(n), lengths, generator=ember.Generator().manual_seed(0))
    assert [len(s) for s in e] == [len(s) for s in t]
    assert [str(w.message) for w in caught_e] == [str(w.message) for w in caught_t]
    everything = sorted(i for s in e for i in (s[j] for j in range(len(s))))
    assert everything == list(range(n))  # disjoint and complete


def test_random_split_reproducible_and_errors():
    split = lambda seed: [list(s.indices) for s in edata.random_split(range(20), [5, 15],  # noqa: E731
                                                                     generator=ember.Generator().manual_seed(seed))]
    assert split(1) == split(1) and split(1) != split(2)
    ember.manual_seed(3)
    first = [list(s.indices) for s in edata.random_split(range(20), [0.5, 0.5])]
    ember.manual_seed(3)
    assert first == [list(s.indices) for s in edata.random_split(range(20), [0.5, 0.5])]
    for lengths in ([3, 3], [0.5, 0.6]):
        with pytest.raises(ValueError, match="Sum of input lengths"):
            edata.random_split(range(10), lengths)
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        edata.random_split(range(10), [1.5, -0.5])
    assert isinstance(edata.random_split(np.arange(4), [2, 2])[0], edata.Subset)
