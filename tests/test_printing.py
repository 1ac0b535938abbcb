"""repr(tensor) equals torch's, with 'torch.' read as 'ember.' (the one documented difference)."""
import math

import numpy as np
import pytest
import torch

import ember

def data(*shape, scale=1.0, ints=False):
    """The same values on every call, so the ember and torch tensors hold equal data."""
    a = np.random.default_rng(0).standard_normal(shape) * scale
    return (np.round(a).astype(np.int64) if ints else a).tolist()


nan, inf = math.nan, math.inf
CASES = {
    "ints-as-floats": lambda m: m.tensor([1.0, 2.0, -3.0]),
    "fractions": lambda m: m.tensor([1.5, 2.25, -3.125]),
    "rounding": lambda m: m.tensor([0.123456, 1 / 3]),
    "wide-range-sci": lambda m: m.tensor([1e-5, 1.0, 1e5]),
    "big-sci": lambda m: m.tensor([1e9, 2.0]),
    "tiny-sci": lambda m: m.tensor([1e-6]),
    "ratio-sci": lambda m: m.tensor([0.01, 20.0]),
    "no-sci": lambda m: m.tensor([0.01, 9.0]),
    "int-sci": lambda m: m.tensor([1.0, 1e9]),
    "nan-inf": lambda m: m.tensor([nan, inf, -inf, 1.5]),
    "nan-inf-int": lambda m: m.tensor([nan, inf, -inf, 2.0]),
    "nan-only": lambda m: m.tensor([nan, nan]),
    "inf-sci": lambda m: m.tensor([inf, 1e-7, 3.0]),
    "zeros": lambda m: m.zeros(3),
    "zero-and-neg-zero": lambda m: m.tensor([0.0, -0.0]),
    "negative": lambda m: m.tensor([-1.5, 2.0, -30.25]),
    "ints": lambda m: m.tensor([1, -20, 300]),
    "big-ints": lambda m: m.tensor([2 ** 40, -1]),
    "bools": lambda m: m.tensor([True, False, True]),
    "bool-2d": lambda m: m.tensor([[True], [False]]),
    "scalar-float": lambda m: m.tensor(3.5),
    "scalar-int-float": lambda m: m.tensor(3.0),
    "scalar-int": lambda m: m.tensor(-7),
    "scalar-bool": lambda m: m.tensor(False),
    "scalar-nan": lambda m: m.tensor(nan),
    "scalar-f64": lambda m: m.tensor(1e-8, dtype=m.float64),
    "empty": lambda m: m.tensor([]),
    "empty-2d": lambda m: m.zeros(2, 0),
    "empty-3d-int": lambda m: m.zeros(0, 3, 1, dtype=m.int64),
    "empty-int": lambda m: m.tensor([], dtype=m.int64),
    "empty-f64": lambda m: m.zeros(0, dtype=m.float64),
    "empty-bool": lambda m: m.zeros(0, 2, dtype=m.bool),
    "2d": lambda m: m.tensor(data(3, 4)),
    "2d-ints": lambda m: m.tensor(data(3, 4, scale=100, ints=True)),
    "3d": lambda m: m.tensor(data(2, 3, 4)),
    "4d": lambda m: m.tensor(data(2, 2, 2, 3)),
    "wrap-1d": lambda m: m.tensor(data(40)),
    "wrap-2d": lambda m: m.tensor(data(3, 20, scale=1000)),
    "wrap-ints": lambda m: m.tensor(data(60, scale=1e6, ints=True)),
    "wrap-sci": lambda m: m.tensor(data(30, scale=1e6)),
    "summary-1d": lambda m: m.tensor(data(2000)),
    "summary-1d-ints": lambda m: m.tensor(list(range(1001))),
    "summary-2d": lambda m: m.tensor(data(40, 40)),
    "summary-3d": lambda m: m.tensor(data(11, 10, 12, scale=10)),
    "summary-wide-rows": lambda m: m.tensor(data(2, 1000)),
    "summary-narrow": lambda m: m.tensor(data(1001, 1)),
    "f64": lambda m: m.tensor([1.5, 2.0], dtype=m.float64),
    "f16": lambda m: m.tensor([1.5, 2.1, 3.3], dtype=m.float16),
    "bf16": lambda m: m.tensor([1.5, 2.1, 3.3], dtype=m.bfloat16),
    "bf16-2d": lambda m: m.tensor(data(2, 3), dtype=m.bfloat16),
    "f16-sci": lambda m: m.tensor([1e-3, 60000.0], dtype=m.float16),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "int16": lambda m: m.tensor([[1, -2]], dtype=m.int16),
    "int8": lambda m: m.tensor([-128, 127], dtype=m.int8),
    "uint8": lambda m: m.tensor([0, 255], dtype=m.uint8),
    "uint8-scalar": lambda m: m.tensor(3, dtype=m.uint8),
    "requires-grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "requires-grad-f64": lambda m: m.tensor([[1.0, 2.5]], dtype=m.float64, requires_grad=True),
    "grad-fn": lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad-fn-add": lambda m: m.tensor([1.0, 2.0], requires_grad=True) + 1,
    "grad-fn-scalar": lambda m: (m.tensor([1.0, 2.0], requires_grad=True) * 3).sum(),
    "suffix-wrap": lambda m: m.tensor(data(2, 6), dtype=m.float64, requires_grad=True) * 2,
    "suffix-wrap-long-line": lambda m: m.tensor(data(7), dtype=m.float16),
    "empty-grad": lambda m: m.zeros(0, 3, requires_grad=True),
    "non-contiguous": lambda m: m.tensor(data(3, 4)).t(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches_torch(name):
    fn = CASES[name]
    assert repr(fn(ember)) == repr(fn(torch)).replace("torch.", "ember.")


OPTIONS = [dict(precision=2), dict(precision=6), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
           dict(edgeitems=1, threshold=10), dict(edgeitems=0, threshold=10), dict(linewidth=40),
           dict(profile="short"), dict(profile="full"), dict(profile="short", precision=3)]
OPTION_CASES = ["fractions", "wide-range-sci", "ints-as-floats", "2d", "3d", "wrap-1d", "summary-1d",
                "summary-2d", "summary-1d-ints", "nan-inf", "bf16-2d", "zeros", "scalar-float", "grad-fn"]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_printoptions_match_torch(options):
    try:
        ember.set_printoptions(**options)
        torch.set_printoptions(**options)
        for name in OPTION_CASES:
            fn = CASES[name]
            assert repr(fn(ember)) == repr(fn(torch)).replace("torch.", "ember."), name
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(ember.tensor([1 / 3])) == "tensor([0.3333])"


def test_printoptions_context_restores():
    with ember._printing.printoptions(precision=1):
        assert repr(ember.tensor([1 / 3])) == "tensor([0.3])"
    assert repr(ember.tensor([1 / 3])) == "tensor([0.3333])"


def test_default_dtype_changes_suffixes():
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        for fn in (lambda m: m.tensor([1.5]), lambda m: m.tensor([1.5], dtype=m.float32), lambda m: m.zeros(0),
                   lambda m: m.zeros(0, dtype=m.float32)):
            assert repr(fn(ember)) == repr(fn(torch)).replace("torch.", "ember.")
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_str_and_format():
    assert str(ember.tensor([1.5])) == repr(ember.tensor([1.5]))
    assert f"{ember.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}" == "2.50"
