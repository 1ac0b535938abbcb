"""Shape and view ops. Views share memory and the version counter with their base (see _registry._mark_view)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd import graph
from ..autograd.grad_mode import STATE
from ._registry import KEEP, export, op
from ._util import sizes, wrap_dim


def _infer_shape(shape: tuple, numel: int) -> tuple:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


@op(dtype=KEEP, view=True, method=False, export=False, name="view")
def _view(input, shape: tuple):
    shape = _infer_shape(shape, input.size)
    out = input.view()
    try:
        out.shape = shape
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return out


@_view.derivative
def _(grad, input_shape):
    return (grad.reshape(input_shape),)


@op(dtype=KEEP, view=True, method=False, export=False, name="reshape")
def _reshape(input, shape: tuple):
    return input.reshape(_infer_shape(shape, input.size))


@_reshape.derivative
def _(grad, input_shape):
    return (grad.reshape(input_shape),)


@export
def view(input, *shape):
    """A view with a new shape sharing memory (torch.Tensor.view); raises when strides do not allow it."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        from .. import _dtype as D
        from .creation import view_dtype
        return view_dtype(input, D.to_dtype(shape[0]))
    return _view(input, sizes(shape))


@export
def reshape(input, *shape):
    """A view when the strides allow, otherwise a copy (torch.reshape)."""
    return _reshape(input, sizes(shape))


def _expand_shape(shape: tuple, size: tuple) -> tuple:
    if len(size) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(size)}): the number of sizes provided "
                           f"({len(size)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(size) - len(shape)
    out = []
    for i, s in enumerate(size):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   "non-existing dimension")
            out.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            out.append(have)
        elif have != 1 and have != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(size)}.  Tensor sizes: {list(shape)}")
        else:
            out.append(s)
    return tuple(out)


@op(dtype=KEEP, view=True, method=False, export=False, name="expand")
def _expand(input, size: tuple, *, xp):
    return xp.broadcast_to(input, _expand_shape(input.shape, size))


@_expand.derivative
def _(grad, input_shape):
    return (grad,)  # the engine sums it back to input_shape


@export(method=False)
def broadcast_to(input, size):
    """A broadcast view of input (torch.broadcast_to); read-only, as in torch's expanded tensors."""
    return _expand(input, tuple(size))


@export(name="expand", method=True)
def expand(input, *sizes_):
    """A broadcast view; -1 keeps a dim (torch.Tensor.expand). Writing into it raises, unlike torch."""
    return _expand(input, sizes(sizes_))


@export
def expand_as(input, other):
    return _expand(input, tuple(other.shape))


@export
def view_as(input, other):
    return _view(input, tuple(other.shape))


@export
def reshape_as(input, other):
    return _reshape(input, tuple(other.shape))


@op(dtype=KEEP, view=True)
def transpose(input, dim0: int, dim1: int):
    """Swap two dims, as a view (torch.transpose)."""
    return input.swapaxes(wrap_dim(dim0, input.ndim), wrap_dim(dim1, input.ndim))


@transpose.derivative
def _(grad, dim0, dim1):
    return (grad.transpose(dim0, dim1),)


export(transpose.public, name="swapaxes")
export(transpose.public, name="swapdims")


@op(dtype=KEEP, view=True, method=False, export=False, name="permute")
def _permute(input, dims: tuple):
    d = tuple(wrap_dim(i, input.ndim) for i in dims)
    if len(d) != input.ndim or len(set(d)) != len(d):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
                           f"the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not equal to "
                           f"len(dims) = {len(dims)}" if len(d) != input.ndim else "permute(): duplicate dims are not allowed.")
    return input.transpose(d)


@_permute.derivative
def _(grad, dims):
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d % len(dims)] = i
    return (_permute(grad, tuple(inv)),)


@export
def permute(input, *dims):
    """Reorder dims, as a view (torch.permute)."""
    return _permute(input, sizes(dims))


@export
def t(input):
    """Transpose a tensor of at most 2 dims (torch.t)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input.view_as(input)


Tensor.T = property(lambda self: _permute(self, tuple(range(self.ndim - 1, -1, -1))))
Tensor.mT = property(lambda self: transpose(self, -2, -1) if self.ndim >= 2 else _mT_error(self))
Tensor.mH = Tensor.mT
Tensor.H = property(lambda self: t(self))


def _mT_error(t):
    raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {t.ndim}-D tensor.")


@op(dtype=KEEP, view=True, method=False, export=False, name="squeeze")
def _squeeze(input, dim: tuple | None):
    if dim is None:
        return input.squeeze()
    d = tuple(i for i in sorted({wrap_dim(x, input.ndim) for x in dim}) if input.ndim and input.shape[i] == 1)
    return input.squeeze(d) if d else input.view()


@_squeeze.derivative
def _(grad, input_shape):
    return (grad.reshape(input_shape),)


@export
def squeeze(input, dim=None):
    """Remove size-1 dims (all, one, or a tuple of them), as a view (torch.squeeze)."""
    return _squeeze(input, None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim)))


@op(dtype=KEEP, view=True)
def unsqueeze(input, dim: int, *, xp):
    """Insert a size-1 dim, as a view (torch.unsqueeze)."""
    return xp.expand_dims(input, wrap_dim(dim, input.ndim + 1))


@unsqueeze.derivative
def _(grad, input_shape):
    return (grad.reshape(input_shape),)


@export
def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim; a view when possible (torch.flatten)."""
    nd = input.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:s] + (-1 if 0 not in shape[s:e + 1] else 0,) + shape[e + 1:])


@export
def unflatten(input, dim: int, sizes):
    """Split one dim into sizes (torch.unflatten)."""
    d = wrap_dim(dim, input.ndim)
    shape = input.shape
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


@export
def contiguous(input, memory_format=None):
    """input itself if C-contiguous, else a contiguous copy (torch.Tensor.contiguous)."""
    return input if input._data.flags.c_contiguous else input.clone(memory_format="contiguous_format")


@op(dtype=KEEP, view=True)
def narrow(input, dim: int, start: int, length: int):
    """The slice start:start+length of one dim, as a view (torch.narrow)."""
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


@narrow.derivative
def _(grad, input_shape, dim, start, length):
    d = wrap_dim(dim, len(input_shape))
    start = start + input_shape[d] if start < 0 else start

    return (_pad_zeros(grad, input_shape, d, start),)


def _pad_zeros(grad, shape, d, start):
    """grad placed at start along dim d inside zeros of shape (the derivative of slicing one dim)."""
    from .creation import zeros
    out = zeros(shape, dtype=grad.dtype, device=grad.device)
    out[(slice(None),) * d + (slice(start, start + grad.shape[d]),)] = grad
    return out


@op(dtype=KEEP, view=True)
def select(input, dim: int, index: int):
    """input indexed at one position of one dim, dropping it, as a view (torch.select)."""
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}")
    return input[(slice(None),) * d + (index,)]


@select.derivative
def _(grad, input_shape, dim, index):
    d = wrap_dim(dim, len(input_shape))
    return (_pad_zeros(grad.unsqueeze(d), input_shape, d, index % input_shape[d]),)


@op(dtype=KEEP, view=True)
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """A diagonal as a view, moved to the last dim (torch.diagonal)."""
    out = input.diagonal(offset, wrap_dim(dim1, input.ndim), wrap_dim(dim2, input.ndim))
    if input.flags.writeable:
        out.flags.writeable = True  # NumPy's diagonal is read-only; torch's is a writable view
    return out


@diagonal.derivative
def _(grad, input_shape, offset, dim1, dim2):
    from .creation import zeros
    out = zeros(input_shape, dtype=grad.dtype, device=grad.device)
    diagonal(out, offset, dim1, dim2).copy_(grad)
    return (out,)


@export
def movedim(input, source, destination):
    """Move dims to new positions, as a view (torch.movedim)."""
    nd = input.ndim
    src = [wrap_dim(s, nd) for s in ((source,) if isinstance(source, int) else source)]
    dst = [wrap_dim(s, nd) for s in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _permute(input, tuple(order))


export(movedim, name="moveaxis")


class _PiecesBackward(graph.Node):
    """The node of split/unbind: the pieces' gradients written into one gradient of the input (zeros where a piece
    got none). One node and one full-size array: a node per piece would each make a full-size zero gradient, to be
    summed by the engine (k pieces: k zero fills and k - 1 full-size additions)."""

    __slots__ = ("n_outputs", "dim", "lengths")
    squeezed = False  # unbind's pieces lack the split dim
    multi_view = True  # in-place ops on the pieces raise (see _registry._check_inplace_leaf)

    def apply(self, grads):
        shape, dt = self._meta[0]
        d, lengths = self.dim, self.lengths
        some = next(g for g in grads if g is not None)
        if STATE.grad_enabled:  # create_graph: the same as one differentiable cat
            from .creation import zeros
            from .join import cat
            parts = [zeros(shape[:d] + (n,) + shape[d + 1:], dtype=some.dtype, device=some.device) if g is None else
                     g.unsqueeze(d) if self.squeezed else g for g, n in zip(grads, lengths)]
            return (cat(parts, d),)
        xp = some._device.xp
        full = (xp.zeros if any(g is None for g in grads) else xp.empty)(shape, dt)
        start, lead = 0, (slice(None),) * d
        for g, n in zip(grads, lengths):
            if g is not None:
                full[lead + ((start,) if self.squeezed else (slice(start, start + n),))] = g._data
            start += n
        return (Tensor._make(full, some._device),)


class SplitBackward0(_PiecesBackward):
    __slots__ = ()


class SplitWithSizesBackward0(_PiecesBackward):
    __slots__ = ()


class UnbindBackward0(_PiecesBackward):
    __slots__ = ()
    squeezed = True


def _pieces(input, d: int, lengths: list, node_cls) -> tuple:
    """Views of input along dim d (narrow pieces of the given lengths; unbind: each index), sharing one node."""
    enabled = STATE.grad_enabled
    STATE.grad_enabled = False  # the views get their base and replay chain; their history is the one node below
    try:
        if node_cls.squeezed:
            outs = [select(input, d, i) for i in range(input.shape[d])]
        else:
            outs, start = [], 0
            for n in lengths:
                outs.append(narrow(input, d, start, n))
                start += n
    finally:
        STATE.grad_enabled = enabled
    if enabled and input._requires_grad:
        node = node_cls.__new__(node_cls)
        node._init((graph.edge_of(input),), ((input._data.shape, input._data.dtype),), 3)
        node.n_outputs, node.dim, node.lengths = len(outs), d, tuple(lengths)
        for k, o in enumerate(outs):
            o.grad_fn, o._output_nr, o._requires_grad = node, k, True
    return tuple(outs)


@export
def unbind(input, dim: int = 0):
    """Views of each index along dim (torch.unbind); one backward node for all of them."""
    d = wrap_dim(dim, input.ndim)
    return _pieces(input, d, [1] * input.shape[d], UnbindBackward0)


@export
def split(tensor, split_size_or_sections, dim: int = 0):
    """Views of consecutive chunks of a size, or of the given sizes (torch.split)."""
    d = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        lengths = [min(step, n - i) for i in range(0, n, step)] if n else [0]
    else:
        lengths = [int(s) for s in split_size_or_sections]
        if sum(lengths) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={lengths}")
    return _pieces(tensor, d, lengths, SplitBackward0 if isinstance(split_size_or_sections, int) else
                   SplitWithSizesBackward0)


@export
def chunk(input, chunks: int, dim: int = 0):
    """Up to `chunks` views of (nearly) equal size along dim (torch.chunk)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input.shape[wrap_dim(dim, input.ndim)]
    return split(input, max(-(-n // chunks), 1), dim)
