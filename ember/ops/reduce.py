"""Reductions (sum, mean, prod, max, var, logsumexp, all, ...) and scans (cumsum, cumprod, cummax, ...).

Reductions take ``dim`` (an int, a tuple, or None / an empty tuple for all dims) and ``keepdim``. float16 and
bfloat16 accumulate in float32 and round once, as torch does on the CPU.
"""
from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._registry import FLOAT, KEEP, export, op
from ._util import LOW, dims as _dims, wrap_dim

_BF16 = D.bfloat16.np
_INT64 = np.dtype(np.int64)


# ---------------------------------------------------------------------------------------------------------------
# helpers


def axes(dim, ndim: int) -> tuple | None:
    """Wrapped dims to reduce; None for all of them (dim None or an empty list, as in torch)."""
    if dim is None or (not isinstance(dim, (int, np.integer)) and len(dim) == 0):
        return None
    return _dims(dim, ndim)


def _kept_shape(shape, d) -> tuple:
    return tuple(1 if d is None or i in d else n for i, n in enumerate(shape))


def _count(shape, d) -> int:
    return math.prod(n for i, n in enumerate(shape) if d is None or i in d)


def unreduce(grad, input_shape, dim, keepdim):
    """Broadcast a reduction's gradient (or result) back to the input's shape (the derivative of sum)."""
    if not keepdim:
        grad = grad.reshape(_kept_shape(input_shape, axes(dim, len(input_shape))))
    return grad.expand(tuple(input_shape))


def _is_float(a) -> bool:
    return a.dtype.kind == "f" or a.dtype == _BF16


def _acc(a):
    """The array to accumulate in: float32 for float16/bfloat16."""
    return a.astype(np.float32) if a.dtype in LOW else a


def const(arr, like: Tensor) -> Tensor:
    """A constant tensor (a mask, a scale) in like's dtype and device, for use inside derivatives."""
    return Tensor._make(like._device.xp.asarray(arr, dtype=like._data.dtype), like._device)


def even_backward(grad, input, value, dim, keepdim):
    """grad split evenly among the elements equal to value (torch's evenly_distribute_backward for amax, median)."""
    d = axes(dim, input.ndim)
    x = input._data
    v = value._data.reshape(_kept_shape(x.shape, d))
    xp = input._device.xp
    mask = (x == v) | (xp.isnan(x) & xp.isnan(v)) if _is_float(x) else x == v
    return unreduce(grad, input.shape, dim, keepdim) * const(mask / mask.sum(axis=d, keepdims=True), grad)


def select_backward(grad, indices, dim: int, shape, keepdim: bool = True, accumulate: bool = True):
    """Zeros of shape with grad put at indices along dim (the derivative of max(dim), sort, topk, cummax, ...)."""
    from .creation import zeros
    from .index import index_put_key
    idx = indices._data if isinstance(indices, Tensor) else indices
    nd = len(shape)
    if nd == 0:
        return grad.reshape(())
    d = wrap_dim(dim, nd)
    if not keepdim:
        grad = grad.unsqueeze(d)
        idx = idx.reshape(grad.shape)
    xp = grad._device.xp
    key = tuple(idx if i == d else xp.arange(n).reshape((-1,) + (1,) * (nd - 1 - i)) for i, n in enumerate(idx.shape))
    return index_put_key(zeros(shape, dtype=grad.dtype, device=grad.device), grad, key, accumulate)


def _pick(input, dim, keepdim, xp, fn, name):
    """(values, indices) of xp.argmax or xp.argmin (fn) along one dim."""
    d = wrap_dim(dim, input.ndim)
    a = input.reshape(1) if input.ndim == 0 else input
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    idx = getattr(xp, fn)(a, axis=d, keepdims=True)
    vals = xp.take_along_axis(a, idx, d)
    if not keepdim or input.ndim == 0:
        idx, vals = idx.squeeze(d), vals.squeeze(d)
    return vals, idx.astype(np.int64)


def _maybe_pointwise(name):
    from ._registry import EXPORTS
    return EXPORTS[name]  # looked up when called: pointwise2 registers maximum/minimum after this module


# ---------------------------------------------------------------------------------------------------------------
# sums and means


def _sum_dtype(input, dtype):
    if dtype is not None:
        return D.to_dtype(dtype).np
    return _INT64 if input.dtype.kind in "biu" else input.dtype


@op(dtype=KEEP)
def sum(input, dim: int | tuple | None = None, keepdim: bool = False, *, dtype=None):
    """Sum over dim, or over all elements (torch.sum). Integers and bool sum to int64."""
    out_dt = _sum_dtype(input, dtype)
    r = input.sum(axis=axes(dim, input.ndim), keepdims=keepdim, dtype=np.float32 if out_dt in LOW else out_dt)
    return r.astype(out_dt, copy=False)


@sum.derivative
def _(grad, input_shape, dim, keepdim):
    return (unreduce(grad, input_shape, dim, keepdim),)


@op(dtype=KEEP)
def nansum(input, dim: int | tuple | None = None, keepdim: bool = False, *, dtype=None, xp):
    """Sum treating NaN as zero (torch.nansum)."""
    out_dt = _sum_dtype(input, dtype)
    r = xp.nansum(input.astype(np.float32) if out_dt in LOW else input, axis=axes(dim, input.ndim), keepdims=keepdim,
                  dtype=np.float32 if out_dt in LOW else out_dt)
    return r.astype(out_dt, copy=False)


@nansum.derivative
def _(grad, input, dim, keepdim):
    return (unreduce(grad, input.shape, dim, keepdim) * const(~input._device.xp.isnan(input._data), grad),)


def _mean_dtype(input, dtype, name):
    out_dt = D.to_dtype(dtype).np if dtype is not None else input.dtype
    if not _is_float(np.empty(0, out_dt)):
        if name == "nanmean":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                               f"{D.FROM_NP[out_dt].name.capitalize()}")
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {D.FROM_NP[out_dt].name.capitalize()}")
    return out_dt


@op(dtype=KEEP)
def mean(input, dim: int | tuple | None = None, keepdim: bool = False, *, dtype=None):
    """Mean over dim, or over all elements (torch.mean).

    Integer input raises RuntimeError, as in torch; pass dtype=ember.float32 to average integers.
    """
    out_dt = _mean_dtype(input, dtype, "mean")
    with np.errstate(invalid="ignore", divide="ignore"):
        r = input.astype(np.float32 if out_dt in LOW else out_dt).mean(axis=axes(dim, input.ndim), keepdims=keepdim)
    return r.astype(out_dt, copy=False)


@mean.derivative
def _(grad, input_shape, dim, keepdim):
    return (unreduce(grad, input_shape, dim, keepdim) / _count(input_shape, axes(dim, len(input_shape))),)


@op(dtype=KEEP)
def nanmean(input, dim: int | tuple | None = None, keepdim: bool = False, *, dtype=None, xp):
    """Mean of the non-NaN elements (torch.nanmean)."""
    out_dt = _mean_dtype(input, dtype, "nanmean")
    a = input.astype(np.float32 if out_dt in LOW else out_dt)
    d = axes(dim, input.ndim)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = xp.nansum(a, axis=d, keepdims=keepdim) / (~xp.isnan(a)).sum(axis=d, keepdims=keepdim)
    return r.astype(out_dt, copy=False)


@nanmean.derivative
def _(grad, input, dim, keepdim):
    ok = ~input._device.xp.isnan(input._data)
    n = ok.sum(axis=axes(dim, input.ndim), keepdims=True)
    return (unreduce(grad, input.shape, dim, keepdim) * const(ok / n, grad),)


@op(dtype=KEEP)
def prod(input, dim: int | None = None, keepdim: bool = False, *, dtype=None):
    """Product over one dim, or over all elements (torch.prod). Integers and bool multiply to int64."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    out_dt = _sum_dtype(input, dtype)
    r = input.prod(axis=axes(dim, input.ndim), keepdims=keepdim, dtype=np.float32 if out_dt in LOW else out_dt)
    return r.astype(out_dt, copy=False)


@prod.derivative
def _(grad, input, out, dim, keepdim):
    zero = input._data == 0
    g = unreduce(grad, input.shape, dim, keepdim)
    if not zero.any():
        return (g * unreduce(out, input.shape, dim, keepdim) / input,)
    # NOTE [ prod with zeros ]: the product of the others is prod(x with zeros set to 1) where a slice has a single
    # zero (and only at that zero), and 0 where it has more; elsewhere out / x as usual.
    d = axes(dim, input.ndim)
    nz = zero.sum(axis=d, keepdims=True)
    safe = input + const(zero, input)
    p = safe.prod(d[0], keepdim=True) if d else safe.prod().reshape(_kept_shape(input.shape, d))
    keep = ((nz == 0) & ~zero) | ((nz == 1) & zero)
    return (g * p.expand(input.shape) / safe * const(keep, grad),)


# ---------------------------------------------------------------------------------------------------------------
# max, min and their indices


def _extreme(input, dim, keepdim, fn, name):
    d = axes(dim, input.ndim)
    if input.size == 0:
        if d is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                               "reduction dim with the 'dim' argument.")
        for i in d:
            if input.shape[i] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {i} to have non-zero size.")
        return fn(input, axis=d, keepdims=keepdim, initial=0)
    return fn(input, axis=d, keepdims=keepdim)


@op(dtype=KEEP)
def amax(input, dim: int | tuple = (), keepdim: bool = False, *, xp):
    """Maximum over dims (all by default); the gradient is split evenly among ties (torch.amax)."""
    return _extreme(input, dim, keepdim, xp.max, "amax")


@amax.derivative
def _(grad, input, out, dim, keepdim):
    return (even_backward(grad, input, out, dim, keepdim),)


@op(dtype=KEEP)
def amin(input, dim: int | tuple = (), keepdim: bool = False, *, xp):
    """Minimum over dims (all by default); the gradient is split evenly among ties (torch.amin)."""
    return _extreme(input, dim, keepdim, xp.min, "amin")


@amin.derivative
def _(grad, input, out, dim, keepdim):
    return (even_backward(grad, input, out, dim, keepdim),)


@op(dtype=KEEP, name="max", method=False, export=False, outputs=2, out_names=("values", "indices"))
def _max_dim(input, dim: int, keepdim: bool = False, *, xp):
    return _pick(input, dim, keepdim, xp, "argmax", "max")


@op(dtype=KEEP, name="min", method=False, export=False, outputs=2, out_names=("values", "indices"))
def _min_dim(input, dim: int, keepdim: bool = False, *, xp):
    return _pick(input, dim, keepdim, xp, "argmin", "min")


@_max_dim.derivative
def _(grad, out, dim, keepdim, input_shape):
    return (select_backward(grad[0], out[1], dim, input_shape, keepdim),)


_min_dim.derivative(_max_dim.derivative_fn)


def _max_or_min(input, dim, keepdim, other, out, dim_op, all_op, pointwise):
    if isinstance(dim, Tensor) or other is not None:
        return _maybe_pointwise(pointwise)(input, other if other is not None else dim, out=out)
    if dim is None:
        return all_op(input, out=out)
    return dim_op(input, dim, keepdim, out=out)


@export
def max(input, dim=None, keepdim: bool = False, *, other=None, out=None):
    """Max of all elements (0-d), (values, indices) along dim, or the elementwise maximum with a tensor (torch.max)."""
    return _max_or_min(input, dim, keepdim, other, out, _max_dim, amax, "maximum")


@export
def min(input, dim=None, keepdim: bool = False, *, other=None, out=None):
    """Min of all elements (0-d), (values, indices) along dim, or the elementwise minimum with a tensor (torch.min)."""
    return _max_or_min(input, dim, keepdim, other, out, _min_dim, amin, "minimum")


_AMINMAX = collections.namedtuple("aminmax", ("min", "max"))


@export
def aminmax(input, *, dim: int | None = None, keepdim: bool = False):
    """(min, max) over dim or all elements (torch.aminmax)."""
    d = () if dim is None else dim
    return _AMINMAX(amin(input, d, keepdim), amax(input, d, keepdim))


def _arg(input, dim, keepdim, xp, fn, name):
    if input.dtype == bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if input.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = getattr(xp, fn)(input.reshape(-1))
        return np.asarray(r, np.int64).reshape((1,) * input.ndim if keepdim else ())
    return _pick(input, dim, keepdim, xp, fn, name)[1]


@op(dtype=KEEP)
def argmax(input, dim: int | None = None, keepdim: bool = False, *, xp):
    """Index of the maximum, along dim or of the flattened input (torch.argmax)."""
    return _arg(input, dim, keepdim, xp, "argmax", "argmax")


@op(dtype=KEEP)
def argmin(input, dim: int | None = None, keepdim: bool = False, *, xp):
    """Index of the minimum, along dim or of the flattened input (torch.argmin)."""
    return _arg(input, dim, keepdim, xp, "argmin", "argmin")


# ---------------------------------------------------------------------------------------------------------------
# variance, logsumexp


def _dof(shape, dim, correction):
    return builtins.max(0, _count(shape, axes(dim, len(shape))) - correction)


def _inverse(n) -> float:
    return 1 / n if n else math.inf  # no degrees of freedom: inf, as torch, not ZeroDivisionError


def _variance(input, dim, correction, keepdim):
    if not _is_float(input):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    d = axes(dim, input.ndim)
    a = _acc(input)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = a - a.mean(axis=d, keepdims=True)
        return (dev * dev).sum(axis=d, keepdims=keepdim) / _dof(input.shape, dim, correction)


@op(dtype=KEEP, name="var", method=False, export=False)
def _var(input, dim: tuple | None, correction: float, keepdim: bool):
    return _variance(input, dim, correction, keepdim).astype(input.dtype)


@_var.derivative
def _(grad, input, dim, correction, keepdim):
    d = axes(dim, input.ndim)
    centered = input - input.mean(d, keepdim=True)
    return (unreduce(grad, input.shape, dim, keepdim) * centered * _inverse(_dof(input.shape, dim, correction) / 2),)


@op(dtype=KEEP, name="std", method=False, export=False)
def _std(input, dim: tuple | None, correction: float, keepdim: bool, *, xp):
    return xp.sqrt(_variance(input, dim, correction, keepdim)).astype(input.dtype)


@_std.derivative
def _(grad, input, out, dim, correction, keepdim):
    d = axes(dim, input.ndim)
    centered = input - input.mean(d, keepdim=True)
    scale = unreduce(grad / out, input.shape, dim, keepdim) * _inverse(_dof(input.shape, dim, correction))
    return (scale * centered,)


def _correction(dim, unbiased, correction):
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise RuntimeError("std/var: can't specify both unbiased and correction")
    return dim, correction


@export
def var(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None, out=None):
    """Variance over dim with Bessel's correction (correction=1) by default (torch.var)."""
    dim, correction = _correction(dim, unbiased, correction)
    return _var(input, dim, correction, keepdim, out=out)


@export
def std(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None, out=None):
    """Standard deviation over dim (torch.std); correction as in var."""
    dim, correction = _correction(dim, unbiased, correction)
    return _std(input, dim, correction, keepdim, out=out)


@export(method=False)
def var_mean(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None):
    """(var, mean) over the same dims (torch.var_mean)."""
    dim, correction = _correction(dim, unbiased, correction)
    return _var(input, dim, correction, keepdim), mean(input, dim, keepdim)


@export(method=False)
def std_mean(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None):
    """(std, mean) over the same dims (torch.std_mean)."""
    dim, correction = _correction(dim, unbiased, correction)
    return _std(input, dim, correction, keepdim), mean(input, dim, keepdim)


@op(dtype=FLOAT)
def logsumexp(input, dim: int | tuple, keepdim: bool = False, *, xp):
    """log(sum(exp(input))) over dim, computed stably (torch.logsumexp)."""
    d = axes(dim, input.ndim)
    if d is None and not keepdim:  # torch reduces all dims for dim=() only with keepdim
        raise RuntimeError(f"logsumexp(): dim must be given; got {dim}")
    a = _acc(input)
    m = xp.max(a, axis=d, keepdims=True, initial=-np.inf)
    m = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        r = xp.log(xp.exp(a - m).sum(axis=d, keepdims=True)) + m
    return r if keepdim else r.reshape(np.sum(a, axis=d).shape)


@logsumexp.derivative
def _(grad, input, out, dim, keepdim):
    return (unreduce(grad, input.shape, dim, keepdim) * (input - unreduce(out, input.shape, dim, keepdim)).exp(),)


# ---------------------------------------------------------------------------------------------------------------
# logical reductions


def _logical(input, dim, keepdim, fn):
    r = fn(input, axis=_dims(dim, input.ndim), keepdims=keepdim)  # unlike sum, dim=() reduces nothing
    return r.astype(np.uint8) if input.dtype == np.uint8 else r


@op(dtype=KEEP)
def all(input, dim: int | tuple | None = None, keepdim: bool = False, *, xp):
    """True where every element is nonzero (torch.all); uint8 input gives uint8, as in torch."""
    return _logical(input, dim, keepdim, xp.all)


@op(dtype=KEEP)
def any(input, dim: int | tuple | None = None, keepdim: bool = False, *, xp):
    """True where some element is nonzero (torch.any); uint8 input gives uint8, as in torch."""
    return _logical(input, dim, keepdim, xp.any)


@op(dtype=KEEP)
def count_nonzero(input, dim: int | tuple | None = None):
    """Number of nonzero elements over dim (torch.count_nonzero), int64."""
    return (input != 0).sum(axis=axes(dim, input.ndim), dtype=np.int64)


# ---------------------------------------------------------------------------------------------------------------
# scans


def flip_dim(t, d: int):
    """t reversed along dim d, through indexing so that it is differentiable (a local stand-in for flip)."""
    n = t.shape[d]
    return t[(slice(None),) * d + (t._device.xp.arange(n - 1, -1, -1),)]


def _revcumsum(t, d: int):
    """sum over k >= i along d: the adjoint of cumsum."""
    return flip_dim(flip_dim(t, d).cumsum(d), d) if t.ndim else t


def _scan(input, dim, dtype, fn, xp):
    out_dt = _sum_dtype(input, dtype)
    d = wrap_dim(dim, input.ndim)
    a = input.reshape(1) if input.ndim == 0 else input
    r = getattr(xp, fn)(a, axis=d, dtype=np.float32 if out_dt in LOW else out_dt)
    return r.reshape(input.shape).astype(out_dt, copy=False)


@op(dtype=KEEP, inplace=True)
def cumsum(input, dim: int, *, dtype=None, xp):
    """Cumulative sum along dim (torch.cumsum). Integers and bool sum to int64."""
    return _scan(input, dim, dtype, "cumsum", xp)


@cumsum.derivative
def _(grad, dim):
    return (_revcumsum(grad, wrap_dim(dim, grad.ndim)),)


@op(dtype=KEEP, inplace=True)
def cumprod(input, dim: int, *, dtype=None, xp):
    """Cumulative product along dim (torch.cumprod). Integers and bool multiply to int64."""
    return _scan(input, dim, dtype, "cumprod", xp)


@cumprod.derivative
def _(grad, input, out, dim):
    if input.ndim == 0:
        return (grad,)
    d = wrap_dim(dim, input.ndim)
    zero = input._data == 0
    if not zero.any():
        return (_revcumsum(grad * out, d) / input,)
    # NOTE [ cumprod with zeros ]: before a slice's first zero z the usual formula holds; at z the derivative is
    # sum over k >= z of grad_k * cumprod(x with x_z set to 1)_k; after z it is 0 (x_z stays a factor).
    seen = zero.cumsum(axis=d)
    before, first = seen == 0, zero & (seen == 1)
    safe = input + const(zero, input)
    at_zero = _revcumsum(grad * (input + const(first, input)).cumprod(d), d)
    return (_revcumsum(grad * out, d) / safe * const(before, grad) + at_zero * const(first, grad),)


def _cum_extreme(input, dim, better, xp):
    """(values, indices) of the running max/min: better(new, current) says where a new element takes over."""
    d = wrap_dim(dim, input.ndim)
    a = xp.moveaxis(input.reshape(1) if input.ndim == 0 else input, d, 0)
    vals, idx = a.copy(), xp.zeros(a.shape, np.int64)
    for i in range(1, a.shape[0]):
        take = better(a[i], vals[i - 1])
        vals[i] = xp.where(take, a[i], vals[i - 1])
        idx[i] = xp.where(take, i, idx[i - 1])
    return xp.moveaxis(vals, 0, d).reshape(input.shape), xp.moveaxis(idx, 0, d).reshape(input.shape)


@op(dtype=KEEP, outputs=2, out_names=("values", "indices"))
def cummax(input, dim: int, *, xp):
    """Running maximum along dim and where it was taken; ties and NaN take the later index (torch.cummax)."""
    nan = _is_float(input)
    return _cum_extreme(input, dim, lambda x, cur: (x >= cur) | (nan and xp.isnan(x)), xp)


@op(dtype=KEEP, outputs=2, out_names=("values", "indices"))
def cummin(input, dim: int, *, xp):
    """Running minimum along dim and where it was taken; ties and NaN take the later index (torch.cummin)."""
    nan = _is_float(input)
    return _cum_extreme(input, dim, lambda x, cur: (x <= cur) | (nan and xp.isnan(x)), xp)


@cummax.derivative
def _(grad, out, dim, input_shape):
    return (select_backward(grad[0], out[1], dim, input_shape),)


cummin.derivative(cummax.derivative_fn)


@op(dtype=KEEP)
def logcumsumexp(input, dim: int, *, xp):
    """log(cumsum(exp(input))) along dim, computed stably (torch.logcumsumexp)."""
    if not _is_float(input):
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{D.FROM_NP[input.dtype].name.capitalize()}'")
    d = wrap_dim(dim, input.ndim)
    a = _acc(input).reshape(1) if input.ndim == 0 else _acc(input)
    return xp.logaddexp.accumulate(a, axis=d).reshape(input.shape).astype(input.dtype, copy=False)


@logcumsumexp.derivative
def _(grad, input, out, dim):
    if input.ndim == 0:
        return (grad,)
    d = wrap_dim(dim, input.ndim)
    x = input._data
    # sum over k >= i of grad_k exp(x_i - out_k), shifted by the slice's max to keep both exps in range
    m = const(x.max(axis=d, keepdims=True) if x.size else x.sum(axis=d, keepdims=True), input)
    return ((input - m).exp() * _revcumsum(grad * (m - out).exp(), d),)
