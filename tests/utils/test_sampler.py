"""Samplers: index sequences against torch where they are deterministic, statistics where they are random."""
import numpy as np
import pytest
import torch.utils.data as tdata

import ember
import ember.utils.data as edata


def test_sequential_sampler_matches_torch():
    for n in (0, 1, 7):
        data = list(range(n))
        assert list(edata.SequentialSampler(data)) == list(tdata.SequentialSampler(data))
        assert len(edata.SequentialSampler(data)) == n


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False),
                                                      (2, 5, True), (0, 2, False), (7, 1, False)])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    e = edata.BatchSampler(edata.SequentialSampler(range(n)), batch_size, drop_last)
    t = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(e) == list(t) and len(e) == len(t)
    assert list(edata.BatchSampler(range(n), batch_size, drop_last)) == list(t)  # any iterable of indices


@pytest.mark.parametrize("make", [
    lambda m, s: m.BatchSampler(s, 0, False), lambda m, s: m.BatchSampler(s, True, False),
    lambda m, s: m.BatchSampler(s, 2, 1), lambda m, s: m.RandomSampler(s, replacement=1),
    lambda m, s: m.RandomSampler(s, num_samples=0), lambda m, s: m.RandomSampler([], num_samples=None),
    lambda m, s: m.WeightedRandomSampler([1.0, 2.0], 0), lambda m, s: m.WeightedRandomSampler([1.0, 2.0], 2, 1),
    lambda m, s: m.WeightedRandomSampler([[1.0, 2.0]], 2),
])
def test_bad_arguments_raise_as_torch(make):
    src = list(range(5))
    with pytest.raises(Exception) as expected:
        make(tdata, src)
    with pytest.raises(expected.type, match=str(expected.value).replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        make(edata, src)


def test_random_sampler_is_a_permutation_and_reproducible():
    data = list(range(50))
    order = list(edata.RandomSampler(data, generator=ember.Generator().manual_seed(0)))
    assert sorted(order) == data and order != data
    assert order == list(edata.RandomSampler(data, generator=ember.Generator().manual_seed(0)))
    ember.manual_seed(5)
    a = list(edata.RandomSampler(data))
    ember.manual_seed(5)
    assert a == list(edata.RandomSampler(data))
    sampler = edata.RandomSampler(data, generator=ember.Generator().manual_seed(1))
    assert list(sampler) != list(sampler)  # a new order every epoch


def test_random_sampler_num_samples_and_replacement():
    data = list(range(10))
    s = edata.RandomSampler(data, num_samples=25)
    out = list(s)
    assert len(s) == 25 and len(out) == 25
    for chunk in (out[:10], out[10:20]):
        assert sorted(chunk) == data  # whole permutations first, as torch
    assert len(set(out[20:])) == 5
    r = edata.RandomSampler(data, replacement=True, num_samples=4000, generator=ember.Generator().manual_seed(0))
    draws = np.array(list(r))
    assert len(draws) == 4000 and draws.min() >= 0 and draws.max() <= 9
    counts = np.bincount(draws, minlength=10)
    assert np.all(np.abs(counts - 400) < 5 * np.sqrt(400 * 0.9))  # 5 sigma around uniform
    assert len(edata.RandomSampler(data, replacement=True)) == 10 and len(list(edata.RandomSampler(data, True))) == 10


def test_subset_random_sampler():
    idx = [3, 9, 27, 81]
    out = list(edata.SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(0)))
    assert sorted(out) == sorted(idx) and len(edata.SubsetRandomSampler(idx)) == 4
    assert out == list(edata.SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(0)))


def test_weighted_random_sampler_statistics():
    weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.0]
    s = edata.WeightedRandomSampler(weights, 20000, generator=ember.Generator().manual_seed(0))
    draws = np.array(list(s))
    assert len(s) == 20000 and len(draws) == 20000
    p = np.array(weights) / sum(weights)
    counts = np.bincount(draws, minlength=6)
    sigma = np.sqrt(20000 * p * (1 - p))
    assert counts[5] == 0 and np.all(np.abs(counts - 20000 * p) <= 5 * sigma + 1)
    assert s.weights.dtype == ember.float64
    no_repeat = list(edata.WeightedRandomSampler([1.0, 5.0, 1.0, 0.5], 4, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2, 3]


def test_sampler_base_and_generic():
    class Evens(edata.Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

    assert list(edata.BatchSampler(Evens(9), 2, False)) == [[0, 2], [4, 6], [8]]
    with pytest.raises(NotImplementedError):
        iter(edata.Sampler())
