"""Flatten, Unflatten, CosineSimilarity, PairwiseDistance and pdist against torch."""
import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raises_like_torch, to_ember, to_torch

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("args,shape", [((), (2, 3, 4)), ((0, -1), (2, 3, 4)), ((1, 2), (2, 3, 4, 5)),
                                        ((2, 3), (2, 3, 4, 5))])
def test_flatten(args, shape):
    check_module(lambda m: m.nn.Flatten(*args), [arr(*shape)])
    assert repr(ember.nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


@pytest.mark.parametrize("dim,sizes,shape", [(1, (2, 3), (4, 6)), (-1, [2, -1], (3, 8)), (0, (1, 2), (2, 5))])
def test_unflatten(dim, sizes, shape):
    check_module(lambda m: m.nn.Unflatten(dim, sizes), [arr(*shape)])
    assert repr(ember.nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


def test_unflatten_errors():
    for bad in [lambda m: m.nn.Unflatten(1, 6), lambda m: m.nn.Unflatten(1, (2, 3.0)),
                lambda m: m.nn.Unflatten(1, (4, 2))(m.ones(2, 6))]:
        raises_like_torch(bad)


@pytest.mark.parametrize("dim,s1,s2", [(1, (3, 4), (3, 4)), (-1, (2, 3, 4), (4,)), (0, (4,), (4,)),
                                       (1, (2, 5, 3), (2, 1, 3)), (1, (0, 3), (0, 3))])
def test_cosine_similarity(dim, s1, s2):
    check_module(lambda m: m.nn.CosineSimilarity(dim), [arr(*s1), arr(*s2)])


def test_cosine_similarity_zero_vector_and_dtypes():
    x = arr(3, 4)
    x[1] = 0
    check_module(lambda m: m.nn.CosineSimilarity(1, eps=1e-3), [x, arr(3, 4)])
    for m in (ember, torch):
        out = m.nn.functional.cosine_similarity(m.ones(2, 3, dtype=m.long), m.ones(2, 3, dtype=m.float64))
        assert str(out.dtype).split(".")[-1] == "float64"
    for bad in [lambda m: m.nn.functional.cosine_similarity(m.ones(3, 4), m.ones(3, 5)),
                lambda m: m.nn.functional.cosine_similarity(m.ones(3, 4, dtype=m.long), m.ones(3, 4, dtype=m.long)),
                lambda m: m.nn.functional.cosine_similarity(m.ones(4), m.ones(4))]:
        with pytest.raises(Exception) as t_err:
            bad(torch)
        with pytest.raises(type(t_err.value)) as e_err:
            bad(ember)
        assert str(t_err.value) == str(e_err.value).split("\n")[0]


@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (3.0, False), (float("inf"), False)])
@pytest.mark.parametrize("s1,s2", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (4,))])
def test_pairwise_distance(p, keepdim, s1, s2):
    check_module(lambda m: m.nn.PairwiseDistance(p, keepdim=keepdim), [arr(*s1), arr(*s2)])


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, float("inf")])
def test_pdist(p):
    x = arr(5, 3)
    e, t = to_ember(x, True), to_torch(x, True)
    ye, yt = ember.pdist(e, p), torch.nn.functional.pdist(t, p)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
    g = arr(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_pdist_edges_and_errors():
    assert tuple(ember.pdist(ember.ones(1, 3)).shape) == (0,)
    for bad in [lambda m: m.pdist(m.ones(4)), lambda m: m.pdist(m.ones(4, 3), -1.0),
                lambda m: m.pdist(m.ones(4, 3, dtype=m.long))]:
        with pytest.raises(Exception) as t_err:
            bad(torch)
        with pytest.raises(type(t_err.value)) as e_err:
            bad(ember)
        assert str(t_err.value) == str(e_err.value)


def test_reprs():
    assert repr(ember.nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity()) == "CosineSimilarity()"
    assert repr(ember.nn.PairwiseDistance(1.0)) == repr(torch.nn.PairwiseDistance(1.0))
