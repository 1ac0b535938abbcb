"""The oracle: run the same lambda in ember and in torch and compare values, dtypes, shapes, gradients and errors.

An OpInfo row (see opdb.py) names an op, a lambda ``fn(m, *inputs)`` that runs unchanged with m = ember or torch,
samples of inputs, the dtypes to try and the derivative order to check with (grad)gradcheck in float64.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import ml_dtypes
import numpy as np
import torch

import ember

FLOATS = ("float32", "float64", "float16", "bfloat16")
INTS = ("uint8", "int8", "int16", "int32", "int64")
ALL = FLOATS + INTS + ("bool",)
SIGNED = ("float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64")
NUMERIC = FLOATS + INTS

TOL = {"float64": (1e-7, 1e-7), "float32": (1e-5, 1e-5), "float16": (1e-3, 1e-3), "bfloat16": (1.6e-2, 1e-2)}


@dataclasses.dataclass
class T:
    """A tensor input with its own dtype or value range (an index tensor, a mask, a positive operand)."""
    shape: tuple
    dtype: str | None = None
    low: float | None = None
    high: float | None = None
    grad: bool = True


@dataclasses.dataclass
class OpInfo:
    name: str
    fn: Callable
    samples: list                 # each a tuple of: shape tuple | T | Python value passed through
    dtypes: tuple = FLOATS
    order: int = 1                # 0: values only; 1: + gradients and gradcheck; 2: + gradgradcheck
    domain: tuple = (-2.0, 2.0)   # value range of float inputs
    covers: tuple = ()            # other registered op names this row exercises
    atol: float | None = None
    rtol: float | None = None
    grad_atol: float | None = None
    noncontig: bool = True
    nondeterministic_values: bool = False  # e.g. random ops: compare shape and dtype only

    def __str__(self):
        return self.name


@dataclasses.dataclass
class ErrorInput:
    """fn(m) must raise the same exception class in ember as in torch."""
    name: str
    fn: Callable
    def __str__(self):
        return self.name


def np_dtype(name: str):
    return ml_dtypes.bfloat16 if name == "bfloat16" else np.dtype(name)


def make_array(shape, dtype: str, rng, low, high) -> np.ndarray:
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in INTS:
        lo = 0 if dtype == "uint8" else -5 if low is None else int(low)
        hi = 10 if high is None else int(high)
        lo = max(lo, 0) if dtype == "uint8" else lo
        return np.asarray(rng.integers(lo, hi, size=shape).astype(dtype))
    lo, hi = (-2.0 if low is None else low), (2.0 if high is None else high)
    return np.asarray(rng.uniform(lo, hi, size=shape).astype(np.float64).astype(np_dtype(dtype)))


def to_torch(arr: np.ndarray, requires_grad=False):
    if arr.dtype == ml_dtypes.bfloat16:
        t = torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    else:
        t = torch.from_numpy(arr.copy())
    return t.requires_grad_(requires_grad)


def to_ember(arr: np.ndarray, requires_grad=False):
    return ember.tensor(arr.copy(), requires_grad=requires_grad)


def torch_to_numpy(t):
    if t.dtype == torch.bfloat16:
        return t.detach().float().numpy().astype(ml_dtypes.bfloat16)
    return t.detach().numpy()


def build_inputs(info: OpInfo, sample, dtype: str, rng, noncontig=False):
    """(arrays/values, which are differentiable) for one sample."""
    values, diff = [], []
    for spec in sample:
        if isinstance(spec, tuple) or isinstance(spec, T):
            t = spec if isinstance(spec, T) else T(spec)
            dt = t.dtype or dtype
            lo = t.low if t.low is not None else (info.domain[0] if dt in FLOATS else None)
            hi = t.high if t.high is not None else (info.domain[1] if dt in FLOATS else None)
            values.append(("tensor", make_array(t.shape, dt, rng, lo, hi), noncontig and len(t.shape) >= 2))
            diff.append(t.grad and dt in FLOATS)
        else:
            values.append(("value", spec, False))
            diff.append(False)
    return values, diff


def materialize(m, values, diff, requires_grad):
    out = []
    for (kind, v, nc), d in zip(values, diff):
        if kind != "tensor":
            out.append(v)
            continue
        if nc:
            v = np.ascontiguousarray(np.swapaxes(v, -1, -2))
        t = (to_ember if m is ember else to_torch)(v, requires_grad and d)
        if nc:
            t = t.transpose(-1, -2)
        out.append(t)
    return out


def flatten(x) -> list:
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in flatten(item)]
    return [x]


def compare(e_out, t_out, dtype: str, info: OpInfo, what="output"):
    e_flat, t_flat = flatten(e_out), flatten(t_out)
    assert len(e_flat) == len(t_flat), f"{what}: ember gave {len(e_flat)} values, torch {len(t_flat)}"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        rtol, atol = TOL.get(str(t.dtype).split(".")[-1] if isinstance(t, torch.Tensor) else dtype, (0, 0))
        rtol = info.rtol if info.rtol is not None else rtol
        atol = info.atol if info.atol is not None else atol
        if isinstance(t, torch.Tensor):
            assert isinstance(e, ember.Tensor), f"{what}[{i}]: ember returned {type(e).__name__}, torch a Tensor"
            assert tuple(e.shape) == tuple(t.shape), f"{what}[{i}]: shape {tuple(e.shape)} != torch {tuple(t.shape)}"
            assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], \
                f"{what}[{i}]: dtype {e.dtype} != torch {t.dtype}"
            if info.nondeterministic_values:
                continue
            ev = e.detach().numpy().astype(np.float64) if e.dtype is not ember.bool else e.detach().numpy()
            tv = torch_to_numpy(t).astype(np.float64) if t.dtype is not torch.bool else torch_to_numpy(t)
            if ev.dtype == bool:
                np.testing.assert_array_equal(ev, tv, err_msg=f"{what}[{i}]")
            else:
                np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"{what}[{i}]")
        elif isinstance(t, torch.Size) or isinstance(t, (int, float, bool)):
            assert e == t or (isinstance(t, float) and np.isclose(e, t, rtol=rtol, atol=atol, equal_nan=True)), \
                f"{what}[{i}]: {e!r} != torch {t!r}"
        else:
            assert type(e).__name__ == type(t).__name__ or t is None, f"{what}[{i}]: {e!r} vs {t!r}"


def check_sample(info: OpInfo, sample, dtype: str, seed: int, noncontig=False):
    rng = np.random.default_rng(seed)
    values, diff = build_inputs(info, sample, dtype, rng, noncontig)
    want_grad = info.order >= 1 and dtype in FLOATS and any(diff)
    t_in = materialize(torch, values, diff, want_grad)
    e_in = materialize(ember, values, diff, want_grad)
    try:
        t_out = info.fn(torch, *t_in)
    except Exception as t_err:  # error parity
        try:
            info.fn(ember, *e_in)
        except Exception as e_err:
            assert isinstance(e_err, type(t_err)) or type(t_err).__name__ == type(e_err).__name__ or (
                isinstance(t_err, RuntimeError) and isinstance(e_err, RuntimeError)), \
                f"torch raised {type(t_err).__name__}({t_err}), ember {type(e_err).__name__}({e_err})"
            return
        raise AssertionError(f"torch raised {type(t_err).__name__}({t_err}); ember returned a result")
    e_out = info.fn(ember, *e_in)
    compare(e_out, t_out, dtype, info)
    if not want_grad:
        return
    t_leaves = [t for t, d in zip(t_in, diff) if d]
    e_leaves = [t for t, d in zip(e_in, diff) if d]
    t_outs = [o for o in flatten(t_out) if isinstance(o, torch.Tensor) and o.requires_grad]
    e_outs = [o for o in flatten(e_out) if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(t_outs) == len(e_outs), f"{len(e_outs)} ember outputs require grad, torch {len(t_outs)}"
    if not t_outs:
        return
    cots = [make_array(tuple(o.shape), dtype, rng, -1.0, 1.0) for o in t_outs]
    t_grads = torch.autograd.grad(t_outs, t_leaves,
                                  [to_torch(c) for c in cots], allow_unused=True)
    e_grads = ember.autograd.grad(e_outs, e_leaves, [to_ember(c) for c in cots], allow_unused=True)
    gt = info.grad_atol
    ginfo = dataclasses.replace(info, atol=gt if gt is not None else (info.atol or TOL[dtype][1]) * 10,
                                rtol=(info.rtol or TOL[dtype][0]) * 10)
    e_grads = [g if g is not None else ember.zeros(l.shape, dtype=l.dtype) for g, l in zip(e_grads, e_leaves)]
    t_grads = [g if g is not None else torch.zeros(l.shape, dtype=l.dtype) for g, l in zip(t_grads, t_leaves)]
    compare(e_grads, t_grads, dtype, ginfo, what="gradient")


def check_gradcheck(info: OpInfo, seed: int = 0):
    """float64 gradcheck (and gradgradcheck for order 2) on each sample."""
    for k, sample in enumerate(info.samples):
        rng = np.random.default_rng(seed + k)
        values, diff = build_inputs(info, sample, "float64", rng)
        if not any(diff) or sum(v.size for (kind, v, _), d in zip(values, diff) if d and kind == "tensor") > 64:
            continue
        e_in = materialize(ember, values, diff, True)
        try:
            info.fn(torch, *materialize(torch, values, diff, False))
        except Exception:
            continue  # an error sample

        def f(*xs):
            outs = flatten(info.fn(ember, *xs))
            return [o for o in outs if isinstance(o, ember.Tensor) and o.dtype.is_floating_point]
        ember.autograd.gradcheck(f, e_in, eps=1e-6, atol=1e-5, rtol=1e-3)
        if info.order >= 2:
            ember.autograd.gradgradcheck(f, e_in, eps=1e-6, atol=1e-4, rtol=1e-3)


def raises_like_torch(fn, *, runtime_errors_alike: bool = False):
    """fn(torch) and fn(ember) must both raise, ember the class torch raised (with runtime_errors_alike, also any
    RuntimeError where torch raised one, or a class of the same name). Returns (torch's, ember's) exception."""
    try:
        fn(torch)
    except Exception as err:
        t_err = err
    else:
        raise AssertionError("torch raised nothing: this is not an error case")
    try:
        fn(ember)
    except Exception as err:
        e_err = err
    else:
        raise AssertionError(f"torch raised {type(t_err).__name__}: {t_err}; ember raised nothing")
    both_runtime = isinstance(t_err, RuntimeError) and isinstance(e_err, RuntimeError)
    same = isinstance(e_err, type(t_err)) or runtime_errors_alike and (
        both_runtime or type(e_err).__name__ == type(t_err).__name__)
    assert same, f"torch raised {type(t_err).__name__}: {t_err}\nember raised {type(e_err).__name__}: {e_err}"
    return t_err, e_err


def raised_messages(fn) -> tuple[str, str]:
    """The messages of raises_like_torch(fn): (torch's, ember's)."""
    return tuple(str(e) for e in raises_like_torch(fn))


def check_error(err: ErrorInput):
    raises_like_torch(err.fn, runtime_errors_alike=True)
