"""Gather, scatter and index-tensor ops: index_select, gather, scatter*, index_add/copy/fill, masked_*, take, nonzero,
searchsorted. Index tensors are int64 or int32; ops keep the input's dtype (no promotion with the index).

The ops are declared with their tensor inputs first (the registry's rule); the public functions take torch's order
(``input, dim, index, src``) and call them.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .creation import ones_like, zeros, zeros_like
from ._registry import KEEP, export, op
from ._util import add_rows, wrap_dim


def _check_index(index, name: str, vector: bool = False) -> None:
    if index.dtype.kind not in "iu" or index.dtype.itemsize < 4:
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    if vector and index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")


def _bad_index(index, n: int, negative: bool = False):
    """The first index outside [0, n) (or [-n, n) when negatives wrap), or None."""
    if not index.size:
        return None
    bad = (index < (-n if negative else 0)) | (index >= n)
    return int(index[bad].reshape(-1)[0]) if bad.any() else None


def _size(a, d: int) -> int:
    return a.shape[d] if a.ndim else 1


def _same_dtype(name: str, a, b) -> None:
    if hasattr(b, "dtype") and b.dtype != a.dtype:
        from .. import _dtype as D
        raise RuntimeError(f"{name}(): self ({D.FROM_NP[a.dtype].name.capitalize()}) and source "
                           f"({D.FROM_NP[b.dtype].name.capitalize()}) must have the same scalar type")


# ---------------------------------------------------------------------------------------------------------------
# index_select and the index_* family: one index per slice along dim


@op(dtype=KEEP, method=False, export=False, name="index_select")
def _index_select(input, index, dim: int, *, xp):
    _check_index(index, "index_select", vector=True)
    d = wrap_dim(dim, input.ndim)
    if _bad_index(index, _size(input, d)) is not None:
        raise IndexError("index out of range in self")
    if input.ndim == 0:
        if index.size != 1:
            raise IndexError(f"index_select(): Index to scalar can have only 1 value, got {index.size} value(s)")
        return input.copy()
    return xp.take(input, index.reshape(-1), axis=d)


@_index_select.derivative
def _(grad, input_shape, index, dim):
    return _index_add(zeros(input_shape, dtype=grad.dtype, device=grad.device), index, grad, dim), None


@export
def index_select(input, dim: int, index, *, out=None) -> Tensor:
    """The slices of input at index along dim (torch.index_select)."""
    return _index_select(input, index, dim, out=out)


def _check_source(input, index, source, d: int) -> None:
    want = input.shape[:d] + (index.size,) + input.shape[d + 1:] if input.ndim else ()
    if source.shape != want:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")


def _index_prep(name: str, input, index, source, dim: int, xp, negative_ok=False, error=RuntimeError):
    _check_index(index, name, vector=True)
    _same_dtype(name, input, source)
    d = wrap_dim(dim, input.ndim)
    out = input.copy() if input.ndim else input.reshape(1).copy()
    n = out.shape[d]
    bad = _bad_index(index, n, negative_ok)
    if bad is not None:
        raise error(f"{name}(): index {bad} is out of bounds for dimension {d} with size {n}" if error is IndexError
                    else f"index {bad} is out of bounds for dimension {d} with size {n}")
    if source is None:
        return out, None, d, index.reshape(-1)
    _check_source(input, index, source, d)
    src = source.reshape(out.shape[:d] + (index.size,) + out.shape[d + 1:])
    return out, xp.moveaxis(src, d, 0), d, index.reshape(-1)


@op(dtype=KEEP, method=False, export=False, inplace=True, name="index_add")
def _index_add(input, index, source, dim: int, alpha=1, *, xp):
    out, src, d, idx = _index_prep("index_add_", input, index, source, dim, xp)
    add_rows(xp.moveaxis(out, d, 0), idx, src if alpha == 1 else src * alpha, xp)
    return out.reshape(input.shape)


@_index_add.derivative
def _(grad, index, source_shape, dim, alpha, needs):
    g_src = None
    if needs[2]:
        g_src = _index_select(grad, index, dim).reshape(source_shape)
        g_src = g_src if alpha == 1 else g_src * alpha
    return grad, None, g_src


@export
def index_add(input, dim: int, index, source, *, alpha=1, out=None) -> Tensor:
    """input with alpha * source's slices added at index along dim; repeated indices accumulate (torch.index_add)."""
    return _index_add(input, index, source, dim, alpha, out=out)


def index_add_(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """In-place index_add (torch.Tensor.index_add_)."""
    return _index_add.public_inplace(input, index, source, dim, alpha)


@op(dtype=KEEP, method=False, export=False, inplace=True, name="index_copy")
def _index_copy(input, index, source, dim: int, *, xp):
    out, src, d, idx = _index_prep("index_copy_", input, index, source, dim, xp, error=IndexError)
    xp.moveaxis(out, d, 0)[idx] = src
    return out.reshape(input.shape)


@_index_copy.derivative
def _(grad, index, source_shape, dim, needs):
    g_in = _index_fill(grad, index, 0, dim) if needs[0] else None
    g_src = _index_select(grad, index, dim).reshape(source_shape) if needs[2] else None
    return g_in, None, g_src


@export
def index_copy(input, dim: int, index, source, *, out=None) -> Tensor:
    """input with source's slices copied to index along dim (torch.index_copy)."""
    return _index_copy(input, index, source, dim, out=out)


def index_copy_(input, dim: int, index, source) -> Tensor:
    """In-place index_copy (torch.Tensor.index_copy_)."""
    return _index_copy.public_inplace(input, index, source, dim)


@op(dtype=KEEP, method=False, export=False, inplace=True, name="index_fill")
def _index_fill(input, index, value, dim: int, *, xp):
    if getattr(value, "ndim", 0):
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    out, _, d, idx = _index_prep("index_fill_", input, index, None, dim, xp, negative_ok=True, error=IndexError)
    xp.moveaxis(out, d, 0)[idx] = xp.asarray(value).astype(out.dtype)
    return out.reshape(input.shape)


@_index_fill.derivative
def _(grad, index, dim, needs):
    g_in = _index_fill(grad, index, 0, dim) if needs[0] else None
    g_val = None
    if needs[2]:
        wrapped = Tensor._make(index._data % _size(grad._data, wrap_dim(dim, grad.ndim)), index.device)
        g_val = _index_select(grad, wrapped, dim).sum()
    return g_in, None, g_val


@export
def index_fill(input, dim: int, index, value) -> Tensor:
    """input with the slices at index along dim set to value, a number or 0-d tensor (torch.index_fill)."""
    return _index_fill(input, index, value, dim)


def index_fill_(input, dim: int, index, value) -> Tensor:
    """In-place index_fill (torch.Tensor.index_fill_)."""
    return _index_fill.public_inplace(input, index, value, dim)


Tensor.index_add_, Tensor.index_copy_, Tensor.index_fill_ = index_add_, index_copy_, index_fill_


# ---------------------------------------------------------------------------------------------------------------
# gather and scatter: one index per element


def _check_gather(name: str, input, index, d: int, other=None) -> None:
    _check_index(index, name)
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    for k in range(index.ndim):
        if k != d and index.shape[k] > _size(input, k):
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to be no "
                               f"larger than self {list(input.shape)} apart from dimension {d}")
        if other is not None and index.shape[k] > _size(other, k):
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than src {list(other.shape)} "
                               f"apart from dimension {d}")
    bad = _bad_index(index, _size(input, d))
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {_size(input, d)}")


def _key(index, d: int, xp) -> tuple:
    """The advanced-indexing key that addresses out[..., index[i, j, ...], ...] along d for every position of index."""
    grids = xp.indices(index.shape, sparse=True)
    return tuple(index if k == d else g for k, g in enumerate(grids))


def _fit(a, shape):
    """a's leading block of the given shape (torch allows src larger than index)."""
    return a[tuple(slice(0, s) for s in shape)] if a.shape != shape else a


@op(dtype=KEEP, method=False, export=False, name="gather")
def _gather(input, index, dim: int, *, xp):
    d = wrap_dim(dim, input.ndim)
    _check_gather("gather", input, index, d)
    if input.ndim == 0:
        return input.reshape(1)[index]
    return xp.take_along_axis(_fit(input, index.shape[:d] + (input.shape[d],) + index.shape[d + 1:]), index, d)


@_gather.derivative
def _(grad, input_shape, index, dim):
    out = zeros(input_shape, dtype=grad.dtype, device=grad.device)
    return _scatter_reduce(out, index, grad, dim, "sum", True), None


@export
def gather(input, dim: int, index, *, sparse_grad: bool = False, out=None) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0, and so on (torch.gather)."""
    return _gather(input, index, dim, out=out)


def _scatter_prep(name: str, input, index, src, dim: int, xp):
    d = wrap_dim(dim, input.ndim)
    is_tensor = hasattr(src, "shape")
    if is_tensor and src.dtype != input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    _check_gather(name, input, index, d, src if is_tensor else None)
    out = input.copy() if input.ndim else input.reshape(1).copy()
    idx = index.reshape(index.shape or (1,)) if input.ndim == 0 else index
    s = _fit(src.reshape(src.shape or (1,)) if input.ndim == 0 else src, idx.shape) if is_tensor else \
        xp.asarray(src).astype(out.dtype)
    return out, _key(idx, d, xp), s, d


_UFUNCS = {"add": "add", "multiply": "multiply", "sum": "add", "prod": "multiply", "mean": "add", "amax": "maximum",
           "amin": "minimum"}


@op(dtype=KEEP, method=False, export=False, inplace=True, name="scatter")
def _scatter(input, index, src, dim: int, reduce: str | None = None, *, xp):
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    out, key, s, _ = _scatter_prep("scatter", input, index, src, dim, xp)
    if reduce is None:
        out[key] = s
    else:
        getattr(xp, _UFUNCS[reduce]).at(out, key, s)
    return out.reshape(input.shape)


@_scatter.derivative
def _(grad, index, dim, reduce, needs):
    if reduce is not None:
        raise RuntimeError("derivative for aten::scatter is not implemented")
    g_in = _scatter(grad, index, 0, dim) if needs[0] else None
    g_src = _gather(grad, index, dim) if needs[2] else None
    return g_in, None, g_src


@export
def scatter(input, dim: int, index, src=None, value=None, *, reduce: str | None = None, out=None) -> Tensor:
    """input with src's values (or one value) written at index along dim (torch.scatter); reduce='add'|'multiply'
    combines instead of overwriting (no gradient, as in torch)."""
    return _scatter(input, index, value if src is None else src, dim, reduce, out=out)


def scatter_(input, dim: int, index, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    """In-place scatter (torch.Tensor.scatter_)."""
    return _scatter.public_inplace(input, index, value if src is None else src, dim, reduce)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}
_ALIASES = {"max": "amax", "min": "amin"}  # torch accepts the old names too


@op(dtype=KEEP, method=False, export=False, inplace=True, name="scatter_reduce")
def _scatter_reduce(input, index, src, dim: int, reduce: str, include_self: bool = True, *, xp):
    reduce = _ALIASES.get(reduce, reduce)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not hasattr(src, "shape"):
        raise TypeError("scatter_reduce(): argument 'src' must be Tensor, not " + type(src).__name__)
    out, key, s, d = _scatter_prep("scatter_reduce", input, index, src, dim, xp)
    if not include_self:
        if reduce in _IDENTITY:
            out[key] = _IDENTITY[reduce]
        else:
            out[key] = s.max() if reduce == "amin" else s.min()  # any value of s: it is then reduced with the others
    getattr(xp, _UFUNCS[reduce]).at(out, key, s)
    if reduce == "mean":
        count = xp.full(out.shape, 1 if include_self else 0, dtype=np.int64)
        xp.add.at(count, key, 1)
        count = xp.maximum(count, 1)
        out = (out // count if out.dtype.kind in "iub" else out / count).astype(out.dtype)
    return out.reshape(input.shape)


@_scatter_reduce.derivative
def _(grad, input, index, src, out, dim, reduce, include_self, needs):
    reduce = _ALIASES.get(reduce, reduce)
    g_in = g_src = None
    if reduce == "sum":
        g_in = grad
        g_src = _gather(grad, index, dim)
    elif reduce == "mean":
        n = ones_like(grad) if include_self else zeros_like(grad)
        n = _scatter_reduce(n, index, ones_like(src), dim, "sum")
        n = masked_fill(n, n == 0, 1)
        g_in = grad / n
        g_src = _gather(grad, index, dim) / _gather(n, index, dim)
    elif reduce == "prod":
        g_in, g_src = _prod_backward(grad, input, index, src, out, dim, include_self)
    else:
        value = _gather(out, index, dim)
        self_is = (input == out).to(grad.dtype)
        src_is = (src == value).to(grad.dtype)
        share = grad / _scatter_reduce(self_is, index, src_is, dim, "sum")
        g_in = self_is * share
        g_src = src_is * _gather(share, index, dim)
    if not include_self:
        g_in = _scatter(g_in, index, 0, dim)
    return (g_in if needs[0] else None), None, (g_src if needs[2] else None)


def _prod_backward(grad, input, index, src, out, dim, include_self):
    """Gradients of scatter_reduce 'prod', exact where some factors are zero (torch's scatter_reduce_backward)."""
    masked_self = masked_fill(input, input == 0, 1)
    masked_self_result = _scatter_reduce(masked_self, index, src, dim, "prod", include_self)
    g_in = grad * masked_self_result / masked_self
    src_zero = src == 0
    src_num_zeros = _gather(_scatter_reduce(zeros_like(input), index, src_zero.to(grad.dtype), dim, "sum"), index, dim)
    single = src_zero * (src_num_zeros == 1)
    masked_src = masked_fill(src, single, 1)
    masked_src_result = _scatter_reduce(input, index, masked_src, dim, "prod", include_self)
    g_src1 = masked_fill(_gather(grad * masked_src_result, index, dim), single == 0, 0)
    g_src2 = masked_fill(_gather(grad * out, index, dim) / masked_fill(src, src_zero, 1), single, 0)
    return g_in, g_src1 + g_src2


@export
def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True, out=None) -> Tensor:
    """Reduce src's values into input at index along dim with sum, prod, mean, amax or amin (torch.scatter_reduce);
    include_self=False leaves input's values at scattered positions out of the reduction."""
    return _scatter_reduce(input, index, src, dim, reduce, include_self, out=out)


def scatter_reduce_(input, dim: int, index, src, reduce: str, *, include_self: bool = True) -> Tensor:
    """In-place scatter_reduce (torch.Tensor.scatter_reduce_)."""
    return _scatter_reduce.public_inplace(input, index, src, dim, reduce, include_self)


@export
def scatter_add(input, dim: int, index, src, *, out=None) -> Tensor:
    """input with src's values added at index along dim (torch.scatter_add)."""
    return _scatter_reduce(input, index, src, dim, "sum", True, out=out)


def scatter_add_(input, dim: int, index, src) -> Tensor:
    """In-place scatter_add (torch.Tensor.scatter_add_)."""
    return _scatter_reduce.public_inplace(input, index, src, dim, "sum", True)


Tensor.scatter_, Tensor.scatter_add_, Tensor.scatter_reduce_ = scatter_, scatter_add_, scatter_reduce_


@export
def take_along_dim(input, indices, dim: int | None = None, *, out=None) -> Tensor:
    """gather after broadcasting input and indices against each other outside dim (torch.take_along_dim); without
    dim, indexes the flattened input."""
    if dim is None:
        return _gather(input.reshape(-1), indices.reshape(-1), 0, out=out)
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    from .join import broadcast_shapes
    d = wrap_dim(dim, input.ndim)
    shape = list(input.shape)
    shape[d] = indices.shape[d]
    shape = list(broadcast_shapes(shape, indices.shape))
    idx = indices.expand(shape)
    shape[d] = input.shape[d]
    return _gather(input.expand(shape), idx, d, out=out)


# ---------------------------------------------------------------------------------------------------------------
# masks


def _check_mask(name: str, mask) -> None:
    if mask.dtype != np.bool_:
        from .. import _dtype as D
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype {D.FROM_NP[mask.dtype]}")


@op(dtype=KEEP, inplace=True)
def masked_fill(input, mask, value, *, xp):
    """input with value (a number or 0-d tensor) where mask is True, broadcasting (torch.masked_fill)."""
    _check_mask("masked_fill_", mask)
    if getattr(value, "ndim", 0):
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    fill = xp.asarray(value).astype(input.dtype)
    if xp.broadcast_shapes(input.shape, mask.shape) == input.shape:  # a copy filled where mask: ~2x faster than where
        r = input.copy()
        xp.copyto(r, fill, where=mask)
        return r
    return xp.where(mask, fill, input)


@masked_fill.derivative
def _(grad, mask, needs):
    g_in = masked_fill(grad, mask, 0) if needs[0] else None
    g_val = masked_select(grad, mask).sum() if needs[2] else None
    return g_in, None, g_val


@op(dtype=KEEP, inplace=True)
def masked_scatter(input, mask, source, *, xp):
    """input with source's leading elements written, in order, where mask is True (torch.masked_scatter)."""
    _check_mask("masked_scatter_", mask)
    if source.dtype != input.dtype:
        raise RuntimeError("masked_scatter_: expected self and source to have same dtypes but got "
                           f"{input.dtype} and {source.dtype}")
    shape = np.broadcast_shapes(input.shape, mask.shape)
    out = xp.broadcast_to(input, shape).copy()
    m = xp.broadcast_to(mask, shape)
    n = int(m.sum())
    if source.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = source.reshape(-1)[:n]
    return out


@masked_scatter.derivative
def _(grad, mask, source_shape, needs):
    from .join import cat
    g_in = masked_fill(grad, mask, 0) if needs[0] else None
    g_src = None
    if needs[2]:
        picked = masked_select(grad, mask)
        numel = int(np.prod(source_shape))
        g_src = cat([picked, zeros(numel - picked.numel(), dtype=grad.dtype, device=grad.device)]).reshape(source_shape)
    return g_in, None, g_src


@op(dtype=KEEP)
def masked_select(input, mask, *, xp):
    """The elements of input where mask is True, as a 1-D tensor, broadcasting (torch.masked_select)."""
    _check_mask("masked_select", mask)
    shape = np.broadcast_shapes(input.shape, mask.shape)
    return xp.broadcast_to(input, shape)[xp.broadcast_to(mask, shape)]


@masked_select.derivative
def _(grad, input_shape, mask):
    shape = np.broadcast_shapes(tuple(input_shape), tuple(mask.shape))
    return masked_scatter(zeros(shape, dtype=grad.dtype, device=grad.device), mask, grad), None


# ---------------------------------------------------------------------------------------------------------------
# flat indices


@op(dtype=KEEP)
def take(input, index, *, xp):
    """input as if flattened, at index; negative indices count from the end (torch.take)."""
    _check_index(index, "take")
    n = input.size
    bad = _bad_index(index, n, negative=True)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return xp.take(input, index)


@take.derivative
def _(grad, input_shape, index):
    from .index import index_put_
    out = zeros(int(np.prod(input_shape)), dtype=grad.dtype, device=grad.device)
    return index_put_(out, (index.reshape(-1),), grad.reshape(-1), True).reshape(input_shape), None


@export
def put(input, index, source, accumulate: bool = False) -> Tensor:
    """input, as if flattened, with source written (or added) at index (torch.put)."""
    from .index import index_put
    _check_index(index._data, "put")
    n = input.numel()
    bad = _bad_index(index._data, n, negative=True)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    if source.numel() != index.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got source."
                           f"numel() = {source.numel()}, index.numel() = {index.numel()}")
    return index_put(input.reshape(-1), (index.reshape(-1),), source.reshape(-1), accumulate).reshape(input.shape)


def put_(input, index, source, accumulate: bool = False) -> Tensor:
    """In-place put (torch.Tensor.put_)."""
    return input.copy_(put(input, index, source, accumulate))


Tensor.put_ = put_


# ---------------------------------------------------------------------------------------------------------------
# positions (no gradient)


@op(dtype=KEEP, method=False, export=False, name="nonzero")
def _nonzero(input, *, xp):
    return xp.argwhere(input)


@export
def nonzero(input, *, out=None, as_tuple: bool = False):
    """Indices of the non-zero elements, one row each (torch.nonzero); as_tuple gives one index tensor per dim."""
    res = _nonzero(input, out=out)
    if not as_tuple:
        return res
    if input.ndim == 0:
        return (res.new_zeros(res.shape[0]),)
    return tuple(res[:, k] for k in range(input.ndim))


@export
def argwhere(input) -> Tensor:
    """Indices of the non-zero elements, one row each (torch.argwhere)."""
    return _nonzero(input)


@op(dtype=KEEP, method=False, export=False, name="searchsorted")
def _searchsorted(sorted_sequence, input, sorter, right: bool, out_int32: bool, *, xp):
    seq = sorted_sequence
    vals = xp.asarray(input)
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter, -1)
    side = "right" if right else "left"
    dt = np.int32 if out_int32 else np.int64
    if seq.ndim <= 1:
        return xp.searchsorted(seq.reshape(-1), vals, side=side).astype(dt)
    if vals.shape[:-1] != seq.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           f"of boundaries tensor and input value tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
    flat_seq, flat_vals = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
    rows = [xp.searchsorted(s, v, side=side) for s, v in zip(flat_seq, flat_vals)]
    return xp.stack(rows).reshape(vals.shape).astype(dt)


@export(method=False)
def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False, side: str | None = None,
                 out=None, sorter=None) -> Tensor:
    """Insertion points of input's values into the innermost dim of sorted_sequence (torch.searchsorted)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    return _searchsorted(sorted_sequence, input, sorter, right, out_int32, out=out)


@export(method=False)
def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False, out=None) -> Tensor:
    """The bucket of each value among 1-D boundaries (torch.bucketize): right=False gives
    boundaries[i-1] < x <= boundaries[i]."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _searchsorted(boundaries, input, None, right, out_int32, out=out)
