"""nn.init: distributions (bounds and moments against torch's formulas), structure, and torch's errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn import init
from tests.oracle.core import raised_messages

N = (200, 300)  # 60000 draws: moments within a few percent


def draw(fn, shape=N, **kw):
    t = ember.empty(*shape)
    out = fn(t, **kw)
    assert out is t
    return t.numpy()


@pytest.mark.parametrize("fn, kw, low, high, std", [
    (init.uniform_, dict(a=-2.0, b=3.0), -2.0, 3.0, 5 / math.sqrt(12)),
    (init.xavier_uniform_, dict(gain=2.0), None, None, 2.0 * math.sqrt(2 / (200 + 300))),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), None, None, math.sqrt(2 / 6) / math.sqrt(300)),
    (init.kaiming_uniform_, dict(mode="fan_out", nonlinearity="relu"), None, None, math.sqrt(2) / math.sqrt(200)),
])
def test_uniform_family(fn, kw, low, high, std):
    x = draw(fn, **kw)
    bound = std * math.sqrt(3)
    low = -bound if low is None else low
    high = bound if high is None else high
    assert x.min() >= low and x.max() <= high
    assert abs(x.min() - low) < 0.01 * (high - low) and abs(x.max() - high) < 0.01 * (high - low)
    assert abs(x.std() - std) < 0.03 * std and abs(x.mean() - (low + high) / 2) < 0.03 * (high - low)


@pytest.mark.parametrize("fn, kw, mean, std", [
    (init.normal_, dict(mean=1.0, std=2.0), 1.0, 2.0),
    (init.xavier_normal_, dict(gain=0.5), 0.0, 0.5 * math.sqrt(2 / 500)),
    (init.kaiming_normal_, dict(nonlinearity="tanh"), 0.0, 5 / 3 / math.sqrt(300)),
])
def test_normal_family(fn, kw, mean, std):
    x = draw(fn, **kw)
    assert abs(x.mean() - mean) < 0.03 * std + 1e-3 and abs(x.std() - std) < 0.03 * std


def test_trunc_normal_moments_match_truncated_normal():
    x = draw(init.trunc_normal_, mean=1.0, std=2.0, a=-1.0, b=2.0)
    t = torch.empty(*N)
    torch.nn.init.trunc_normal_(t, mean=1.0, std=2.0, a=-1.0, b=2.0)
    assert x.min() >= -1.0 and x.max() <= 2.0
    assert abs(x.mean() - t.mean().item()) < 0.02 and abs(x.std() - t.std().item()) < 0.02


def test_generator_makes_draws_reproducible():
    for fn in (init.uniform_, init.normal_, init.trunc_normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.orthogonal_):
        a = draw(fn, (4, 5), generator=ember.Generator().manual_seed(3))
        b = draw(fn, (4, 5), generator=ember.Generator().manual_seed(3))
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
def test_orthogonal(shape):
    x = draw(init.orthogonal_, shape, gain=2.0).reshape(shape[0], -1)
    rows, cols = x.shape
    gram = x @ x.T if rows <= cols else x.T @ x
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-5)


def test_eye_dirac_sparse_constant_match_torch():
    for m in (ember, torch):
        out = []
        t = m.empty(3, 4)
        m.nn.init.eye_(t)
        out.append(t.tolist())
        for shape, groups in (((4, 2, 3), 1), ((6, 2, 3, 3), 2), ((2, 3, 1, 3, 3), 1)):
            w = m.empty(*shape)
            m.nn.init.dirac_(w, groups)
            out.append(w.tolist())
        c = m.nn.init.constant_(m.empty(2), 0.5)
        out.append(c.tolist() + m.nn.init.ones_(m.empty(1)).tolist() + m.nn.init.zeros_(m.empty(1)).tolist())
        if m is ember:
            got = out
    assert got == out
    s = draw(init.sparse_, (10, 40), sparsity=0.25, std=0.5)
    assert ((s == 0).sum(axis=0) == 3).all()
    assert abs(s[s != 0].std() - 0.5) < 0.1


def test_gain_and_fan():
    for args in (("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("selu",)):
        assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for shape in ((3, 4), (5, 3, 2, 2), (2, 3, 4)):
        assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_errors_match_torch():
    cases = [
        lambda m: m.nn.init.calculate_gain("bogus"),
        lambda m: m.nn.init.calculate_gain("leaky_relu", "x"),
        lambda m: m.nn.init.xavier_uniform_(m.empty(3)),
        lambda m: m.nn.init.kaiming_normal_(m.empty(3, 3), mode="fan"),
        lambda m: m.nn.init.eye_(m.empty(2, 2, 2)),
        lambda m: m.nn.init.dirac_(m.empty(2, 2)),
        lambda m: m.nn.init.dirac_(m.empty(3, 2, 3), groups=2),
        lambda m: m.nn.init.orthogonal_(m.empty(3)),
        lambda m: m.nn.init.sparse_(m.empty(3), 0.1),
    ]
    for case in cases:
        t, e = raised_messages(case)
        assert e == t


def test_zero_element_and_deprecated_aliases_warn():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ember.empty(0, 3))
    with pytest.warns(FutureWarning, match="deprecated"):
        init.normal(ember.empty(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.normal_(ember.empty(2))


def test_init_does_not_record_graph():
    p = ember.nn.Parameter(ember.empty(3, 3))
    for fn in (init.uniform_, init.normal_, init.trunc_normal_, init.orthogonal_, init.eye_, init.zeros_):
        fn(p)
        assert p.grad_fn is None and p.requires_grad
