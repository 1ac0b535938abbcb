"""Joining, splitting, repeating and rearranging ops: cat, stack, repeat, flip, roll, tensor_split, meshgrid, unfold."""
from __future__ import annotations

import numpy as np

from .._tensor import Size, Tensor
from ._registry import KEEP, export, op
from ._util import dims as _dims, sizes, wrap_dim
from .shape import _expand, narrow, reshape, transpose


def _tensor_list(name: str, tensors, empty_error=RuntimeError) -> list:
    """tensors as a list, checked the way torch checks a TensorList argument."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not tensors:
        raise empty_error(f"torch.{name}(): expected a non-empty list of Tensors" if name == "cat" else
                          f"{name} expects a non-empty TensorList")
    return list(tensors)


def _skipped(shape) -> bool:
    return shape == (0,)  # torch's legacy rule: cat ignores empty 1-D tensors


@op(dtype="promote", method=False, export=False, name="cat")
def _cat(tensors, dim: int, *, xp):
    parts = [(i, a) for i, a in enumerate(tensors) if not _skipped(a.shape)]
    if not parts:
        return xp.concatenate(tensors)
    i0, ref = parts[0]
    if ref.ndim == 0:
        raise RuntimeError(f"zero-dimensional tensor (at position {i0}) cannot be concatenated")
    d = wrap_dim(dim, ref.ndim)
    for i, a in parts[1:]:
        if a.ndim != ref.ndim:
            if a.ndim == 0:
                raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {a.ndim}")
        for k in range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {a.shape[k]} for tensor number {i} in the list.")
    return xp.concatenate([a for _, a in parts], axis=d)


@_cat.derivative
def _(grad, tensors_shape, dim):
    ref = next((s for s in tensors_shape if not _skipped(s)), None)
    if ref is None:
        return (None,) * len(tensors_shape)
    d = wrap_dim(dim, len(ref))
    out, start = [], 0
    for s in tensors_shape:
        if _skipped(s):
            out.append(None)
            continue
        out.append(narrow(grad, d, start, s[d]))
        start += s[d]
    return tuple(out)


@export(method=False)
def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate along dim, promoting dtypes (torch.cat); empty 1-D tensors are skipped, as in torch."""
    return _cat(_tensor_list("cat", tensors, ValueError), dim, out=out)


export(cat, method=False, name="concat")
export(cat, method=False, name="concatenate")


@export(method=False)
def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join equal-shaped tensors along a new dim (torch.stack)."""
    ts = _tensor_list("stack", tensors)
    shape = ts[0].shape
    for i, t in enumerate(ts):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    return _cat([t.unsqueeze(d) for t in ts], d, out=out)


@export(method=False)
def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate column-wise: along dim 0 for 1-D tensors, else dim 1 (torch.hstack)."""
    ts = atleast_1d(_tensor_list("hstack", tensors))
    return _cat(list(ts), 0 if ts[0].ndim == 1 else 1, out=out)


@export(method=False)
def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate row-wise after atleast_2d (torch.vstack)."""
    return _cat(list(atleast_2d(_tensor_list("vstack", tensors))), 0, out=out)


export(vstack, method=False, name="row_stack")


@export(method=False)
def dstack(tensors, *, out=None) -> Tensor:
    """Concatenate depth-wise (dim 2) after atleast_3d (torch.dstack)."""
    return _cat(list(atleast_3d(_tensor_list("dstack", tensors))), 2, out=out)


@export(method=False)
def column_stack(tensors, *, out=None) -> Tensor:
    """Stack as columns: 0-d and 1-d tensors become columns, then cat along dim 1 (torch.column_stack)."""
    ts = _tensor_list("column_stack", tensors)
    return _cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts], 1, out=out)


def _atleast(nd: int, tensors):
    def one(t):
        if t.ndim >= nd:
            return t
        if nd == 3 and t.ndim == 2:
            return t.unsqueeze(2)
        if nd == 3 and t.ndim == 1:
            return reshape(t, (1, t.shape[0], 1))
        return reshape(t, (1,) * (nd - t.ndim) + tuple(t.shape))
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(one(t) for t in tensors)


@export(method=False)
def atleast_1d(*tensors):
    """Tensors with at least 1 dim; one tensor in, one out, else a tuple (torch.atleast_1d)."""
    return _atleast(1, tensors)


@export(method=False)
def atleast_2d(*tensors):
    """Tensors with at least 2 dims (torch.atleast_2d)."""
    return _atleast(2, tensors)


@export(method=False)
def atleast_3d(*tensors):
    """Tensors with at least 3 dims; a 1-D (n) becomes (1, n, 1), a 2-D (a, b) becomes (a, b, 1) (torch.atleast_3d)."""
    return _atleast(3, tensors)


# ---------------------------------------------------------------------------------------------------------------
# repeating


@op(dtype=KEEP, method=False, export=False, name="repeat")
def _repeat(input, repeats: tuple, *, xp):
    if len(repeats) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in repeats):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(repeats)}: {list(repeats)}")
    return xp.tile(input, repeats)


@_repeat.derivative
def _(grad, input_shape, repeats):
    shape = (1,) * (len(repeats) - len(input_shape)) + tuple(input_shape)
    g = grad.reshape(tuple(x for r, s in zip(repeats, shape) for x in (r, s)))
    return (g.sum(tuple(range(0, 2 * len(shape), 2))).reshape(input_shape),)


def repeat(input, *sizes_) -> Tensor:
    """Tile the tensor sizes[i] times along each dim; extra leading sizes add dims (torch.Tensor.repeat)."""
    return _repeat(input, sizes(sizes_))


Tensor.repeat = repeat


@export
def tile(input, dims) -> Tensor:
    """repeat, with dims padded by leading ones when shorter than input's dims (torch.tile)."""
    reps = tuple(int(d) for d in dims)
    return _repeat(input, (1,) * (input.ndim - len(reps)) + reps)


@export
def repeat_interleave(input, repeats=None, dim: int | None = None, *, output_size: int | None = None) -> Tensor:
    """Repeat each element (or slice along dim) repeats times (torch.repeat_interleave).

    With only a tensor of counts, returns the indices repeated by those counts.
    """
    from .creation import tensor
    from .gather import index_select
    if repeats is None:
        counts = input._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype.kind not in "iu":
            raise RuntimeError("repeats has to be Long or Int tensor")
        return tensor(_repeat_index(counts.reshape(-1), counts.size, output_size), device=input.device)
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = repeats._data.reshape(-1)
        if counts.size != 1 and counts.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({d}) = {n}")
    else:
        counts = np.asarray([int(repeats)])
    index = _repeat_index(np.broadcast_to(counts, (n,)), n, output_size)
    return index_select(input, d, tensor(index, device=input.device))


def _repeat_index(counts: np.ndarray, n: int, output_size) -> np.ndarray:
    counts = np.asarray(counts.get() if hasattr(counts, "get") else counts)
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    index = np.repeat(np.arange(n, dtype=np.int64), counts)
    if output_size is not None and index.size != output_size:
        raise RuntimeError("allocated size does not match required size")
    return index


# ---------------------------------------------------------------------------------------------------------------
# rearranging


@op(dtype=KEEP, method=False, export=False, name="flip")
def _flip(input, dims: tuple, *, xp):
    d = _dims(dims, input.ndim)
    return xp.flip(input, d).copy() if d else input.copy()


@_flip.derivative
def _(grad, dims):
    return (_flip(grad, dims),)


@export
def flip(input, *dims) -> Tensor:
    """Reverse the order along dims, as a copy (torch.flip)."""
    return _flip(input, sizes(dims))


@export
def fliplr(input) -> Tensor:
    """Flip left-right: dim 1 (torch.fliplr)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _flip(input, (1,))


@export
def flipud(input) -> Tensor:
    """Flip up-down: dim 0 (torch.flipud)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _flip(input, (0,))


def _tuple(x) -> tuple:
    return (int(x),) if isinstance(x, (int, np.integer)) else tuple(int(v) for v in x)


@op(dtype=KEEP, method=False, export=False, name="roll")
def _roll(input, shifts: tuple, dims: tuple, *, xp):
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return xp.roll(input, shifts[0])
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return xp.roll(input, shifts, tuple(wrap_dim(d, input.ndim) for d in dims))


@_roll.derivative
def _(grad, shifts, dims):
    return (_roll(grad, tuple(-s for s in shifts), dims),)


@export
def roll(input, shifts, dims=None) -> Tensor:
    """Shift elements circularly along dims; without dims, over the flattened tensor (torch.roll)."""
    return _roll(input, _tuple(shifts), () if dims is None else _tuple(dims))


@export
def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of dims, from the first towards the second (torch.rot90)."""
    dims = _tuple(dims)
    nd = input.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(_flip(input, (d1,)), d0, d1)
    if k == 2:
        return _flip(input, (d0, d1))
    if k == 3:
        return transpose(_flip(input, (d0,)), d0, d1)
    return input.clone()


# ---------------------------------------------------------------------------------------------------------------
# splitting


def _slice(input, d: int, start, stop):
    return input[(slice(None),) * d + (slice(start, stop),)]


@export
def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Views split into n nearly equal parts, or at the given indices (torch.tensor_split)."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, input.ndim)
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype.is_floating_point or spec.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec.ndim} dims")
        spec = int(spec.item()) if spec.ndim == 0 else [int(v) for v in spec.tolist()]
    if isinstance(spec, (int, np.integer)):
        k, n = int(spec), input.shape[d]
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        bounds, start = [], 0
        for i in range(k - 1):
            start += n // k + (1 if i < n % k else 0)
            bounds.append(start)
    else:
        bounds = [int(v) for v in spec]
    edges = [0] + bounds + [None]
    return tuple(_slice(input, d, a, b) for a, b in zip(edges[:-1], edges[1:]))


def _split_at(name: str, input, spec, d: int) -> tuple:
    if isinstance(spec, (int, np.integer)):
        n = input.shape[d]
        if spec == 0 or n % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {spec}!")
    return tensor_split(input, spec, d)


@export
def hsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 1 (dim 0 for 1-D); an int must divide the size (torch.hsplit)."""
    if input.ndim < 1:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
                           "dimensions!")
    return _split_at("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1)


@export
def vsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 0 of a tensor with at least 2 dims (torch.vsplit)."""
    if input.ndim < 2:
        raise RuntimeError(f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with "
                           f"{input.ndim} dimensions!")
    return _split_at("vsplit", input, indices_or_sections, 0)


@export
def dsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 2 of a tensor with at least 3 dims (torch.dsplit)."""
    if input.ndim < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with "
                           f"{input.ndim} dimensions!")
    return _split_at("dsplit", input, indices_or_sections, 2)


# ---------------------------------------------------------------------------------------------------------------
# broadcasting and grids


@export(method=False)
def broadcast_shapes(*shapes) -> Size:
    """The shape all the given shapes broadcast to (torch.broadcast_shapes)."""
    shs = [(int(s),) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*shs))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {shs}") from None


@export(method=False)
def broadcast_tensors(*tensors) -> tuple:
    """Broadcast views of the tensors to one shape (torch.broadcast_tensors)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = tuple(broadcast_shapes(*(t.shape for t in tensors)))
    return tuple(_expand(t, shape) for t in tensors)


@export(method=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors: 'ij' (matrix, the default) or 'xy' (Cartesian) indexing (torch.meshgrid)."""
    ts = list(tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors)
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not ts:
        return ()
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
        if t.dtype is not ts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    grids = [_expand(reshape(t, tuple(-1 if i == k else 1 for i in range(len(ts)))), shape) for k, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ---------------------------------------------------------------------------------------------------------------
# sliding windows


@op(dtype=KEEP, view=True, export=False)
def unfold(input, dimension: int, size: int, step: int, *, xp):
    """All windows of `size` along `dimension`, `step` apart, in a new last dim, as a view (torch.Tensor.unfold)."""
    d = wrap_dim(dimension, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input.ndim == 0:
        return input.reshape(size)
    st = input.strides
    shape = input.shape[:d] + ((n - size) // step + 1,) + input.shape[d + 1:] + (size,)
    strides = st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],)
    return xp.lib.stride_tricks.as_strided(input, shape, strides)


@unfold.derivative
def _(grad, input_shape, dimension, size, step):
    from .creation import tensor, zeros
    nd = len(input_shape)
    if nd == 0:
        return (grad.reshape(()),)
    d = wrap_dim(dimension, nd)
    nwin = grad.shape[d]
    g = grad.movedim(-1, d + 1)
    g = g.reshape(tuple(input_shape[:d]) + (nwin * size,) + tuple(input_shape[d + 1:]))
    index = (np.arange(nwin)[:, None] * step + np.arange(size)).reshape(-1)
    out = zeros(input_shape, dtype=grad.dtype, device=grad.device)
    return (out.index_add(d, tensor(index, device=grad.device), g),)
