"""Pooling layers against torch: outputs, indices and gradients over the options; repr; errors."""
import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module

rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape).astype(np.float32)


POOL = [
    ("MaxPool1d(3)", (2, 3, 10)),
    ("MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True)", (2, 3, 10)),
    ("MaxPool2d(2)", (2, 3, 6, 7)),
    ("MaxPool2d(2)", (3, 6, 7)),  # unbatched
    ("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (2, 3, 8, 9)),
    ("MaxPool2d((3, 2), stride=1, padding=(1, 0), dilation=(2, 1))", (2, 3, 7, 6)),
    ("MaxPool2d(3, stride=2, return_indices=True)", (2, 3, 7, 8)),
    ("MaxPool3d(2, stride=(1, 2, 2), padding=1, return_indices=True)", (1, 2, 4, 5, 4)),
    ("AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)", (2, 3, 10)),
    ("AvgPool2d(2)", (2, 3, 6, 7)),
    ("AvgPool2d(3, stride=2, padding=1)", (2, 3, 8, 9)),
    ("AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)", (2, 3, 8, 9)),
    ("AvgPool2d((3, 2), stride=1, padding=(1, 0), divisor_override=5)", (3, 6, 7)),
    ("AvgPool3d(2, stride=(1, 2, 2), padding=1, ceil_mode=True)", (1, 2, 4, 5, 4)),
    ("AdaptiveAvgPool1d(4)", (2, 3, 10)),
    ("AdaptiveAvgPool2d((3, 5))", (2, 3, 7, 8)),
    ("AdaptiveAvgPool2d(1)", (2, 3, 7, 8)),
    ("AdaptiveAvgPool2d((None, 3))", (3, 7, 8)),
    ("AdaptiveAvgPool3d((2, 3, 1))", (1, 2, 5, 7, 4)),
    ("AdaptiveMaxPool1d(4, return_indices=True)", (2, 3, 10)),
    ("AdaptiveMaxPool2d((3, 5))", (2, 3, 7, 8)),
    ("AdaptiveMaxPool2d(4, return_indices=True)", (3, 9, 9)),
    ("AdaptiveMaxPool3d((2, 3, 1))", (1, 2, 5, 7, 4)),
    ("LPPool1d(2, 3)", (2, 3, 10)),
    ("LPPool2d(2, 2, stride=1, ceil_mode=True)", (2, 3, 5, 6)),
    ("LPPool2d(float('inf'), 2)", (2, 3, 6, 6)),
]


@pytest.mark.parametrize("spec,shape", POOL, ids=[f"{s}-{sh}" for s, sh in POOL])
def test_pool_layer(spec, shape):
    emod, tmod = check_module(lambda m: eval(f"m.nn.{spec}"), [arr(*shape)])
    assert repr(emod) == repr(tmod)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool(nd):
    shape = (2, 3) + (6, 5, 4)[:nd]
    pool = lambda m: getattr(m.nn, f"MaxPool{nd}d")(2, stride=2, return_indices=True)  # noqa: E731
    unpool = lambda m: getattr(m.nn, f"MaxUnpool{nd}d")(2, stride=2)  # noqa: E731

    def run(mod, x):
        p = pool(ember if isinstance(x, ember.Tensor) else torch)
        v, i = p(x)
        return mod(v * 2, i, output_size=x.shape[-nd:])
    emod, tmod = check_module(unpool, [arr(*shape)], call=run)
    assert repr(emod) == repr(tmod)


def test_max_pool_float64_half_int():
    check_module(lambda m: m.nn.MaxPool2d(3, 2, 1), [arr(2, 3, 7, 7).astype(np.float64)], dtype="float64")
    check_module(lambda m: m.nn.AvgPool2d(3, 2, 1), [arr(2, 3, 7, 7).astype(np.float16)], atol=1e-3)
    x = rng.integers(-50, 50, (2, 3, 7, 7))
    for spec in ("MaxPool2d(3, 2, 1)", "AvgPool2d(3, 2, 1)", "AvgPool2d(3, 2, 1, count_include_pad=False)"):
        e = eval(f"ember.nn.{spec}")(ember.tensor(x))
        t = eval(f"torch.nn.{spec}")(torch.tensor(x))
        assert e.dtype == ember.int64
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_max_pool_nan_propagates():
    x = arr(1, 1, 4, 4)
    x[0, 0, 1, 2] = np.nan
    e = ember.nn.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    t = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(e[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(e[1].numpy(), t[1].numpy())


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.nn.MaxPool2d(2), (2, 3)),
    (lambda m: m.nn.MaxPool2d(2, padding=2), (1, 2, 4, 4)),
    (lambda m: m.nn.AvgPool2d(5), (1, 2, 4, 4)),
    (lambda m: m.nn.AdaptiveAvgPool2d(2), (3,)),
    (lambda m: m.nn.AdaptiveMaxPool2d(2), (1, 2, 0, 3)),
])
def test_errors_name_the_layer(make, shape):
    with pytest.raises(RuntimeError):
        make(torch)(torch.ones(shape))
    with pytest.raises(RuntimeError) as e_err:
        ember.nn.Sequential(make(ember))(ember.ones(shape))
    assert "Pool" in str(e_err.value)


def test_integer_input_to_adaptive_pool():
    for m in (torch, ember):
        with pytest.raises(NotImplementedError):
            m.nn.AdaptiveAvgPool2d(2)(m.ones(1, 2, 4, 4, dtype=m.int64))
