"""Tensor creation (tensor, as_tensor, zeros, ones, full, empty, arange, linspace, eye, ... and *_like), copies and
dtype casts."""
from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Sequence

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..backends import CPU, to_device
from ._registry import KEEP, export, op
from ._util import sizes

# PyTorch's legacy dtype names, which its error messages use ("dtype Long does not match ...")
TORCH_NAMES = {D.bool: "Bool", D.uint8: "Byte", D.int8: "Char", D.int16: "Short", D.int32: "Int", D.int64: "Long",
               D.float16: "Half", D.bfloat16: "BFloat16", D.float32: "Float", D.float64: "Double"}


def not_implemented(kernel: str, dt: D.dtype) -> NotImplementedError:
    """torch's error for a kernel that has no version for dt."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{TORCH_NAMES[dt]}\'')


# ---------------------------------------------------------------------------------------------------------------
# shared by the factories (and by ops/random.py)


def size_arg(size: tuple, name: str) -> tuple:
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(Size)``; negative sizes raise RuntimeError as in torch."""
    if not size:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    shape = sizes(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape


def result_dtype(dtype, out, default: D.dtype) -> D.dtype:
    """A factory's dtype: dtype, else out's, else default; an explicit dtype must match out's, as in torch."""
    if out is None:
        return default if dtype is None else D.to_dtype(dtype)
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is None:
        return out.dtype
    dt = D.to_dtype(dtype)
    if dt is not out.dtype:
        raise RuntimeError(f"dtype {TORCH_NAMES[dt]} does not match dtype of out parameter ({TORCH_NAMES[out.dtype]})")
    return dt


def place(arr, device, requires_grad: bool, out=None) -> Tensor:
    """A factory's result: arr (a NumPy array) on device, or written into out (resized when its shape differs)."""
    if out is not None:
        if out._data.shape == arr.shape:
            out._data[...] = arr
        else:
            out._data = out._device.xp.asarray(arr)
        out._vc[0] += 1
        return out
    dev = CPU if device is None else to_device(device)
    if dev is not CPU:
        arr = dev.xp.asarray(arr)
    t = Tensor._make(arr, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _fill_value(value, dt: D.dtype):
    """value as a Python scalar for dt, with torch's overflow check (c10::checked_convert)."""
    if isinstance(value, Tensor):
        value = value.item()
    if dt is D.bool:
        return builtins.bool(value)
    if dt.is_floating_point:
        value = builtins.float(value)
        big = D.finfo(dt).max
        if math.isfinite(value) and abs(value) > big:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
        return value
    info = np.iinfo(dt.np)
    if isinstance(value, (builtins.int, np.integer)):
        # integers wrap into unsigned types from as low as -max, as c10's non-strict unsigned check allows
        lo = -info.max if info.min == 0 else info.min
        if not lo <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
        return builtins.int(value) % (info.max + 1) if value < 0 and info.min == 0 else builtins.int(value)
    if not (math.isfinite(value) and info.min <= value <= info.max):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return builtins.int(value)


def _factory(shape, fill, dtype, device, requires_grad, out=None, default=None) -> Tensor:
    dt = result_dtype(dtype, out, default or D.get_default_dtype())
    dev = CPU if device is None else to_device(device)
    xp = dev.xp
    arr = xp.empty(shape, dt.np) if fill is None else xp.full(shape, _fill_value(fill, dt), dt.np)
    return place(arr, dev, requires_grad, out)


def _like(input, fill, dtype, device, requires_grad) -> Tensor:
    """A tensor shaped like input, keeping its strides (torch's preserve_format)."""
    dt = input.dtype if dtype is None else D.to_dtype(dtype)
    dev = input._device if device is None else to_device(device)
    arr = dev.xp.empty_like(input._data, dt.np)
    if fill is not None:
        arr.fill(_fill_value(fill, dt))
    t = Tensor._make(arr, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---------------------------------------------------------------------------------------------------------------
# from data

_SCALARS = (builtins.bool, builtins.int, builtins.float, np.generic)


def _infer_dtype(data) -> D.dtype:
    """PyTorch's inference for data: floats -> default dtype, ints -> int64, bools -> bool; tensors, NumPy arrays
    and NumPy scalars keep their dtype; the items of a sequence promote (torch.promote_types)."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return D.from_np(data.dtype)
    if isinstance(data, builtins.bool):
        return D.bool
    if isinstance(data, builtins.int):
        return D.int64
    if isinstance(data, builtins.float):
        return D.get_default_dtype()
    if isinstance(data, (str, bytes)):
        raise ValueError(f"too many dimensions '{type(data).__name__}'")
    if isinstance(data, Sequence):
        best = None
        for x in data:
            d = _infer_dtype(x)
            best = d if best is None else D.promote_types(best, d)
        return D.get_default_dtype() if best is None else best
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _scalars(data):
    """data with each tensor replaced by its one value, as torch reads tensors inside lists."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_scalars(x) for x in data]
    return data


def _ragged(data, dim=0):
    """Raise torch's error for a nested sequence that is not rectangular."""
    lengths = [len(x) if isinstance(x, (Sequence, np.ndarray)) and not isinstance(x, str) else None for x in data]
    if any(n is None for n in lengths) and any(n is not None for n in lengths):
        raise TypeError("not a sequence")
    if lengths and lengths[0] is not None:
        for n in lengths:
            if n != lengths[0]:
                raise ValueError(f"expected sequence of length {lengths[0]} at dim {dim + 1} (got {n})")
        for x in data:
            _ragged(x, dim + 1)


def _check_numpy(arr: np.ndarray) -> None:
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion between "
                         "byte orders is currently not supported.")
    D.from_np(arr.dtype)
    if any(s < 0 for s in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative strides "
                         "are not currently supported. (You can probably work around this by making a copy of your "
                         "array  with array.copy().)")


def _python_array(data, dt: D.dtype | None) -> np.ndarray:
    """A new array from Python data (numbers, nested sequences, one-element tensors), checked as torch checks it."""
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    inferred = _infer_dtype(data)
    dt = inferred if dt is None else dt
    plain = _scalars(data) if isinstance(data, (list, tuple)) else data
    try:
        arr = np.array(plain)
    except ValueError:
        _ragged(plain)
        raise
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if arr.dtype == object:
        _ragged(plain)
    if arr.dtype == object or inferred._kind == 1 and (arr.dtype.kind not in "iub" or arr.dtype == np.uint64):
        # NumPy made floats, uint64 or objects of Python ints past int64; torch unpacks each as a long long
        raise ValueError("Overflow when unpacking long long")
    if arr.dtype.kind in "iuf" and dt._kind == 1 and arr.size:
        # torch converts each Python number with an overflow check into integer types
        info = np.iinfo(dt.np)
        lo = -info.max if info.min == 0 and arr.dtype.kind in "iu" else info.min
        if not (np.isfinite(arr).all() and lo <= arr.min() and arr.max() <= info.max):
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
        if arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
    return arr.astype(dt.np, copy=False)


def _array(data, dt: D.dtype | None) -> np.ndarray:
    """data as an array of dt (or its own dtype), sharing memory with a NumPy array or a tensor where it can."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        _check_numpy(data)
        arr = data
    elif isinstance(data, np.generic):
        D.from_np(data.dtype)
        arr = np.asarray(data)
    elif hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        arr = np.asarray(data)
        _check_numpy(arr)
    else:
        return _python_array(data, dt)
    return arr if dt is None or arr.dtype == dt.np else arr.astype(dt.np)


@export(method=False)
def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor copying data (torch.tensor).

    Python floats -> the default dtype, ints -> int64, bools -> bool, mixed sequences promote; NumPy arrays and
    tensors keep their dtype; a tensor inside a list must have one element. Ragged lists raise ValueError.
    """
    arr = _array(data, None if dtype is None else D.to_dtype(dtype))
    return place(np.array(arr, copy=True), device, requires_grad)


@export(method=False)
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """data as a tensor, sharing memory with a tensor or NumPy array of the same dtype and device (torch.as_tensor)."""
    dt = None if dtype is None else D.to_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(dtype=dt, device=device)
    return place(_array(data, dt), device, False)


@export(method=False)
def asarray(obj, *, dtype=None, device=None, copy: bool | None = None, requires_grad: bool | None = None) -> Tensor:
    """obj as a tensor (torch.asarray): shares memory with a tensor or NumPy array unless copy=True or a conversion
    is needed; copy=False raises ValueError where sharing is impossible."""
    dt = None if dtype is None else D.to_dtype(dtype)
    if isinstance(obj, (Tensor, np.ndarray)):
        src = obj.dtype if isinstance(obj, Tensor) else D.from_np(obj.dtype)
        if copy is False and dt is not None and dt is not src:
            raise ValueError(f"can't alias tensor with dtype '{TORCH_NAMES[src]}' into dtype '{TORCH_NAMES[dt]}'.")
        if isinstance(obj, np.ndarray):
            t = place(_array(obj.copy() if copy else obj, dt), device, False)
        elif copy:
            t = obj.detach().to(dtype=dt, device=device, copy=True)
        else:
            t = obj.to(dtype=dt, device=device)
        grad = obj.requires_grad if requires_grad is None and isinstance(obj, Tensor) else requires_grad
    else:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        t, grad = place(_array(obj, dt), device, False), requires_grad
    if grad and not t.requires_grad:
        t.requires_grad_(True)
    return t


@export(method=False)
def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array: writes show through both ways (torch.from_numpy)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _check_numpy(ndarray)
    return Tensor._make(ndarray, CPU)


# ---------------------------------------------------------------------------------------------------------------
# filled


@export(method=False)
def zeros(*size_args, size=None, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (torch.zeros)."""
    return _factory(size_arg(size_args if size is None else (size,), "zeros"), 0, dtype, device, requires_grad, out)


@export(method=False)
def ones(*size_args, size=None, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (torch.ones)."""
    return _factory(size_arg(size_args if size is None else (size,), "ones"), 1, dtype, device, requires_grad, out)


@export(method=False)
def empty(*size_args, size=None, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
          requires_grad: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor (torch.empty)."""
    return _factory(size_arg(size_args if size is None else (size,), "empty"), None, dtype, device, requires_grad, out)


@export(method=False)
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with fill_value (torch.full); without dtype, a bool fill gives bool, an int int64 and a
    float the default dtype. A fill that overflows the dtype raises RuntimeError."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor):  # a 0-d tensor or NumPy scalar counts as the Python number it holds
        if fill_value.ndim:
            raise TypeError("full(): argument 'fill_value' must be Number, not Tensor")
        fill_value = fill_value.item()
    elif isinstance(fill_value, np.generic):
        fill_value = fill_value.item()
    return _factory(size_arg((size,), "full"), fill_value, dtype, device, requires_grad, out, _infer_dtype(fill_value))


@export(method=False)
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor with the given strides, in elements (torch.empty_strided)."""
    shape, strides = sizes((size,)), sizes((stride,))
    if len(shape) != len(strides):
        raise RuntimeError(f"dimensionality of sizes ({len(shape)}) must match dimensionality of strides "
                           f"({len(strides)})")
    if any(s < 0 for s in strides):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)} and strides={list(strides)}")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    n = 0 if 0 in shape else 1 + sum((s - 1) * st for s, st in zip(shape, strides))
    buf = np.empty(n, dt.np)
    arr = np.lib.stride_tricks.as_strided(buf, shape, tuple(st * buf.itemsize for st in strides), writeable=True)
    return place(arr, device, requires_grad)


@export(method=False)
def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """Zeros shaped like input, with its dtype, device and strides unless given (torch.zeros_like)."""
    return _like(input, 0, dtype, device, requires_grad)


@export(method=False)
def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """Ones shaped like input (torch.ones_like)."""
    return _like(input, 1, dtype, device, requires_grad)


@export(method=False)
def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """An uninitialised tensor shaped like input (torch.empty_like)."""
    return _like(input, None, dtype, device, requires_grad)


@export(method=False)
def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """fill_value in a tensor shaped like input, with input's dtype unless given (torch.full_like)."""
    return _like(input, fill_value, dtype, device, requires_grad)


def _new(name, fill):
    def method(self, *size, dtype=None, device=None, requires_grad: bool = False, layout=None, pin_memory=False):
        return _factory(size_arg(size, name), fill, dtype or self.dtype, device or self.device, requires_grad)
    method.__name__ = name
    method.__doc__ = f"torch.Tensor.{name}: a new tensor with this one's dtype and device unless given."
    return method


Tensor.new_zeros = _new("new_zeros", 0)
Tensor.new_ones = _new("new_ones", 1)
Tensor.new_empty = _new("new_empty", None)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return _factory(sizes((size,)), fill_value, dtype or self.dtype, device or self.device, requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


@export(method=False)
def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal (torch.eye)."""
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = result_dtype(dtype, out, D.get_default_dtype())
    return place(np.eye(n, m, dtype=dt.np), device, requires_grad, out)


def _tri_indices(name, row, col, offset, dtype, device, np_fn):
    row, col, offset = operator.index(row), operator.index(col), operator.index(offset)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = D.to_dtype(dtype)
    if dt not in (D.int32, D.int64):
        raise not_implemented(name, dt)
    idx = np.stack(np_fn(row, offset, col)).astype(dt.np) if row and col else np.empty((2, 0), dt.np)
    return place(idx, device, False)


@export(method=False)
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=D.int64, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a row x col matrix, row by row (torch.tril_indices)."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, np.tril_indices)


@export(method=False)
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=D.int64, device=None, layout=None) -> Tensor:
    """The (2, N) indices of the upper triangle of a row x col matrix, row by row (torch.triu_indices)."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, np.triu_indices)


# ---------------------------------------------------------------------------------------------------------------
# ranges


def _number(v, name: str):
    if isinstance(v, Tensor):
        if v.ndim != 0:
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got a tensor with "
                               f"{v.ndim} dimension(s).")
        return v.item()
    if not isinstance(v, _SCALARS):
        raise TypeError(f"{name}(): expected a number, got {type(v).__name__}")
    return v.item() if isinstance(v, np.generic) else v


def _acc(dt: D.dtype):
    """The dtype torch computes a float range in on the CPU: float32 for float16/bfloat16, float64 otherwise."""
    return np.float32 if dt.itemsize == 2 else np.float64


@export(method=False)
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to end, exclusive (torch.arange): int64 unless an argument is a float.

    The length is torch's: ceil((end - start) / step) in double, except for int64, where start, end and step are
    truncated to integers first (so ``arange(0.5, 4.6, dtype=int64)`` has 4 elements, the int32 version 5).
    """
    if end is None:
        start, end = 0, start
    vals = [_number(v, "arange") for v in (start, end, step)]
    floats = any(isinstance(v, builtins.float) for v in vals)
    dt = result_dtype(dtype, out, D.get_default_dtype() if floats else D.int64)
    if dt is D.bool:
        raise not_implemented("arange_cpu", dt)
    s, e, st = vals
    if not (math.isfinite(s) and math.isfinite(e)):
        raise RuntimeError(f"unsupported range: {s} -> {e}")
    if dt is D.int64:
        s, e, st_int = builtins.int(s), builtins.int(e), builtins.int(st)
        if st_int == 0:
            raise (ValueError if st else RuntimeError)("step must be nonzero")
        st = st_int
    elif st == 0:
        raise RuntimeError("step must be nonzero")
    if (st > 0 and e < s) or (st < 0 and e > s):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt is D.int64:
        n = (e - s + st - (1 if st > 0 else -1)) // st
    else:
        n = math.ceil((builtins.float(e) - builtins.float(s)) / builtins.float(st))
    if dt.is_floating_point:
        acc = _acc(dt)
        arr = acc(s) + acc(st) * np.arange(n, dtype=acc)
    else:
        arr = builtins.int(s) + builtins.int(st) * np.arange(n, dtype=np.int64)
    return place(arr.astype(dt.np), device, requires_grad, out)


def _spaced(start, end, steps, dtype, out, name):
    """linspace's points before the final cast, in torch's arithmetic, and the result dtype."""
    s, e = _number(start, name), _number(end, name)
    if not isinstance(steps, (builtins.int, np.integer)) or isinstance(steps, builtins.bool):
        raise TypeError(f"{name}(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = result_dtype(dtype, out, D.get_default_dtype())
    if dt is D.bool:
        raise not_implemented(f"{name}_cpu", dt)
    # torch: integers step in double from truncated ends; floats in their own type (float for half types); the
    # first half counts up from start and the second half down from end, so both ends are exact
    if dt.is_floating_point:
        acc = _acc(dt)
        s, e = acc(np.array(s).astype(dt.np)), acc(np.array(e).astype(dt.np))
        step = acc(np.array((e - s) / acc(max(steps - 1, 1))).astype(dt.np))
    else:  # the ends are first converted to dt (wrapping, for uint8), the step is a double
        acc = np.float64
        s, e = (acc(np.array(builtins.int(v)).astype(np.int64).astype(dt.np)) for v in (s, e))
        step = (e - s) / max(steps - 1, 1)
    i = np.arange(steps, dtype=acc)
    pts = np.where(i < steps // 2, s + step * i, e - step * (steps - 1 - i)).astype(acc, copy=False)
    if steps == 1:
        pts[0] = s
    return pts, dt


def _cast(vals: np.ndarray, dt: D.dtype) -> np.ndarray:
    """Float values to dt; integer types truncate through int64 (so uint8 wraps instead of hitting undefined casts)."""
    if dt.is_floating_point:
        return vals.astype(dt.np)
    with np.errstate(invalid="ignore"):
        return vals.astype(np.int64).astype(dt.np)


@export(method=False)
def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
             requires_grad: bool = False) -> Tensor:
    """steps points evenly spaced from start to end, inclusive, in the default dtype unless given (torch.linspace).

    Integer dtypes truncate each point, as torch does.
    """
    pts, dt = _spaced(start, end, steps, dtype, out, "linspace")
    return place(_cast(pts, dt), device, requires_grad, out)


@export(method=False)
def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None, device=None,
             pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps), the power taken in double (torch.logspace)."""
    pts, dt = _spaced(start, end, steps, dtype, out, "logspace")
    with np.errstate(over="ignore"):
        vals = np.power(builtins.float(base), pts.astype(np.float64))
    return place(_cast(vals, dt), device, requires_grad, out)


@op(dtype=KEEP)
def clone(input, *, memory_format=None, xp):
    """A copy with its own memory, keeping the layout (torch.clone); a memory_format other than None gives C order."""
    return input.copy(order="K" if memory_format is None else "C")


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
    return grad.new_zeros(grad.shape), grad.sum()


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
