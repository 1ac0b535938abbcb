"""Python indexing: ``t[key]`` (basic keys give views, advanced keys copies) and ``t[key] = value``, with autograd."""
from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import KEEP, export, op

_BASIC = (int, slice, type(None), type(Ellipsis))


def normalize_key(key):
    """(numpy key tuple, is_basic). Tensors and lists become arrays; a basic key gets a trailing Ellipsis so that
    NumPy returns a 0-d view, not a scalar copy, when every dim is indexed by an int."""
    if not isinstance(key, tuple):
        key = (key,)
    basic = True
    out = []
    for k in key:
        tk = type(k)
        if tk is int or tk is slice or k is None or k is Ellipsis:
            if tk is slice and not all(v is None or isinstance(v, int) for v in (k.start, k.stop, k.step)):
                k = slice(*(_int(v) for v in (k.start, k.stop, k.step)))
            if tk is slice and k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(k)
        elif isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.dtype == np.uint8:  # torch's deprecated byte masks
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                              "instead.", UserWarning, stacklevel=3)
                a = a.astype(bool)
            out.append(a)
            basic = False
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))
            basic = False
        elif isinstance(k, (np.integer,)):
            out.append(int(k))
        elif isinstance(k, (list, np.ndarray)):
            a = np.asarray([x.item() if isinstance(x, Tensor) else x for x in k] if isinstance(k, list) else k)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a.astype(np.int64) if a.dtype.kind not in "biu" or a.size == 0 else a)
            basic = False
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(k).__name__})")
    if basic and not any(x is Ellipsis for x in out):
        out.append(Ellipsis)
    return tuple(out), basic


def _int(v):
    if v is None:
        return None
    if isinstance(v, Tensor):
        return int(v.item())
    return int(v.__index__())


@op(dtype=KEEP, view=True, method=False, export=False)
def index_basic(input, key: tuple):
    return input[key]


@index_basic.derivative
def _(grad, input_shape, key):
    from .creation import zeros
    out = zeros(input_shape, dtype=grad.dtype, device=grad.device)
    set_index(out, key, grad)
    return (out,)


@op(dtype=KEEP, method=False, export=False)
def index_advanced(input, key: tuple):
    return input[key]


@index_advanced.derivative
def _(grad, input_shape, key):
    from .creation import zeros
    out = zeros(input_shape, dtype=grad.dtype, device=grad.device)
    return (index_put_key.public_inplace(out, grad, key, True),)


@op(dtype=KEEP, method=False, export=False, inplace=True)
def index_put_key(input, values, key: tuple, accumulate: bool = False, *, xp):
    _check_put_dtype(input, values, key)
    out = input.copy()
    if accumulate:
        xp.add.at(out, key, values)
    else:
        out[key] = values
    return out


@index_put_key.derivative
def _(grad, key, accumulate):
    g_in = grad
    if not accumulate:
        g_in = grad.clone()
        set_index(g_in, key, 0)
    return g_in, grad[key]


def _check_put_dtype(dst, values, key) -> None:
    """torch casts a 0-d value written through one bool mask (its masked_fill_ path), nothing else."""
    if hasattr(values, "dtype") and values.dtype != dst.dtype and not (
            values.ndim == 0 and len(key) == 1 and getattr(key[0], "dtype", None) == np.bool_):
        from .._dtype import FROM_NP
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {FROM_NP[dst.dtype]} "
                           f"for the destination and {FROM_NP[values.dtype]} for the source.")


def _getitem(self, key):
    k, basic = normalize_key(key)
    try:
        return index_basic(self, k) if basic else index_advanced(self, k)
    except IndexError as e:
        raise IndexError(str(e).split("\n")[0]) from None


def set_index(self, key, value) -> None:
    """``self[key] = value`` on a normalised key; records autograd history when self or value requires grad."""
    basic = all(type(i) in _BASIC for i in key)
    vt = isinstance(value, Tensor)
    if not (STATE.grad_enabled and (self._requires_grad or (vt and value._requires_grad))):
        dst = self._data
        if not dst.flags.writeable:
            raise RuntimeError("unsupported operation: the tensor's memory is read-only (an expanded or broadcast "
                               "view). Call .clone() before writing into it.")
        if vt and not basic:
            _check_put_dtype(dst, value._data, key)
        dst[key] = value._data if vt else value
        self._vc[0] += 1
        return
    if basic:
        index_basic(self, key).copy_(value)
    else:
        index_put_key.public_inplace(self, value, key, False)


def _setitem(self, key, value):
    if isinstance(value, (list, tuple)):
        from .creation import tensor
        value = tensor(value, dtype=self.dtype)
    k, _ = normalize_key(key)
    try:
        set_index(self, k, value)
    except (ValueError, IndexError) as e:
        raise (IndexError if isinstance(e, IndexError) else RuntimeError)(str(e)) from None


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


@export
def index_put(input, indices, values, accumulate: bool = False):
    """A copy of input with values written (or added, with accumulate) at the index tensors (torch.index_put)."""
    k, _ = normalize_key(tuple(indices))
    return index_put_key(input, values, k, accumulate)


@export
def index_put_(input, indices, values, accumulate: bool = False):
    """In-place index_put (torch.Tensor.index_put_)."""
    k, _ = normalize_key(tuple(indices))
    return index_put_key.public_inplace(input, values, k, accumulate)
