"""Run one scenario with m = ember and m = torch and compare what it returns or raises."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

MODULES = (ember, torch)


def run(fn):
    """fn(m) for ember and torch: (ember result, torch result); fn is a scenario written against the torch API."""
    return fn(ember), fn(torch)


def same(fn, rtol: float = 1e-6, atol: float = 1e-7):
    """fn(m) returns equal values (tensors, numbers, strings, None, nested tuples/lists) in ember and torch."""
    e, t = run(fn)
    assert_same(e, t, rtol, atol)
    return e


def assert_same(e, t, rtol: float = 1e-6, atol: float = 1e-7, path: str = "result") -> None:
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: ember gave {type(e).__name__}, torch a Tensor"
        assert tuple(e.shape) == tuple(t.shape), f"{path}: shape {tuple(e.shape)} != {tuple(t.shape)}"
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{path}: dtype {e.dtype} != {t.dtype}"
        assert e.requires_grad == t.requires_grad, f"{path}: requires_grad {e.requires_grad} != {t.requires_grad}"
        np.testing.assert_allclose(np.asarray(e.detach()._data, dtype=np.float64),
                                   t.detach().double().numpy(), rtol=rtol, atol=atol, err_msg=path)
    elif isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), f"{path}: {e!r} vs {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, rtol, atol, f"{path}[{i}]")
    elif isinstance(t, float):
        assert e == pytest.approx(t, rel=rtol, abs=atol), f"{path}: {e} != {t}"
    else:
        assert e == t, f"{path}: {e!r} != {t!r}"


def raises(fn, cls: type = RuntimeError, match: str | None = None) -> str:
    """fn(m) raises cls in both (torch first, so a broken scenario shows as such); returns ember's message."""
    with pytest.raises(cls):
        fn(torch)
    with pytest.raises(cls, match=match) as info:
        fn(ember)
    return str(info.value)
