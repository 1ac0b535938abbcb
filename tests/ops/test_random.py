"""Random ops: distributions (moments on 10**5 samples), ranges, shapes, dtypes, seeding, generators, gradients.

ember's streams are not torch's (ember/random.py), so values are checked statistically, not against torch.
"""
import math
import pickle

import numpy as np
import pytest
import torch

import ember

N = 100_000
FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def _np(t):
    return t.detach().float().numpy().astype(np.float64) if t.dtype is ember.bfloat16 else \
        t.detach().numpy().astype(np.float64)


def _moments(t, mean, var, tol=0.02):
    x = _np(t)
    assert abs(x.mean() - mean) <= tol * max(1.0, abs(mean)), (x.mean(), mean)
    assert abs(x.var() - var) <= 2 * tol * max(1.0, var), (x.var(), var)


@pytest.fixture(autouse=True)
def _seeded():
    ember.manual_seed(1234)


# ---------------------------------------------------------------------------------------------------------------
# distributions


@pytest.mark.parametrize("dtype", FLOATS)
def test_rand(dtype):
    t = ember.rand(N, dtype=getattr(ember, dtype))
    assert t.dtype is getattr(ember, dtype) and t.shape == (N,)
    x = _np(t)
    assert x.min() >= 0 and x.max() < 1
    _moments(t, 0.5, 1 / 12)


@pytest.mark.parametrize("dtype", FLOATS)
def test_randn(dtype):
    t = ember.randn(100, 1000, dtype=getattr(ember, dtype))
    assert t.dtype is getattr(ember, dtype) and t.shape == (100, 1000)
    _moments(t, 0.0, 1.0)


def test_low_precision_uniform_is_exact_and_below_one():
    for dt, k in ((ember.float16, 11), (ember.bfloat16, 8)):
        x = _np(ember.rand(N, dtype=dt))
        assert x.max() < 1 and np.all(x * 2 ** k == np.round(x * 2 ** k))
        assert len(np.unique(x)) > 2 ** k * 0.9  # every level is reachable


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_(dtype):
    t = ember.empty(N, dtype=getattr(ember, dtype)).uniform_(-2, 6)
    x = _np(t)
    assert x.min() >= -2 and x.max() <= 6
    _moments(t, 2.0, 64 / 12, tol=0.03)


@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_(dtype):
    _moments(ember.empty(N, dtype=getattr(ember, dtype)).normal_(3, 2), 3.0, 4.0, tol=0.03)


def test_normal_factory():
    t = ember.normal(-1.0, 0.5, (N,))
    assert t.dtype is ember.float32
    _moments(t, -1.0, 0.25)
    assert ember.normal(0.0, 1.0, size=(2, 3), dtype=ember.float64).dtype is ember.float64


def test_normal_tensor_mean_std_broadcast():
    mean = ember.tensor([[-5.0], [0.0], [5.0]])
    assert ember.normal(mean, ember.tensor([0.5, 1.0, 2.0, 0.0])).shape == (3, 4)
    x = _np(ember.normal(mean.expand(3, N), 2.0))
    np.testing.assert_allclose(x.mean(1), [-5, 0, 5], atol=0.05)
    np.testing.assert_allclose(x.std(1), [2, 2, 2], atol=0.05)
    std = ember.tensor([[0.5], [3.0]]).expand(2, N)
    y = _np(ember.normal(ember.tensor([1.0, -1.0]).reshape(2, 1), std))
    np.testing.assert_allclose(y.mean(1), [1, -1], atol=0.05)
    np.testing.assert_allclose(y.std(1), [0.5, 3.0], rtol=0.02)
    assert ember.normal(ember.full((10,), 7.0), 0.0).tolist() == [7.0] * 10


def test_normal_number_mean_tensor_std():
    std = ember.full((N,), 3.0, dtype=ember.float64)
    t = ember.normal(2.0, std)
    assert t.dtype is ember.float64
    _moments(t, 2.0, 9.0, tol=0.03)


@pytest.mark.parametrize("mean_dt,std_dt", [("float32", "float64"), ("float64", "float32"), ("float16", "float64")])
def test_normal_dtype_is_means(mean_dt, std_dt):
    e = ember.normal(ember.zeros(2, dtype=getattr(ember, mean_dt)), ember.ones(2, dtype=getattr(ember, std_dt)))
    t = torch.normal(torch.zeros(2, dtype=getattr(torch, mean_dt)), torch.ones(2, dtype=getattr(torch, std_dt)))
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


def test_exponential_():
    t = ember.empty(N).exponential_(4.0)
    assert _np(t).min() >= 0
    _moments(t, 0.25, 1 / 16)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int16"])
def test_geometric_(dtype):
    t = ember.empty(N, dtype=getattr(ember, dtype)).geometric_(0.25)
    x = _np(t)
    assert x.min() >= 1 and np.all(x == np.round(x))
    _moments(t, 4.0, 0.75 / 0.0625, tol=0.03)


def test_log_normal_():
    t = ember.empty(N, dtype=ember.float64).log_normal_(0.5, 0.25)
    assert _np(t).min() > 0
    _moments(t, math.exp(0.5 + 0.25 ** 2 / 2), (math.exp(0.25 ** 2) - 1) * math.exp(1 + 0.25 ** 2), tol=0.02)
    _moments(t.log(), 0.5, 0.0625)


def test_cauchy_():
    x = _np(ember.empty(N).cauchy_(3.0, 2.0))
    assert abs(np.median(x) - 3.0) < 0.05
    q1, q3 = np.percentile(x, [25, 75])  # the quartiles of Cauchy(m, s) are m -+ s
    assert abs(q1 - 1.0) < 0.1 and abs(q3 - 5.0) < 0.1


def test_poisson():
    rates = ember.tensor([0.5, 4.0, 30.0]).expand(N, 3).contiguous()
    x = _np(ember.poisson(rates))
    assert np.all(x == np.round(x)) and x.min() >= 0
    np.testing.assert_allclose(x.mean(0), [0.5, 4.0, 30.0], rtol=0.02)
    np.testing.assert_allclose(x.var(0), [0.5, 4.0, 30.0], rtol=0.04)
    assert ember.poisson(ember.zeros(5, dtype=ember.float64)).dtype is ember.float64


@pytest.mark.parametrize("dtype", FLOATS)
def test_bernoulli(dtype):
    p = ember.tensor([0.0, 0.1, 0.5, 1.0], dtype=getattr(ember, dtype)).expand(N, 4).contiguous()
    t = ember.bernoulli(p)
    assert t.dtype is p.dtype
    x = _np(t)
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_allclose(x.mean(0), [0.0, 0.1, 0.5, 1.0], atol=0.01)
    assert _np(ember.bernoulli(ember.zeros(N, dtype=ember.int64), 0.3)).mean() == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
def test_bernoulli_(dtype):
    t = ember.empty(N, dtype=getattr(ember, dtype)).bernoulli_(0.7)
    assert t.dtype is getattr(ember, dtype)
    assert _np(t).mean() == pytest.approx(0.7, abs=0.01)
    t = ember.empty(N // 2, 2).bernoulli_(ember.tensor([0.2, 0.9]))
    np.testing.assert_allclose(_np(t).mean(0), [0.2, 0.9], atol=0.01)


@pytest.mark.parametrize("dtype", INTS + ["float32", "float64"])
def test_randint(dtype):
    t = ember.randint(-3 if dtype != "uint8" else 0, 7, (N,), dtype=getattr(ember, dtype))
    assert t.dtype is getattr(ember, dtype)
    x = _np(t)
    lo = -3 if dtype != "uint8" else 0
    assert set(np.unique(x)) == set(range(lo, 7))
    counts = np.bincount((x - lo).astype(int))
    assert counts.min() > 0.9 * N / len(counts)


def test_randint_forms():
    assert ember.randint(5, (3, 2)).dtype is ember.int64 and ember.randint(5, (3, 2)).shape == (3, 2)
    assert ember.randint(2, 5, (4,)).min().item() >= 2
    assert ember.randint(high=5, size=(4,)).max().item() < 5
    assert ember.randint(0, 2, (N,), dtype=ember.bool).float().mean().item() == pytest.approx(0.5, abs=0.01)
    big = _np(ember.randint(-2 ** 63, 2 ** 63 - 1, (1000,)))
    assert big.min() < -2 ** 61 and big.max() > 2 ** 61


@pytest.mark.parametrize("dtype,top", [("float32", 2 ** 24), ("float64", 2 ** 53), ("float16", 2 ** 11),
                                       ("bfloat16", 2 ** 8), ("int8", 127), ("uint8", 255), ("int64", 2 ** 63 - 1),
                                       ("bool", 1)])
def test_random_(dtype, top):
    x = ember.empty(N, dtype=getattr(ember, dtype)).random_().numpy() if dtype != "bfloat16" else \
        _np(ember.empty(N, dtype=ember.bfloat16).random_())
    assert x.min() >= 0 and x.max() <= top and x.max() >= top * 0.9
    assert _np(ember.empty(N, dtype=getattr(ember, dtype)).random_(1)).max() == 0
    if dtype != "bool":
        y = _np(ember.empty(N, dtype=getattr(ember, dtype)).random_(-3 if dtype != "uint8" else 2, 5))
        assert set(np.unique(y)) == set(range(-3 if dtype != "uint8" else 2, 5))
        z = _np(ember.empty(N, dtype=getattr(ember, dtype)).random_(**{"from": 3, "to": 5}))
        assert set(np.unique(z)) == {3, 4}


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_randperm(n):
    t = ember.randperm(n)
    assert t.dtype is ember.int64 and sorted(t.tolist()) == list(range(n))
    assert ember.randperm(n, dtype=ember.float32).dtype is ember.float32


def test_randperm_is_uniform():
    firsts = np.bincount([ember.randperm(4)[0].item() for _ in range(4000)], minlength=4)
    assert firsts.min() > 850


def test_multinomial_with_replacement():
    p = ember.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 0.0, 2.0]])
    t = ember.multinomial(p, N, replacement=True)
    assert t.dtype is ember.int64 and t.shape == (2, N)
    x = t.numpy()
    np.testing.assert_allclose(np.bincount(x[0], minlength=4) / N, [1 / 8, 0, 3 / 8, 4 / 8], atol=0.01)
    assert (x[1] == 3).all()


def test_multinomial_without_replacement():
    p = ember.tensor([1.0, 2.0, 3.0, 4.0])
    draws = np.array([ember.multinomial(p, 4).tolist() for _ in range(5000)])
    assert all(sorted(row) == [0, 1, 2, 3] for row in draws)
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=4) / 5000, [0.1, 0.2, 0.3, 0.4], atol=0.025)
    # the second draw is from the rest, renormalised: P(second = 0 | first = 3) = 1/6
    second = draws[draws[:, 0] == 3, 1]
    assert np.mean(second == 0) == pytest.approx(1 / 6, abs=0.04)
    assert ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 2)[0].item() == 0  # zero weights come last, as in torch
    assert ember.multinomial(ember.ones(0, 3), 2).shape == (0, 2)
    assert ember.tensor([[1.0, 1.0]]).multinomial(1).shape == (1, 1)


@pytest.mark.parametrize("fn", [
    lambda x, g: ember.rand_like(x, generator=g), lambda x, g: ember.randn_like(x, generator=g),
    lambda x, g: ember.randint_like(x, 10, generator=g), lambda x, g: ember.randint_like(x, 3, 10, generator=g)])
def test_like(fn):
    x = ember.ones(4, 5, dtype=ember.float64).t()
    t = fn(x, None)
    assert t.shape == x.shape and t.dtype is ember.float64 and t.stride() == x.stride()
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    assert fn(x, g1).tolist() == fn(x, g2).tolist()


def test_randint_like_range():
    x = _np(ember.randint_like(ember.zeros(N, dtype=ember.int32), 3, 6))
    assert set(np.unique(x)) == {3, 4, 5}


# ---------------------------------------------------------------------------------------------------------------
# seeding and generators


def _draw(generator=None):
    g = {"generator": generator}
    x = ember.empty(3, 4)
    return [ember.rand(3, **g), ember.randn(2, 2, **g), ember.randint(0, 100, (5,), **g), ember.randperm(6, **g),
            ember.normal(0.0, 1.0, (3,), **g), ember.normal(ember.zeros(3), ember.ones(3), **g),
            ember.bernoulli(ember.full((6,), 0.5), **g), ember.multinomial(ember.ones(5), 3, **g),
            ember.multinomial(ember.ones(5), 8, True, **g), ember.poisson(ember.full((4,), 3.0), **g),
            x.clone().uniform_(**g), x.clone().normal_(**g), x.clone().bernoulli_(0.5, **g),
            x.clone().exponential_(**g), x.clone().random_(10, **g), x.clone().geometric_(0.5, **g),
            x.clone().log_normal_(**g), x.clone().cauchy_(**g), ember.rand_like(x, **g)]


def _same(a, b):
    return all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, b))


def test_manual_seed_reproduces_every_op():
    ember.manual_seed(7)
    first = _draw()
    ember.manual_seed(7)
    assert _same(first, _draw())
    ember.manual_seed(8)
    assert not _same(first, _draw())


def test_generator_reproduces_and_is_isolated():
    ember.manual_seed(11)
    plain = _draw()
    ember.manual_seed(11)
    g = ember.Generator().manual_seed(99)
    from_g = _draw(g)
    assert _same(plain, _draw())  # drawing from g did not advance the default generator
    assert _same(from_g, _draw(ember.Generator().manual_seed(99)))
    assert not _same(from_g, plain)


def test_manual_seed_returns_default_generator():
    g = ember.manual_seed(5)
    assert g is ember.default_generator and isinstance(g, ember.Generator)
    assert ember.initial_seed() == 5 and ember.random.initial_seed() == 5
    assert ember.manual_seed(-1).initial_seed() == 2 ** 64 - 1 == torch.manual_seed(-1).initial_seed()
    assert ember.manual_seed(2 ** 64 - 1).initial_seed() == 2 ** 64 - 1
    torch.manual_seed(0)


def test_fresh_generator_seed_matches_torch():
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    assert ember.Generator().device == ember.device("cpu") and ember.Generator("cpu").device.type == "cpu"


def test_seed_is_nondeterministic_and_recorded():
    s1 = ember.seed()
    assert ember.initial_seed() == s1 and 0 <= s1 < 2 ** 64
    assert ember.seed() != s1


def test_state_roundtrip():
    g = ember.Generator().manual_seed(42)
    ember.rand(10, generator=g)
    state = g.get_state()
    assert state.dtype is ember.uint8 and state.ndim == 1
    a = ember.randn(100, generator=g)
    g.manual_seed(0)
    assert g.set_state(state) is g and g.initial_seed() == 42
    assert np.array_equal(a.numpy(), ember.randn(100, generator=g).numpy())


def test_rng_state_and_fork_rng():
    ember.manual_seed(3)
    state = ember.get_rng_state()
    a = ember.rand(5)
    ember.set_rng_state(state)
    assert np.array_equal(a.numpy(), ember.rand(5).numpy())
    before = ember.get_rng_state()
    with ember.random.fork_rng():
        ember.rand(100)
    assert np.array_equal(before.numpy(), ember.get_rng_state().numpy())
    with ember.random.fork_rng(enabled=False):
        ember.rand(1)
    assert not np.array_equal(before.numpy(), ember.get_rng_state().numpy())


def test_set_state_rejects_foreign_states():
    with pytest.raises(RuntimeError):
        ember.set_rng_state(ember.zeros(5056, dtype=ember.uint8))
    with pytest.raises(TypeError):
        ember.set_rng_state(ember.zeros(48))


def test_generator_pickles():
    g = ember.Generator().manual_seed(17)
    ember.rand(3, generator=g)
    h = pickle.loads(pickle.dumps(g))
    assert h.initial_seed() == 17
    assert np.array_equal(ember.rand(4, generator=g).numpy(), ember.rand(4, generator=h).numpy())


def test_manual_seed_accepts_what_torch_accepts():
    assert ember.manual_seed(3.7).initial_seed() == torch.manual_seed(3.7).initial_seed() == 3
    assert ember.manual_seed(np.int64(9)).initial_seed() == 9
    with pytest.raises(RuntimeError):
        ember.Generator().manual_seed(1.5)
    with pytest.raises(ValueError):
        ember.manual_seed(-2 ** 63 - 1)
    torch.manual_seed(0)


# ---------------------------------------------------------------------------------------------------------------
# gradients: zero, as torch's


@pytest.mark.parametrize("name,fn", [
    ("normal_tensor_tensor", lambda m, a, b: m.normal(a, b.exp())),
    ("normal_tensor_float", lambda m, a, b: m.normal(a, 2.0) + b),
    ("normal_float_tensor", lambda m, a, b: m.normal(1.0, b.exp()) + a),
    ("bernoulli", lambda m, a, b: m.bernoulli(a.sigmoid()) + b),
    ("poisson", lambda m, a, b: m.poisson(a.exp()) + b),
    ("uniform_", lambda m, a, b: (a * 2).uniform_() + b),
    ("normal_", lambda m, a, b: (a * 2).normal_() + b),
    ("bernoulli_", lambda m, a, b: (a * 2).bernoulli_(b.sigmoid().detach())),
    ("exponential_", lambda m, a, b: (a + b).exponential_()),
    ("random_", lambda m, a, b: (a + b).random_(5)),
    ("geometric_", lambda m, a, b: (a + b).geometric_(0.5)),
    ("log_normal_", lambda m, a, b: (a + b).log_normal_()),
    ("cauchy_", lambda m, a, b: (a + b).cauchy_()),
])
def test_gradients_match_torch(name, fn):
    vals = np.random.default_rng(0).uniform(-1, 1, (2, 3, 4))
    grads = []
    for m in (ember, torch):
        a = m.tensor(vals[0], requires_grad=True)
        b = m.tensor(vals[1], requires_grad=True)
        out = fn(m, a, b)
        assert out.requires_grad
        out.backward(m.ones_like(out))
        grads.append([None if x.grad is None else x.grad.numpy() for x in (a, b)])
    for e, t in zip(*grads):
        assert (e is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(e, t, atol=1e-6)


def test_in_place_sampler_on_leaf_requiring_grad_raises_but_works_under_no_grad():
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        w.normal_()
    with ember.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf and (w != 0).all()


def test_in_place_sampler_writes_through_views_and_bumps_version():
    x = ember.zeros(4, 4)
    v0 = x._version
    x[:, 1].uniform_(5, 6)
    col = _np(x[:, 1])
    assert (col >= 5).all() and (col < 6).all() and (_np(x[:, 0]) == 0).all()
    assert x._version > v0
    y = ember.zeros(3, 4).t()
    y.normal_()
    assert (_np(y) != 0).all()
