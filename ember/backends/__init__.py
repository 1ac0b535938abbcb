"""Devices and their array modules: ``cpu`` is NumPy, ``cuda`` is CuPy (imported lazily, only here)."""
from __future__ import annotations

import numpy as np


class device:
    """Where a tensor lives (torch.device): ``device('cpu')``, ``device('cuda')``, ``device('cuda:1')``, ``device('cuda', 1)``."""

    __slots__ = ("type", "index", "_xp")

    def __new__(cls, type, index: int | None = None):
        if isinstance(type, device):
            return type
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        key = (type, index)
        cached = _DEVICES.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        self.type, self.index, self._xp = type, index, None
        _DEVICES[key] = self
        return self

    @property
    def xp(self):
        """The array module of this device (numpy or cupy)."""
        xp = self._xp
        if xp is None:
            from . import cuda
            xp = self._xp = cuda.xp()
        return xp

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


_DEVICES: dict = {}
CPU = device("cpu")
CPU._xp = np


def to_device(d) -> device:
    """A device from a device, a string or a CUDA ordinal; CUDA raises RuntimeError with the reason when unusable."""
    d = device(d) if type(d) is not device else d
    if d.type == "cuda":
        d.xp  # raises with the reason when CUDA is not usable
    return d
