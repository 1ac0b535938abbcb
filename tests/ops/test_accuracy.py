"""Accuracy of ember's own float32 approximations (NOTE [ erf without SciPy ], NOTE [ Fast GELU ]) against float64."""
import math

import numpy as np
import pytest
import torch

import ember

_GRID = np.concatenate([np.linspace(-9, 9, 400_003), np.geomspace(1e-30, 1, 2_000), -np.geomspace(1e-30, 1, 2_000)])
_X32 = _GRID.astype(np.float32)


def test_erf_float32_within_1_5_ulp():
    ref = np.vectorize(math.erf)(_X32.astype(np.float64))
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    got = ember.erf(ember.tensor(_X32)).numpy().astype(np.float64)
    assert (np.abs(got - ref) / ulp).max() <= 1.5


def test_gelu_float32_absolute_error():
    # ember's float32 gelu is within 7e-7 of float64 gelu everywhere (torch's float32 CPU gelu: 1.2e-6)
    ref = torch.nn.functional.gelu(torch.tensor(_X32.astype(np.float64))).numpy()
    got = ember.nn.functional.gelu(ember.tensor(_X32)).numpy().astype(np.float64)
    assert np.abs(got - ref).max() <= 7e-7
    assert np.array_equal(got[_X32 >= 6], _X32[_X32 >= 6])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_grad_blocks_and_strides(approximate):
    # sizes around the block length, and a non-contiguous input, against float64
    for n in (1, 32767, 32768, 32769, 70001):
        x = np.random.default_rng(n).standard_normal(2 * n).astype(np.float32)[::2] * 3
        t = ember.tensor(x, requires_grad=True)
        y = ember.nn.functional.gelu(t, approximate=approximate)
        y.backward(ember.ones_like(y))
        r = torch.tensor(x.astype(np.float64), requires_grad=True)
        want = torch.nn.functional.gelu(r, approximate=approximate)
        want.backward(torch.ones_like(r))
        np.testing.assert_allclose(y.detach().numpy(), want.detach().numpy(), rtol=0, atol=7e-7)
        # the tanh formula's 1 - t^2 cancels near t = 1: torch's own float32 gradient is 1.04e-6 off float64 there
        np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), rtol=0, atol=1e-6 if approximate == "none" else 1.5e-6)


def test_softmax_fast_paths_match_torch():
    # rows of <= 64 take the folded max (odd widths fold a leftover element), last-dim sums a BLAS product; NaN and
    # all -inf rows as torch
    rng = np.random.default_rng(0)
    for shape in ((70, 63), (300, 17), (64, 64), (9, 5, 101)):
        x = (rng.standard_normal(shape) * 4).astype(np.float32)
        x[0] = -np.inf
        x[1, 3] = np.nan
        x[2, : shape[1] // 2] = -np.inf
        for fn in ("softmax", "log_softmax"):
            got = getattr(ember, fn)(ember.tensor(x), -1).numpy()
            want = getattr(torch, fn)(torch.tensor(x), -1).numpy()
            np.testing.assert_allclose(got, want, rtol=2e-6, atol=3e-7)  # log_softmax near 0: an ulp of 1
