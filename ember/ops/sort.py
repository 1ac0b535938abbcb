"""Sorting and selection (sort, topk, kthvalue, median, mode, quantile), unique, counting (bincount, histc), diff.

Sorting is stable; NaN sorts as the largest value, as in torch. Ops that pick elements return (values, indices) and
send the gradient back to the picked positions.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._registry import KEEP, export, op
from .reduce import _acc, _is_float, const, even_backward, select_backward
from ._util import wrap_dim


def _argsort(a, d: int, descending: bool, xp):
    """Stable argsort along d; descending keeps equal elements in their original order and puts NaN first."""
    key = _acc(a)
    if not descending:
        return xp.argsort(key, axis=d, kind="stable")
    rev = xp.flip(xp.argsort(xp.flip(key, d), axis=d, kind="stable"), d)
    return key.shape[d] - 1 - rev


def _along(input, dim):
    """(input as at least 1-d, the wrapped dim)."""
    return (input.reshape(1) if input.ndim == 0 else input), wrap_dim(dim, input.ndim)


def _sorted(input, dim, descending, xp):
    a, d = _along(input, dim)
    idx = _argsort(a, d, descending, xp)
    return a, d, xp.take_along_axis(a, idx, d), idx


def _nan_count(s, d, xp):
    return xp.isnan(s).sum(axis=d, keepdims=True) if _is_float(s) else xp.zeros_like(s, np.int64).sum(d, keepdims=True)


def _take(a, s, idx, pos, d, keepdim, shape, xp):
    """(values, indices) of the sorted s (with source positions idx) at positions pos (keepdims shape) along d."""
    vals, ind = xp.take_along_axis(s, pos, d), xp.take_along_axis(idx, pos, d)
    if not keepdim or not shape:
        vals, ind = vals.squeeze(d), ind.squeeze(d)
    return vals.reshape(vals.shape if shape else ()), ind.astype(np.int64).reshape(ind.shape if shape else ())


def _picked_backward(grad, out, dim, keepdim, input_shape):
    return (select_backward(grad[0], out[1], dim, input_shape, keepdim),)


@op(dtype=KEEP, outputs=2, out_names=("values", "indices"))
def sort(input, dim: int = -1, descending: bool = False, stable: bool = False, *, xp):
    """Sorted values along dim and their source indices (torch.sort); always stable, as torch on the CPU."""
    a, d, s, idx = _sorted(input, dim, descending, xp)
    return s.reshape(input.shape), idx.reshape(input.shape).astype(np.int64)


@sort.derivative
def _(grad, out, dim, input_shape):
    return (select_backward(grad[0], out[1], dim, input_shape, True, False),)


@export
def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort input along dim (torch.argsort)."""
    return sort(input, dim, descending, stable).indices


@export
def msort(input) -> Tensor:
    """input sorted along its first dim (torch.msort)."""
    return sort(input, 0).values


@op(dtype=KEEP, outputs=2, out_names=("values", "indices"))
def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, xp):
    """The k largest (or smallest) elements along dim and their indices (torch.topk); always sorted."""
    a, d, s, idx = _sorted(input, dim, largest, xp)
    if not 0 <= k <= a.shape[d]:
        raise RuntimeError("selected index k out of range")
    pos = xp.arange(k).reshape((-1,) + (1,) * (a.ndim - 1 - d))
    pos = xp.broadcast_to(pos, s.shape[:d] + (k,) + s.shape[d + 1:])
    return _take(a, s, idx, pos, d, True, input.shape, xp)


@topk.derivative
def _(grad, out, dim, input_shape):
    return (select_backward(grad[0], out[1], dim, input_shape, True, False),)


def _at(input, dim, keepdim, pos_fn, xp, name):
    """(values, indices) at the sorted position pos_fn(n, nan_count) (keepdims shape) along dim."""
    a, d, s, idx = _sorted(input, dim, False, xp)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    pos = pos_fn(n, _nan_count(s, d, xp))
    pos = xp.broadcast_to(xp.asarray(pos, np.int64), s.shape[:d] + (1,) + s.shape[d + 1:])
    return _take(a, s, idx, pos, d, keepdim, input.shape, xp)


@op(dtype=KEEP, outputs=2, out_names=("values", "indices"))
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False, *, xp):
    """The k-th smallest element (1-based) along dim and its index (torch.kthvalue)."""
    n = input.shape[wrap_dim(dim, input.ndim)] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _at(input, dim, keepdim, lambda n, nan: k - 1, xp, "kthvalue")


kthvalue.derivative(_picked_backward)


def _median_pos(n, nan):
    return (n - 1) // 2 + (nan > 0) * (n - nan - (n - 1) // 2)  # the first NaN (NaN propagates) or the lower median


def _nanmedian_pos(n, nan):
    return ((n - nan - 1) // 2).clip(0)


@op(dtype=KEEP, name="median", method=False, export=False, outputs=2, out_names=("values", "indices"))
def _median_dim(input, dim: int, keepdim: bool = False, *, xp):
    return _at(input, dim, keepdim, _median_pos, xp, "median")


@op(dtype=KEEP, name="nanmedian", method=False, export=False, outputs=2, out_names=("values", "indices"))
def _nanmedian_dim(input, dim: int, keepdim: bool = False, *, xp):
    return _at(input, dim, keepdim, _nanmedian_pos, xp, "nanmedian")


_median_dim.derivative(_picked_backward)
_nanmedian_dim.derivative(_picked_backward)


def _median_all(input, pos_fn, xp):
    if input.size == 0:
        return xp.full((), np.nan, input.dtype)
    return _at(input.reshape(-1), 0, False, pos_fn, xp, "median")[0]


@op(dtype=KEEP, name="median_all", method=False, export=False)
def _median_all_op(input, *, xp):
    return _median_all(input, _median_pos, xp)


@op(dtype=KEEP, name="nanmedian_all", method=False, export=False)
def _nanmedian_all_op(input, *, xp):
    return _median_all(input, _nanmedian_pos, xp)


@_median_all_op.derivative
def _(grad, input, out):
    return (even_backward(grad, input, out, None, False),)


_nanmedian_all_op.derivative(_median_all_op.derivative_fn)


@export
def median(input, dim: int | None = None, keepdim: bool = False, *, out=None):
    """The lower median of all elements (0-d), or (values, indices) along dim (torch.median). NaN propagates."""
    return _median_all_op(input, out=out) if dim is None else _median_dim(input, dim, keepdim, out=out)


@export
def nanmedian(input, dim: int | None = None, keepdim: bool = False, *, out=None):
    """median ignoring NaN (torch.nanmedian)."""
    return _nanmedian_all_op(input, out=out) if dim is None else _nanmedian_dim(input, dim, keepdim, out=out)


@op(dtype=KEEP, outputs=2, out_names=("values", "indices"))
def mode(input, dim: int = -1, keepdim: bool = False, *, xp):
    """The most frequent value along dim (the smallest among equally frequent ones) and its last index (torch.mode)."""
    a, d = _along(input, dim)
    if a.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    rows = xp.moveaxis(a, d, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    vals = xp.empty(flat.shape[0], a.dtype)
    idx = xp.empty(flat.shape[0], np.int64)
    for i, row in enumerate(flat):
        u, counts = xp.unique(row, return_counts=True)
        vals[i] = u[xp.argmax(counts)]
        idx[i] = row.shape[0] - 1 - xp.argmax(row[::-1] == vals[i])
    shape = rows.shape[:-1]
    vals, idx = vals.reshape(shape), idx.reshape(shape)
    if keepdim and input.ndim:
        vals, idx = xp.expand_dims(vals, d), xp.expand_dims(idx, d)
    return vals, idx


mode.derivative(_picked_backward)


# ---------------------------------------------------------------------------------------------------------------
# quantiles (composed from sort and indexing, so their gradient comes for free)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    from .creation import tensor
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    qt = q if isinstance(q, Tensor) else tensor(q, dtype=input.dtype)
    if qt.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if qt.dtype != input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    qa = qt._data.reshape(-1).astype(np.float64)
    if not ((qa >= 0) & (qa <= 1)).all():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. Found "
                           f"{interpolation}")
    if dim is None:
        x, kept = input.reshape(-1), (1,) * input.ndim if keepdim else ()
    else:
        d = wrap_dim(dim, input.ndim)
        x = input.movedim(d, -1) if input.ndim else input.reshape(1)
        kept = tuple(1 if i == d else s for i, s in enumerate(input.shape)) if keepdim else x.shape[:-1]
    s = x.sort(-1).values
    n = s.shape[-1]
    flat = s.reshape(-1, n)
    nan = np.isnan(flat._data).sum(-1, keepdims=True)
    if ignore_nan:
        rank = qa * np.maximum(n - nan - 1, 0)
    else:
        rank = np.where(nan > 0, n - 1.0, qa * (n - 1))
    lo, hi = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
    if interpolation in ("lower", "higher", "nearest"):
        lo = hi = {"lower": lo, "higher": hi, "nearest": np.round(rank).astype(np.int64)}[interpolation]
    rows = np.arange(flat.shape[0])[:, None]
    vlo = flat[rows, lo]
    if interpolation in ("linear", "midpoint"):
        w = np.full(rank.shape, 0.5) if interpolation == "midpoint" else rank - lo
        vlo = vlo + const(w, vlo) * (flat[rows, hi] - vlo)
    out = vlo.reshape(kept + (qa.size,)).movedim(-1, 0)
    return out.reshape(kept) if qt.ndim == 0 else out


@export
def quantile(input, q, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """The q-th quantiles over dim or all elements (torch.quantile); a 1-d q adds a leading dim. NaN propagates."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@export
def nanquantile(input, q, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """quantile ignoring NaN (torch.nanquantile)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ---------------------------------------------------------------------------------------------------------------
# unique, counting, differences


def _results(t, values, inverse, counts, return_inverse, return_counts):
    wrap = lambda a: Tensor._make(a, t._device)  # noqa: E731
    if not (return_inverse or return_counts):
        return wrap(values)
    out = (wrap(values),) + ((wrap(inverse.astype(np.int64)),) if return_inverse else ())
    return out + ((wrap(counts.astype(np.int64)),) if return_counts else ())


@export
def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """The sorted distinct elements (or slices along dim), with inverse indices and counts on request (torch.unique)."""
    xp = input._device.xp
    a = input._data
    if dim is None:
        v, inv, c = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inv = inv.reshape(a.shape)
    else:
        v, inv, c = xp.unique(a, return_inverse=True, return_counts=True, axis=wrap_dim(dim, a.ndim))
        inv = inv.reshape(-1)
    return _results(input, v, inv, c, return_inverse, return_counts)


@export
def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """input with runs of equal elements (or slices along dim) collapsed to one (torch.unique_consecutive)."""
    xp = input._device.xp
    a = input._data
    if dim is None:
        rows, shape = a.reshape(-1, 1), a.shape
    else:
        d = wrap_dim(dim, a.ndim)
        moved = xp.moveaxis(a, d, 0)
        rows, shape = moved.reshape(moved.shape[0], -1), (moved.shape[0],)
    n = rows.shape[0]
    start = xp.ones(n, bool)
    if n:
        start[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = xp.nonzero(start)[0]
    counts = xp.diff(xp.append(first, n))
    if dim is None:
        values = a.reshape(-1)[first]
    else:
        values = xp.moveaxis(moved[first], 0, d)
    inverse = (xp.cumsum(start) - 1).reshape(shape)
    return _results(input, values, inverse, counts, return_inverse, return_counts)


@op(dtype=KEEP, method=True)
def bincount(input, weights=None, minlength: int = 0, *, xp):
    """Counts (or weight sums) of each non-negative integer in a 1-d tensor (torch.bincount)."""
    if input.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{D.FROM_NP[input.dtype].name.capitalize()}'")
    if input.ndim != 1 or (input.size and input.min() < 0) or minlength < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None or input.size == 0:  # torch counts an empty input as int64 even with weights
        return xp.bincount(input, minlength=minlength).astype(np.int64)
    if weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dt = weights.dtype if weights.dtype in (np.float32, np.float64) else np.float64
    return xp.bincount(input, weights.astype(np.float64), minlength).astype(dt)


@op(dtype=KEEP)
def histc(input, bins: int = 100, min: float = 0, max: float = 0, *, xp):
    """A histogram of bins equal-width bins over [min, max] (the data's range when both are 0) (torch.histc)."""
    if not _is_float(input):
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{D.FROM_NP[input.dtype].name.capitalize()}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " + str(bins))
    a = input.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    # bin edges rounded to the input's dtype, as torch's linspace makes them (float16/bfloat16 values that fall on
    # an edge can still land one bin off torch's)
    step = (hi - lo) / bins
    i = np.arange(bins + 1)
    edges = xp.asarray(np.where(i < (bins + 1) // 2, lo + step * i, hi - step * (bins - i)).astype(input.dtype))
    a = a[(a >= edges[0]) & (a <= edges[-1])]
    pos = xp.minimum(xp.searchsorted(edges, a, side="right") - 1, bins - 1)
    return xp.bincount(pos, minlength=bins).astype(input.dtype)


@export
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along dim, after prepend/append are concatenated (torch.diff); xor for bool."""
    from .join import cat
    from .shape import narrow
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    for t in parts:
        if t.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        later, earlier = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = later != earlier if x.dtype is D.bool else later - earlier
    return x
