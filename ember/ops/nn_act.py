"""Fused activation ops with a hand-written backward: softmax, log_softmax, gelu. The long tail of activations is
composed from ember ops in ember/nn/functional/activation.py.

Low-precision inputs compute in float32 and round once, as torch does on the CPU.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import KEEP, op
from ._util import LOW, wrap_dim
from .pointwise import _erf, _poly, f32, mul_into, supports


def _float_input(input, dtype, kernel: str):
    """input cast to dtype= when given; integers without dtype= raise torch's NotImplementedError."""
    if dtype is not None:
        return input.astype(D.to_dtype(dtype).np)
    supports(kernel, input, "f")
    return input


def _sums(a, dim: int, xp):
    """a.sum(axis=dim, keepdims=True); along the last dim of a float32/float64 array as a BLAS matrix-vector product,
    5-8x faster than NumPy's reduction over rows (softmax and log_softmax rows: 64 to 50k wide)."""
    if dim == a.ndim - 1 and a.size and (a.dtype == xp.float32 or a.dtype == xp.float64):
        return (a @ xp.ones(a.shape[-1], a.dtype))[..., None]
    return a.sum(axis=dim, keepdims=True)


def _maxes(a, dim: int, xp):
    """a.max(axis=dim, keepdims=True). Along a short last dim (attention rows) by folding halves with maximum: NumPy
    reduces short contiguous rows slowly (measured: 64-wide rows 1.45x, 32-wide 2x faster folded; 128 breaks even)."""
    n = a.shape[dim] if a.ndim else 0
    if dim != a.ndim - 1 or n > 64 or a.size < 4096:
        return a.max(axis=dim, keepdims=True)
    while n > 1:
        h = n // 2
        folded = xp.maximum(a[..., :h], a[..., h:2 * h])
        if n % 2:
            xp.maximum(folded[..., :1], a[..., 2 * h:], out=folded[..., :1])
        a, n = folded, h
    return a


def _shifted(x, dim: int, xp):
    """(x - max along dim) in the compute dtype; the max of an all -inf slice counts as 0 (no inf - inf)."""
    a = x.astype(xp.float32) if x.dtype in LOW else x
    m = _maxes(a, dim, xp) if a.size else a.sum(axis=dim, keepdims=True)
    if not xp.isfinite(m).all():
        m = xp.where(xp.isfinite(m), m, 0)
    return a - m


def softmax_array(x, dim: int, xp):
    """softmax of an array along dim, in x's dtype (shared with cross_entropy and attention)."""
    e = xp.exp(_shifted(x, dim, xp))
    e /= _sums(e, dim, xp)
    return e.astype(x.dtype, copy=False)


def log_softmax_array(x, dim: int, xp):
    """log_softmax of an array along dim, in x's dtype."""
    s = _shifted(x, dim, xp)
    s -= xp.log(_sums(xp.exp(s), dim, xp))
    return s.astype(x.dtype, copy=False)


@op(dtype=KEEP)
def softmax(input, dim: int, dtype: object = None, *, xp):
    """exp(input) / sum(exp(input)) along dim, computed stably (torch.softmax); dtype= casts the input first."""
    x = _float_input(input, dtype, "softmax_lastdim_kernel_impl")
    return softmax_array(x, wrap_dim(dim, x.ndim), xp)


@softmax.derivative
def _(grad, out, dim):
    # first order: array code, no graph; the ember ops below serve double backward
    if not STATE.grad_enabled and out.ndim:
        xp = out._device.xp
        y = f32(out._data)
        r = y * f32(grad._data)
        y = y * _sums(r, dim, xp)
        r -= y
        return (Tensor._make(r, out._device),)
    gy = grad * out
    return (gy - out * gy.sum(dim, keepdim=True),)


@op(dtype=KEEP)
def log_softmax(input, dim: int, dtype: object = None, *, xp):
    """log(softmax(input)) along dim, computed stably (torch.log_softmax); dtype= casts the input first."""
    x = _float_input(input, dtype, "log_softmax_lastdim_kernel_impl")
    return log_softmax_array(x, wrap_dim(dim, x.ndim), xp)


@log_softmax.derivative
def _(grad, out, dim):
    if not STATE.grad_enabled and out.ndim:
        xp = out._device.xp
        g = f32(grad._data)
        r = xp.exp(f32(out._data))
        r *= _sums(g, dim, xp)
        return (Tensor._make(xp.subtract(g, r, out=r), out._device),)
    return (grad - out.exp() * grad.sum(dim, keepdim=True),)


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _gelu_input(input, approximate: str):
    supports("GeluKernelImpl", input, "f")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return f32(input)


# NOTE [ Fast GELU ]
# Exact GELU is x Phi(x). For float32 (and the half types, which compute in float32) Phi is evaluated as
# 0.5 + 0.5 tanh(x p(x^2)), p a degree-6 polynomial of our own (least squares on Chebyshev nodes, reweighted to minimise
# the absolute error of erf on [0, 4]) fitted to artanh(erf(x / sqrt 2)) / x; x is clipped to +-4 sqrt 2, where Phi is
# within 1e-8 of 0 or 1. Max abs error against float64: Phi 1e-7, gelu 6e-7 (torch's own float32 CPU gelu: 1.2e-6).
# That is ~19 array passes instead of the ~50 of the accurate erf (ember.erf keeps that one), and they run block by
# block so the temporaries stay in cache: ~1.2 ms instead of ~7.4 ms on 16 x 64 x 512 (torch: ~0.25 ms).
_PHI_P = (0.7978849411010742, 0.03633308410644531, -3.2594743970548734e-05, -5.530632915906608e-05,
          3.964777079090709e-06, -1.3226676287558803e-07, 1.7562953313898788e-09)
_PHI_LIM = 4 * math.sqrt(2)
_TANH_K = math.sqrt(2 / math.pi)
_TANH_C = 0.044715
_TANH_P = (_TANH_K, _TANH_K * _TANH_C)
_BLOCK = 1 << 15  # elements per block: a handful of float32 temporaries fit in L2


def _gelu32(x, xp, with_out: bool = True, coeffs: tuple = _PHI_P):
    """(x * Phi(x), Phi(x)) of a float32 array (NOTE [ Fast GELU ]; coeffs=_TANH_P: torch's tanh formula, whose
    argument x (k + k c x^2) is the same shape); the first is None unless with_out."""
    flat = x.reshape(-1)
    phi = xp.empty(flat.shape, xp.float32)
    out = xp.empty(flat.shape, xp.float32) if with_out else None
    for i in range(0, flat.size, _BLOCK):
        xs = flat[i:i + _BLOCK]
        a = xp.clip(xs, -_PHI_LIM, _PHI_LIM)
        r = _poly(coeffs, a * a)
        r *= a
        xp.tanh(r, out=r)
        r *= 0.5
        p = xp.add(r, 0.5, out=phi[i:i + _BLOCK])
        if with_out:
            xp.multiply(p, xs, out=out[i:i + _BLOCK])
    return None if out is None else out.reshape(x.shape), phi.reshape(x.shape)


def _gelu_grad(x, phi, grad, xp, approximate: str):
    """grad * gelu'(x) (all three of one shape), block by block as in _gelu32: Phi + x phi(x) from the kept Phi, phi
    the normal density; for the tanh formula 0.5 (1 + t) + 0.5 x (1 - t^2) u' with t recomputed (1 - t^2 from the
    kept Phi would lose half the accuracy where t is near 1)."""
    shape = x.shape
    x, phi, grad = x.reshape(-1), phi.reshape(-1), grad.reshape(-1)
    res = xp.empty(x.shape, xp.result_type(x, phi, grad))
    for i in range(0, x.size, _BLOCK):
        xs, ps = x[i:i + _BLOCK], phi[i:i + _BLOCK]
        r = xs * xs
        if approximate == "tanh":
            t = _poly(_TANH_P, r)
            t *= xs
            xp.tanh(t, out=t)
            r *= 1.5 * _TANH_C * _TANH_K
            r += 0.5 * _TANH_K  # u' / 2
            r *= 1 - t * t
            t += 1
            t *= 0.5
            ps = t  # 0.5 (1 + t), the recomputed Phi
        else:
            r *= -0.5
            xp.exp(r, out=r)
            r *= _INV_SQRT_2PI
        r *= xs
        r += ps
        xp.multiply(r, grad[i:i + _BLOCK], out=res[i:i + _BLOCK])
    return res.reshape(shape)


def _cdf(x, xp):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 in x's dtype (float32: NOTE [ Fast GELU ])."""
    if x.dtype == xp.float32 and x.ndim:
        return _gelu32(x, xp, with_out=False)[1]
    r = _erf(x * _SQRT1_2, xp)
    r += 1
    r *= 0.5
    return r


def _tanh_parts(x, xp):
    """(t, u') of gelu's tanh formula: t = tanh(u), u = k (x + c x^3), u' = k (1 + 3 c x^2)."""
    x2 = x * x
    u = x2 * _TANH_C
    u += 1
    u *= x
    u *= _TANH_K
    du = x2
    du *= 3 * _TANH_C * _TANH_K
    du += _TANH_K
    return xp.tanh(u, out=u), du


@op(dtype=KEEP, method=False, export=False, outputs=2)
def gelu(input, approximate: str = "none", *, xp):
    """(x * Phi(x), Phi(x)), Phi the standard normal CDF (or torch's tanh formula for approximate='tanh').

    F.gelu shows the first output only; the second is kept so that the backward needs no second erf.
    """
    x = _gelu_input(input, approximate)
    if x.ndim == 0:  # 0-d arrays: ufuncs return scalars, which the in-place steps below cannot write into
        out, phi = gelu.forward(input.reshape(1), approximate, xp=xp)
        return out.reshape(()), phi.reshape(())
    if x.dtype == xp.float32:
        out, phi = _gelu32(x, xp, coeffs=_PHI_P if approximate == "none" else _TANH_P)
        return out.astype(input.dtype, copy=False), phi.astype(input.dtype, copy=False)
    if approximate == "none":
        phi = _cdf(x, xp)
    else:
        phi, _ = _tanh_parts(x, xp)
        phi += 1
        phi *= 0.5
    return (phi * x).astype(input.dtype, copy=False), phi.astype(input.dtype, copy=False)


@gelu.derivative
def _(grads, input, out, approximate):
    grad, g_phi = grads
    if g_phi is None and not STATE.grad_enabled and input._data.ndim:
        # first order from the kept Phi: one exp instead of an erf (no tanh for the tanh formula)
        x, xp = f32(input._data), input._device.xp
        r = _gelu_grad(x, f32(out[1]._data), f32(grad._data), xp, approximate)
        return (Tensor._make(r.astype(input._data.dtype, copy=False), input._device),)
    g = None if grad is None else gelu_backward(grad, input, approximate)
    if g_phi is not None:  # Phi's own derivative: the normal density (or the tanh formula's), only in double backward
        g = _phi_grad(g_phi, input, approximate) if g is None else g + _phi_grad(g_phi, input, approximate)
    return (g,)


def _phi_grad(g_phi, x, approximate):
    if approximate == "tanh":
        t = ((x + x * x * x * _TANH_C) * _TANH_K).tanh()
        return g_phi * 0.5 * (1 - t * t) * ((x * x * (3 * _TANH_C) + 1) * _TANH_K)
    return g_phi * (x * x * -0.5).exp() * _INV_SQRT_2PI


@op(method=False, export=False)
def gelu_backward(grad, input, approximate: str = "none", *, xp):
    """grad * gelu'(input), computing erf (or tanh) once (torch's gelu_backward; NOTE [ Backward ops ])."""
    x = f32(input)
    if x.ndim == 0:
        return gelu_backward.forward(grad, input.reshape(1), approximate, xp=xp).reshape(())
    if approximate == "tanh":  # 0.5 (1 + t) + 0.5 x (1 - t^2) u'
        t, du = _tanh_parts(x, xp)
        r = t * -t
        r += 1
        r *= du
        r *= x
        r += t
        r += 1
        r *= 0.5
    else:  # Phi(x) + x phi(x)
        r = x * x
        r *= -0.5
        xp.exp(r, out=r)
        r *= x
        r *= _INV_SQRT_2PI
        r += _cdf(x, xp)
    return mul_into(r, f32(grad), xp)


@gelu_backward.derivative
def _(gg, grad, input, approximate, needs):
    gx = None
    if needs[1]:
        x = input
        if approximate == "tanh":  # (1 - t^2) (u' - x t u'^2 + 3 k c x^2)
            t = ((x + x * x * x * _TANH_C) * _TANH_K).tanh()
            du = (x * x * (3 * _TANH_C) + 1) * _TANH_K
            second = (1 - t * t) * (du - x * t * du * du + x * x * (3 * _TANH_K * _TANH_C))
        else:  # phi(x) (2 - x^2)
            second = (x * x * -0.5).exp() * _INV_SQRT_2PI * (2 - x * x)
        gx = gg * grad * second
    return (gelu_backward(gg, input, approximate) if needs[0] else None), gx
