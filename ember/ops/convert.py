"""dtype and device conversion methods (Tensor.to, .float(), .type(), ...) and the legacy tensor type names."""
from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..backends import device as _device_cls, to_device
from ._registry import export
from .creation import to_dtype

_LEGACY = {"FloatTensor": D.float32, "DoubleTensor": D.float64, "HalfTensor": D.float16, "BFloat16Tensor": D.bfloat16,
           "ByteTensor": D.uint8, "CharTensor": D.int8, "ShortTensor": D.int16, "IntTensor": D.int32,
           "LongTensor": D.int64, "BoolTensor": D.bool}
_LEGACY_NAME = {v: k for k, v in _LEGACY.items()}


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            copy = a if dtype is not None or device is not None else copy
        elif a is None:
            continue
        else:
            dtype = D.to_dtype(a)
    return (None if dtype is None else D.to_dtype(dtype)), (None if device is None else to_device(device)), copy


def to(self, *args, **kwargs) -> Tensor:
    """Convert dtype and/or device; returns self when nothing changes and copy=False (torch.Tensor.to)."""
    dtype, device, copy = _parse_to(args, dict(kwargs))
    out = self
    if device is not None and device != self._device:
        raise RuntimeError(f"moving tensors between devices is not supported yet ({self._device} -> {device})")
    if dtype is not None and dtype.np != self._data.dtype:
        out = to_dtype(self, dtype)
    elif copy:
        out = self.clone()
    return out


def _caster(dt):
    def method(self, memory_format=None):
        return to_dtype(self, dt) if self._data.dtype != dt.np else self
    method.__name__ = dt.name
    method.__doc__ = f"self.to({dt}) (torch.Tensor.{dt.name})."
    return method


for _name, _dt in (("float", D.float32), ("double", D.float64), ("half", D.float16), ("bfloat16", D.bfloat16),
                   ("long", D.int64), ("int", D.int32), ("short", D.int16), ("char", D.int8), ("byte", D.uint8),
                   ("bool", D.bool)):
    setattr(Tensor, _name, _caster(_dt))


def _type(self, dtype=None, non_blocking: bool = False, **kwargs):
    """With no argument the legacy type name ('torch.FloatTensor'); otherwise convert (torch.Tensor.type)."""
    if dtype is None:
        prefix = "torch.cuda." if self._device.type == "cuda" else "torch."
        return prefix + _LEGACY_NAME[self.dtype]
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _LEGACY:
            raise ValueError(f"invalid type: '{dtype}'")
        out = to(self, _LEGACY[name])
        return out.cuda() if ".cuda." in dtype else out
    return to(self, dtype._dtype if isinstance(dtype, _LegacyMeta) else D.to_dtype(dtype))


@export(method=False)
def is_floating_point(input: Tensor) -> bool:
    """Whether input's dtype is a floating type (torch.is_floating_point)."""
    if not isinstance(input, Tensor):
        raise TypeError("is_floating_point(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.is_floating_point()


Tensor.to = to
Tensor.type = _type
Tensor.type_as = lambda self, other: to(self, other.dtype)
Tensor.cpu = lambda self, memory_format=None: to(self, "cpu")


def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    """A copy on a CUDA device (torch.Tensor.cuda); RuntimeError saying why when CUDA is not usable."""
    return to(self, "cuda" if device is None else _device_cls("cuda", device) if isinstance(device, int) else device)


Tensor.cuda = cuda


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype


def _legacy_class(name, dt):
    def __new__(cls, *args, device=None):
        return Tensor(*args, dtype=dt, device=device)
    return _LegacyMeta(name, (), {"__new__": __new__, "_dtype": dt, "__doc__": f"Legacy constructor of {dt} tensors."})


LEGACY_TYPES = {name: _legacy_class(name, dt) for name, dt in _LEGACY.items()}
