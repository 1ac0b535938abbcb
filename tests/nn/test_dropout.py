"""Dropout layers: masks are ember's own random numbers, so these tests check the statistics (keep rate, scaling),
the structure (whole channels), eval identity, gradients through the mask and reproducibility under a seed."""
import math

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.oracle.core import raises_like_torch

N = 20000


def _kept(y, x):
    return (y.detach().numpy() != 0) & (x.numpy() != 0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_rate_and_scale(p):
    ember.manual_seed(1)
    x = ember.rand(N) + 0.5
    y = F.dropout(x, p)
    kept = _kept(y, x)
    # the keep rate is within 5 standard deviations of 1 - p
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / N)
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / (1 - p), rtol=1e-6)
    assert y.dtype is ember.float32


def test_dropout_gradient_uses_the_mask():
    ember.manual_seed(2)
    x = ember.randn(50, 40, requires_grad=True)
    y = ember.nn.Dropout(0.3)(x)
    g = ember.randn(50, 40)
    y.backward(g)
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(mask, g.numpy() / 0.7, 0), rtol=1e-6)
    y2, mask2 = ember.native_dropout(x.detach(), 0.3, True)
    assert mask2.dtype is ember.bool and tuple(mask2.shape) == (50, 40)


def test_eval_and_edge_probabilities_are_identity_or_zero():
    x = ember.randn(10, 10)
    for mod in (ember.nn.Dropout(0.5), ember.nn.Dropout1d(), ember.nn.Dropout2d(), ember.nn.Dropout3d(),
                ember.nn.AlphaDropout(0.5), ember.nn.FeatureAlphaDropout(0.5)):
        mod.eval()
        inp = x.reshape(2, 5, 10) if isinstance(mod, ember.nn.Dropout1d) else \
            x.reshape(1, 2, 5, 10) if isinstance(mod, ember.nn.Dropout2d) else \
            x.reshape(1, 2, 5, 2, 5) if isinstance(mod, ember.nn.Dropout3d) else x
        assert mod(inp) is inp  # torch returns the input itself
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.5, training=False) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0
    xg = x.clone().requires_grad_(True)
    F.dropout(xg, 1.0).sum().backward()
    assert float(xg.grad.abs().sum()) == 0
    assert float(F.alpha_dropout(x, 1.0, True).abs().sum()) == 0


def test_reproducible_under_manual_seed():
    x = ember.randn(100)
    outs = []
    for _ in range(2):
        ember.manual_seed(123)
        outs.append((F.dropout(x, 0.5).numpy(), F.dropout2d(x.reshape(5, 4, 5, 1), 0.5).numpy(),
                     F.alpha_dropout(x, 0.5, True).numpy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    ember.manual_seed(124)
    assert not np.array_equal(F.dropout(x, 0.5).numpy(), outs[0][0])
    g = ember.Generator().manual_seed(123)
    assert g.initial_seed() == 123


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (40, 30, 7)), (F.dropout1d, (300, 7)),
                                      (F.dropout2d, (40, 30, 3, 3)), (F.dropout3d, (40, 30, 2, 2, 2)),
                                      (F.dropout3d, (300, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    ember.manual_seed(3)
    x = ember.rand(*shape) + 0.5
    y = fn(x, 0.4).numpy()
    lead = {F.dropout1d: len(shape) - 1, F.dropout2d: 2, F.dropout3d: len(shape) - 3}[fn]
    per_channel = y.reshape(int(np.prod(shape[:lead])), -1)
    zero = (per_channel == 0).all(1)
    assert ((per_channel != 0).all(1) | zero).all(), "a channel was partly dropped"
    assert abs(zero.mean() - 0.4) < 5 * math.sqrt(0.24 / zero.size)
    kept = ~zero
    np.testing.assert_allclose(per_channel[kept], x.numpy().reshape(per_channel.shape)[kept] / 0.6, rtol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(4)
    x = ember.randn(200000)
    for fn in (F.alpha_dropout, lambda x, p, t: F.feature_alpha_dropout(x.reshape(2000, 100, 1), p, t)):
        y = fn(x, 0.2, True).numpy().ravel()
        assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03
    # the dropped value is a * (-alpha) + b for alpha = 1.7581: the same constant everywhere
    y = F.alpha_dropout(x, 0.5, True).numpy()
    alpha, p = 1.7580993408473766, 0.5
    a = 1 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped = np.isclose(y, -alpha * a + alpha * a * p, atol=1e-6)
    assert abs(dropped.mean() - 0.5) < 0.01


def test_feature_alpha_dropout_is_per_channel():
    ember.manual_seed(5)
    y = F.feature_alpha_dropout(ember.ones(100, 50, 4), 0.5, True).numpy()
    assert (y == y[:, :, :1]).all()


def test_inplace():
    ember.manual_seed(6)
    x = ember.rand(1000) + 0.5
    base = x.clone()
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).any()
    kept = x.numpy() != 0
    np.testing.assert_allclose(x.numpy()[kept], base.numpy()[kept] * 2, rtol=1e-6)
    leaf = ember.ones(4, requires_grad=True)
    h = leaf * 1
    ember.nn.Dropout(0.5, inplace=True)(h).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), h.detach().numpy())  # kept: 2, dropped: 0
    x2 = ember.ones(3, 4, 2)
    assert F.dropout1d(x2, 0.5, inplace=True) is x2


def test_half_and_errors_like_torch():
    ember.manual_seed(7)
    y = F.dropout(ember.ones(1000, dtype=ember.float16), 0.5)
    assert y.dtype is ember.float16 and set(np.unique(y.numpy()).tolist()) <= {0.0, 2.0}
    for fn in (lambda m: m.nn.Dropout(1.5), lambda m: m.nn.functional.dropout(m.ones(3), -0.1),
               lambda m: m.nn.functional.dropout1d(m.ones(2, 3, 4, 5)),
               lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.long), 0.5),
               lambda m: m.feature_dropout(m.ones(3), 0.5, True)):
        raises_like_torch(fn)
    with pytest.warns(UserWarning, match="dropout2d"):
        F.dropout2d(ember.ones(2, 3))


def test_reprs():
    for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
        assert repr(getattr(ember.nn, name)(0.25, True)) == repr(getattr(torch.nn, name)(0.25, True))
