"""Fused activation ops with a hand-written backward: softmax, log_softmax, gelu. The long tail of activations is
composed from ember ops in ember/nn/functional/activation.py.

Low-precision inputs compute in float32 and round once, as torch does on the CPU.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from ._registry import KEEP, op
from ._util import LOW, wrap_dim
from .pointwise import _erf, supports


def _float_input(input, dtype, kernel: str):
    """input cast to dtype= when given; integers without dtype= raise torch's NotImplementedError."""
    if dtype is not None:
        return input.astype(D.to_dtype(dtype).np)
    supports(kernel, input, "f")
    return input


def _shifted(x, dim: int, xp):
    """(x - max along dim) in the compute dtype; the max of an all -inf slice counts as 0 (no inf - inf)."""
    a = x.astype(xp.float32) if x.dtype in LOW else x
    m = a.max(axis=dim, keepdims=True) if a.size else a.sum(axis=dim, keepdims=True)
    if not xp.isfinite(m).all():
        m = xp.where(xp.isfinite(m), m, 0)
    return a - m


def softmax_array(x, dim: int, xp):
    """softmax of an array along dim, in x's dtype (shared with cross_entropy and attention)."""
    e = xp.exp(_shifted(x, dim, xp))
    e /= e.sum(axis=dim, keepdims=True)
    return e.astype(x.dtype, copy=False)


def log_softmax_array(x, dim: int, xp):
    """log_softmax of an array along dim, in x's dtype."""
    s = _shifted(x, dim, xp)
    s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
    return s.astype(x.dtype, copy=False)


@op(dtype=KEEP)
def softmax(input, dim: int, dtype: object = None, *, xp):
    """exp(input) / sum(exp(input)) along dim, computed stably (torch.softmax); dtype= casts the input first."""
    x = _float_input(input, dtype, "softmax_lastdim_kernel_impl")
    return softmax_array(x, wrap_dim(dim, x.ndim), xp)


@softmax.derivative
def _(grad, out, dim):
    gy = grad * out
    return (gy - out * gy.sum(dim, keepdim=True),)


@op(dtype=KEEP)
def log_softmax(input, dim: int, dtype: object = None, *, xp):
    """log(softmax(input)) along dim, computed stably (torch.log_softmax); dtype= casts the input first."""
    x = _float_input(input, dtype, "log_softmax_lastdim_kernel_impl")
    return log_softmax_array(x, wrap_dim(dim, x.ndim), xp)


@log_softmax.derivative
def _(grad, out, dim):
    return (grad - out.exp() * grad.sum(dim, keepdim=True),)


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)
_TANH_C = 0.044715


@op(dtype=KEEP, method=False, export=False)
def gelu(input, approximate: str = "none", *, xp):
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses torch's tanh formula (F.gelu)."""
    supports("GeluKernelImpl", input, "f")
    x = input.astype(xp.float32) if input.dtype in LOW else input
    if approximate == "none":
        # erf in float64: fdlibm's polynomials are exact there, and float32 inputs round once at the end
        r = x * (0.5 * (1 + _erf(x.astype(xp.float64) * _SQRT1_2, xp)))
    elif approximate == "tanh":
        r = 0.5 * x * (1 + xp.tanh(_TANH_K * (x + _TANH_C * x * x * x)))
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    return r.astype(input.dtype, copy=False)


@gelu.derivative
def _(grad, input, approximate):
    x = input
    if approximate == "tanh":
        t = ((x + x * x * x * _TANH_C) * _TANH_K).tanh()
        return (grad * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * _TANH_K * (x * x * (3 * _TANH_C) + 1)),)
    cdf = ((x * _SQRT1_2).erf() + 1) * 0.5
    pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
    return (grad * (cdf + x * pdf),)
