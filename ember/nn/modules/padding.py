"""nn modules: padding layers (torch.nn.ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, CircularPad2d)."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = []


class _PadNd(Module):
    """A padding layer: padding is (left, right[, top, bottom[, front, back]]), an int meaning all of them."""

    _nd, _mode = 0, "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (list, tuple)) else (padding,) * (2 * self._nd)

    def forward(self, input):
        if self._mode == "circular" and input.dim() not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"expected {self._nd + 1}D or {self._nd + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _layer(base: type, kind: str, nd: int, mode: str, doc: str) -> type:
    name = f"{kind}{nd}d"
    __all__.append(name)
    return type(name, (base,), {"_nd": nd, "_mode": mode, "__module__": __name__,
                                "__doc__": f"{doc} the last {nd} dim(s) (torch.nn.{name})."})


ZeroPad1d = _layer(_ZeroPadNd, "ZeroPad", 1, "constant", "Pads with zeros")
ZeroPad2d = _layer(_ZeroPadNd, "ZeroPad", 2, "constant", "Pads with zeros")
ZeroPad3d = _layer(_ZeroPadNd, "ZeroPad", 3, "constant", "Pads with zeros")
ConstantPad1d = _layer(_ConstantPadNd, "ConstantPad", 1, "constant", "Pads with a constant value")
ConstantPad2d = _layer(_ConstantPadNd, "ConstantPad", 2, "constant", "Pads with a constant value")
ConstantPad3d = _layer(_ConstantPadNd, "ConstantPad", 3, "constant", "Pads with a constant value")
ReflectionPad1d = _layer(_PadNd, "ReflectionPad", 1, "reflect", "Pads with the reflection of the input,")
ReflectionPad2d = _layer(_PadNd, "ReflectionPad", 2, "reflect", "Pads with the reflection of the input,")
ReflectionPad3d = _layer(_PadNd, "ReflectionPad", 3, "reflect", "Pads with the reflection of the input,")
ReplicationPad1d = _layer(_PadNd, "ReplicationPad", 1, "replicate", "Pads with the edge values,")
ReplicationPad2d = _layer(_PadNd, "ReplicationPad", 2, "replicate", "Pads with the edge values,")
ReplicationPad3d = _layer(_PadNd, "ReplicationPad", 3, "replicate", "Pads with the edge values,")
CircularPad1d = _layer(_PadNd, "CircularPad", 1, "circular", "Pads circularly (wrapping around)")
CircularPad2d = _layer(_PadNd, "CircularPad", 2, "circular", "Pads circularly (wrapping around)")
CircularPad3d = _layer(_PadNd, "CircularPad", 3, "circular", "Pads circularly (wrapping around)")
