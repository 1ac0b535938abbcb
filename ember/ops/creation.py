"""Tensor creation (tensor, zeros, ones, full, empty, arange, *_like), copies and dtype casts."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..backends import CPU, to_device
from ._registry import KEEP, export, op
from ._util import sizes


def _finish(arr, device, requires_grad) -> Tensor:
    dev = CPU if device is None else to_device(device)
    t = Tensor._make(arr, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data) -> D.dtype | None:
    """PyTorch's inference for Python data: floats -> default dtype, ints -> int64, bools -> bool."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray):
        return D.from_np(data.dtype)
    if isinstance(data, (builtins.bool, np.bool_)):
        return D.bool
    if isinstance(data, np.generic):
        return D.from_np(data.dtype)
    if isinstance(data, builtins.int):
        return D.int64
    if isinstance(data, builtins.float):
        return D.get_default_dtype()
    if isinstance(data, (list, tuple)):
        best = None
        for x in data:
            d = _infer_dtype(x)
            if d is not None:
                best = d if best is None else D.promote_types(best, d)
        return best
    return None


def _to_array(data, dt: D.dtype | None):
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (list, tuple)):
        arr = np.array(data if not _has_tensor(data) else _tensors_to_lists(data))
    else:
        arr = np.asarray(data)
    if arr.dtype == object:
        raise TypeError(f"could not convert {type(data).__name__} to a tensor: ragged or non-numeric data")
    if arr.dtype.kind == "c":
        raise TypeError("ember has no complex dtypes")
    if dt is None:
        dt = _infer_dtype(data) or D.get_default_dtype()
    return arr.astype(dt.np, copy=False)


def _has_tensor(data):
    return any(isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _has_tensor(x)) for x in data)


def _tensors_to_lists(data):
    return [x.tolist() if isinstance(x, Tensor) else _tensors_to_lists(x) if isinstance(x, (list, tuple)) else x
            for x in data]


@export(method=False)
def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor copying data (torch.tensor): Python floats -> default dtype, ints -> int64, bools -> bool."""
    dt = None if dtype is None else D.to_dtype(dtype)
    arr = _to_array(data, dt)
    return _finish(np.array(arr, copy=True), device, requires_grad)


@export(method=False)
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with data where it can (torch.as_tensor)."""
    if isinstance(data, Tensor):
        return data if dtype is None or D.to_dtype(dtype) is data.dtype else data.to(dtype)
    return _finish(_to_array(data, None if dtype is None else D.to_dtype(dtype)), device, False)


export(as_tensor, method=False, name="asarray")


@export(method=False)
def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (torch.from_numpy)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    return Tensor._make(ndarray, CPU)


def _factory(shape, fill, dtype, device, requires_grad, out=None):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    dev = CPU if device is None else to_device(device)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    xp = dev.xp
    arr = xp.empty(shape, dt.np) if fill is None else xp.full(shape, fill, dt.np)
    if out is not None:
        out._data = arr
        out._vc[0] += 1
        return out
    t = Tensor._make(arr, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


@export(method=False)
def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None, pin_memory=False):
    """A tensor of zeros (torch.zeros)."""
    return _factory(sizes(size), 0, dtype, device, requires_grad, out)


@export(method=False)
def ones(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None, pin_memory=False):
    """A tensor of ones (torch.ones)."""
    return _factory(sizes(size), 1, dtype, device, requires_grad, out)


@export(method=False)
def empty(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None, pin_memory=False,
          memory_format=None):
    """An uninitialised tensor (torch.empty)."""
    return _factory(sizes(size), None, dtype, device, requires_grad, out)


@export(method=False)
def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None):
    """A tensor filled with fill_value; the dtype follows fill_value as in torch (bool, int64 or default float)."""
    if dtype is None:
        dtype = _infer_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _factory(sizes((size,)), fill_value, dtype, device, requires_grad, out)


def _like(input, dtype, device):
    return (input.dtype if dtype is None else dtype), (input.device if device is None else device)


@export(method=False)
def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False, layout=None, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _factory(input._data.shape, 0, dt, dev, requires_grad)


@export(method=False)
def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False, layout=None, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _factory(input._data.shape, 1, dt, dev, requires_grad)


@export(method=False)
def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False, layout=None, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _factory(input._data.shape, None, dt, dev, requires_grad)


@export(method=False)
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad: bool = False, layout=None,
              memory_format=None):
    dt, dev = _like(input, dtype, device)
    return _factory(input._data.shape, fill_value, dt, dev, requires_grad)


def _new(name, fill):
    def method(self, *size, dtype=None, device=None, requires_grad: bool = False, layout=None, pin_memory=False):
        dt, dev = _like(self, dtype, device)
        return _factory(sizes(size), fill, dt, dev, requires_grad)
    method.__name__ = name
    return method


Tensor.new_zeros = _new("new_zeros", 0)
Tensor.new_ones = _new("new_ones", 1)
Tensor.new_empty = _new("new_empty", None)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    dt, dev = _like(self, dtype, device)
    return _factory(sizes((size,)), fill_value, dt, dev, requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    dt, dev = _like(self, dtype, device)
    return tensor(data, dtype=dt, device=dev, requires_grad=requires_grad)


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


@export(method=False)
def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None):
    """Values from start to end (exclusive) by step (torch.arange); int64 unless an argument is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, (builtins.float, np.floating)) for v in vals) else D.int64
    dt = D.to_dtype(dtype)
    n = max(math.ceil((end - start) / step), 0)
    arr = (start + np.arange(n, dtype=np.float64) * step) if dt.is_floating_point else \
        np.arange(start, start + n * step, step, dtype=np.int64)[:n]
    res = _finish(arr.astype(dt.np), device, requires_grad)
    if out is not None:
        out._data = res._data
        out._vc[0] += 1
        return out
    return res


@op(dtype=KEEP)
def clone(input, *, memory_format=None, xp):
    """A copy with its own memory, keeping the layout (torch.clone)."""
    return input.copy(order="K")


@clone.derivative
def _(grad):
    return (grad,)


@op(dtype=KEEP, method=False, export=False, inplace=True, name="copy")
def _copy(input, src, non_blocking: bool = False, *, xp):
    if getattr(src, "shape", ()) != input.shape:
        src = xp.broadcast_to(src, input.shape)
    return xp.asarray(src, dtype=input.dtype)


@_copy.derivative
def _(grad):
    return None, grad


def _copy_(self, src, non_blocking: bool = False):
    """Copy src into self, broadcasting and casting (torch.Tensor.copy_)."""
    if isinstance(src, Tensor) and src._device is not self._device:
        src = src.to(self._device)
    return _copy.public_inplace(self, src, non_blocking)


Tensor.copy_ = _copy_


@op(dtype=KEEP, method=False, export=False, inplace=True, name="fill")
def _fill(input, value, *, xp):
    return xp.full(input.shape, value, input.dtype) if not hasattr(value, "shape") or value.ndim == 0 else _fill_err(value)


def _fill_err(value):
    raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")


@_fill.derivative
def _(grad):
    return grad.new_zeros(()), grad.sum()


Tensor.fill_ = _fill.public_inplace
export(_fill.public_inplace, name="fill_")


@export
def zero_(input):
    """Fill with zeros in place (torch.Tensor.zero_)."""
    return _fill.public_inplace(input, 0)


@op(dtype=KEEP, method=False, export=False, name="to_dtype")
def to_dtype(input, dtype: D.dtype):
    return input.astype(dtype.np)


@to_dtype.derivative
def _(grad):
    return (grad,)  # the engine casts it back to the input's dtype


@op(dtype=KEEP, method=False, export=False, view=True, name="view_dtype")
def view_dtype(input, dtype: D.dtype):
    if dtype.itemsize != input.itemsize and input.ndim == 0:
        raise RuntimeError("self.dim() cannot be 0 to view with a dtype of a different element size")
    return input.view(dtype.np)
