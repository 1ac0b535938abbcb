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
        # as torch's Parameter.__deepcopy__: the copy has no .grad
        result = type(self)(Tensor._make(self._data.copy(), self._device), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, str(self._device), self._requires_grad))


def _rebuild_parameter(arr, device, requires_grad):
    from ..backends import device as dev
    return Parameter(Tensor._make(arr, dev(device)), requires_grad)


class _BufferMeta(type):
    """isinstance(t, Buffer) is true for tensors made by Buffer(...), which are plain Tensors (torch's trick)."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and bool(instance._extra) and "buffer_persistent" in instance._extra
        return super().__instancecheck__(instance)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute (torch.nn.Buffer).

    Returns a detached Tensor (keeping requires_grad) with a ``persistent`` flag, as torch does.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = empty(0)
        t = data.detach()
        t._requires_grad = data._requires_grad
        t._extras()["buffer_persistent"] = persistent
        return t


def is_lazy(param) -> bool:
    """Whether param is an uninitialised parameter or buffer of a Lazy module (torch.nn.parameter.is_lazy)."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))


class _Uninitialized:
    """Shared by UninitializedParameter/Buffer: no shape until materialize() gives one and changes the class."""

    __slots__ = ()
    cls_to_become: type = Tensor

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this tensor storage of shape; it becomes a Parameter (or Tensor) in place, keeping its identity."""
        t = empty(shape, device=device or self.device, dtype=dtype or self.dtype)
        self._data, self._device = t._data, t._device
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        result = type(self)(self._requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (type(self), (self._requires_grad,))


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is decided by the first forward (torch.nn.UninitializedParameter, for Lazy modules).

    Unlike torch, ops other than materialize() are not refused: they see an empty tensor.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, *args, **kwargs):
        pass


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is decided by the first forward (torch.nn.UninitializedBuffer)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True):
        t = Tensor._make_subclass(cls, empty(0, device=device, dtype=dtype), requires_grad)
        t._extras()["buffer_persistent"] = persistent
        return t

    def __init__(self, *args, **kwargs):
        pass
