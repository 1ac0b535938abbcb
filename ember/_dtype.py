"""dtype objects, the NumPy mapping and PyTorch's type promotion (bool < integer < floating; weak scalars)."""
from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np


class dtype:
    """A tensor element type (torch.dtype): compares by identity, prints as ``ember.float32``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed", "_kind")

    def __init__(self, name: str, np_dtype, kind: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._kind = kind  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = kind == 2
        self.is_complex = False
        self.is_signed = name not in ("bool", "uint8")

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return self

    def to_complex(self):
        raise RuntimeError("ember has no complex dtypes")


bool = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64}
_BY_NAME = {d.name: d for d in ALL} | ALIASES
FROM_NP = {d.np: d for d in ALL}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_np(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for one ember lacks (complex, uint16, ...)."""
    try:
        return FROM_NP[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in FROM_NP:
            return FROM_NP[d]
        raise TypeError(f"can't convert np.ndarray of type {d}. The only supported types are: float64, float32, "
                        "float16, bfloat16, int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d) -> dtype:
    """Accept an ember dtype, a NumPy dtype/type, or a Python type (float, int, bool) and return the ember dtype."""
    if type(d) is dtype:
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return from_np(np.dtype(d))
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype") from None


# ---------------------------------------------------------------------------------------------------------------
# Promotion (PyTorch's c10::promoteTypes and ResultTypeState)

_INT_ORDER = (int8, int16, int32, int64)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both a and b cast to safely (torch.promote_types)."""
    if a is b:
        return a
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    if a._kind == 2:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    # both integral
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize > b.itemsize else b


_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the dtype of Python floats and of float factories (torch.set_default_dtype); only floating types."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d
    _RESULT_CACHE.clear()


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None or higher._kind == 2:
        return higher
    if higher is bool or lower._kind == 2:
        return promote_types(higher, lower)
    return higher


_SCALAR_KIND = {builtins.bool: 0, builtins.int: 1, builtins.float: 2}
_RESULT_CACHE: dict = {}


def scalar_dtype(kind: int) -> dtype:
    return (bool, int64, _default[0])[kind]


def result_from_key(key: tuple) -> dtype:
    """key items: (ember dtype, is_zero_dim) for tensors, an int kind (0 bool, 1 int, 2 float) for Python scalars."""
    r = _RESULT_CACHE.get(key)
    if r is None:
        dim = zero = wrapped = None
        for k in key:
            if type(k) is builtins.int:
                d = scalar_dtype(k)
                wrapped = d if wrapped is None else promote_types(wrapped, d)
            elif k[1]:
                zero = k[0] if zero is None else promote_types(zero, k[0])
            else:
                dim = k[0] if dim is None else promote_types(dim, k[0])
        r = _RESULT_CACHE[key] = _combine(dim, _combine(zero, wrapped))
    return r


def scalar_kind(x) -> int | None:
    """0/1/2 for a Python or NumPy bool/int/float scalar, None otherwise."""
    k = _SCALAR_KIND.get(type(x))
    if k is None:
        if isinstance(x, (np.bool_, builtins.bool)):
            return 0
        if isinstance(x, (np.integer, builtins.int)):
            return 1
        if isinstance(x, (np.floating, builtins.float)):
            return 2
    return k


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether from_ casts to `to` under PyTorch's casting rules (no category downgrade, torch.can_cast)."""
    return from_._kind <= to._kind


class finfo:
    """Machine limits of a floating dtype (torch.finfo)."""

    def __init__(self, type: dtype | None = None):
        type = get_default_dtype() if type is None else to_dtype(type)
        if not type.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle '{type}'")
        info = ml_dtypes.finfo(type.np) if type is bfloat16 else np.finfo(type.np)
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(f"1e-{info.precision}")  # torch: 10 ** -digits10, exact in decimal

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (torch.iinfo)."""

    def __init__(self, type: dtype):
        type = to_dtype(type)
        if type.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type}'")
        if type is bool:
            raise TypeError("ember.bool is not supported by torch.iinfo")
        info = np.iinfo(type.np)
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def result_type(tensor1, tensor2) -> dtype:
    """The dtype an arithmetic op on the two would produce, with PyTorch's weak scalars (torch.result_type)."""
    key = []
    for t in (tensor1, tensor2):
        a = getattr(t, "_data", None)
        if a is not None:
            key.append((FROM_NP[a.dtype], a.ndim == 0))
        else:
            k = scalar_kind(t)
            if k is None:
                raise TypeError(f"result_type(): expected a Tensor or a Number, got {type(t).__name__}")
            key.append(k)
    return result_from_key(tuple(key))
