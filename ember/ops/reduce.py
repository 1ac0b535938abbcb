"""Reductions: sum, mean, ... over dims with keepdim."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from ._registry import KEEP, op
from ._util import LOW, dims as _dims


def _reduced_shape(shape, dim, keepdim):
    """Shape of grad before it is expanded back: reductions' keepdim=False dims put back as 1."""
    if dim is None:
        return (1,) * len(shape)
    return tuple(1 if i in dim else n for i, n in enumerate(shape))


def unreduce(grad, input_shape, dim, keepdim):
    """Broadcast a reduction's gradient back to the input's shape (the derivative of sum)."""
    d = _dims(dim, len(input_shape))
    if not keepdim:
        grad = grad.reshape(_reduced_shape(input_shape, d, keepdim))
    return grad.expand(input_shape)


@op(dtype=KEEP)
def sum(input, dim: int | tuple | None = None, keepdim: bool = False, *, dtype=None):
    """Sum over dim, or over all elements (torch.sum). Integers and bool sum to int64; float16/bfloat16 accumulate in
    float32 and round."""
    d = _dims(dim, input.ndim)
    if dtype is not None:
        out_dt = D.to_dtype(dtype).np
    elif input.dtype.kind in "biu":
        out_dt = np.dtype(np.int64)
    else:
        out_dt = input.dtype
    acc = np.float32 if out_dt in LOW else out_dt
    r = input.sum(axis=d, keepdims=keepdim, dtype=acc)
    return r if r.dtype == out_dt else r.astype(out_dt)


@sum.derivative
def _(grad, input_shape, dim, keepdim):
    return (unreduce(grad, input_shape, dim, keepdim),)


@op(dtype=KEEP)
def mean(input, dim: int | tuple | None = None, keepdim: bool = False, *, dtype=None):
    """Mean over dim, or over all elements (torch.mean).

    Integer input raises RuntimeError, as in torch; pass dtype=ember.float32 to average integers.
    """
    out_dt = D.to_dtype(dtype).np if dtype is not None else input.dtype
    if out_dt.kind not in "f" and out_dt != D.bfloat16.np:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {D.FROM_NP[out_dt].name.capitalize()}")
    d = _dims(dim, input.ndim)
    acc = np.float32 if out_dt in LOW else out_dt
    r = input.mean(axis=d, keepdims=keepdim, dtype=acc)
    return r if r.dtype == out_dt else r.astype(out_dt)


@mean.derivative
def _(grad, input_shape, dim, keepdim):
    d = _dims(dim, len(input_shape))
    n = 1
    for i, s in enumerate(input_shape):
        if d is None or i in d:
            n *= s
    return (unreduce(grad, input_shape, dim, keepdim) / n,)
