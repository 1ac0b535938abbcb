"""nn.Parameter and nn.Buffer (torch.nn.parameter)."""
from __future__ import annotations

from .._tensor import Tensor, _init
from ..ops.creation import empty


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned as an attribute (torch.nn.Parameter).

    It shares memory with ``data``; ops on it return plain Tensors, as in torch.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        self = object.__new__(cls)
        _init(self, data._data, data._device)
        self._vc = data._vc
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __init__(self, data=None, requires_grad: bool = True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy(), self._device), self._requires_grad)
        memo[id(self)] = result
        if self._grad is not None:
            result._grad = self._grad.__deepcopy__(memo)
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, str(self._device), self._requires_grad))


def _rebuild_parameter(arr, device, requires_grad):
    from ..backends import device as dev
    return Parameter(Tensor._make(arr, dev(device)), requires_grad)


class Buffer:
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute (torch.nn.Buffer)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = empty(0)
        t = data.detach() if data.requires_grad else data
        t._extras()["buffer_persistent"] = persistent
        return t


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedParameter)


class UninitializedParameter(Parameter):
    """A parameter whose shape is decided by the first forward (torch.nn.UninitializedParameter, for Lazy modules)."""

    __slots__ = ()

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this parameter a shape; it becomes a plain Parameter in place."""
        from ..ops.creation import empty as _empty
        t = _empty(shape, device=device or self.device, dtype=dtype or self.dtype)
        self._data = t._data
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"
