"""The Tensor: one array, its device, and its place in the autograd graph. Ops attach themselves (ember/ops)."""
from __future__ import annotations

import copy
import operator
import weakref

import numpy as np

from . import _dtype as D
from ._printing import tensor_repr
from .autograd import graph
from .autograd.grad_mode import STATE
from .backends import CPU, device as _device_cls, to_device


class Size(tuple):
    """A tensor's shape (torch.Size): a tuple of ints.

    Prints as ``ember.Size([2, 3])`` where torch prints ``torch.Size([2, 3])``.
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        sizes = list(sizes)
        try:
            return tuple.__new__(cls, [operator.index(s) for s in sizes])
        except TypeError:
            bad = next(s for s in sizes if not hasattr(s, "__index__"))
            raise TypeError(f"ember.Size() takes an iterable of 'int' (got '{type(bad).__name__}')") from None

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple.__add__(tuple(other), self))

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """A multi-dimensional array with autograd (torch.Tensor).

    ``Tensor(data)`` and ``Tensor(*sizes)`` are PyTorch's legacy constructors (default dtype); prefer ember.tensor.
    """

    __slots__ = ("_data", "_device", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_vc", "_base", "_view",
                 "_accum", "_extra", "__weakref__")
    __hash__ = object.__hash__
    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators

    def __new__(cls, *args, device=None, dtype=None):
        dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            a = args[0]
            arr = (a._data.astype(dt.np) if isinstance(a, Tensor) else np.array(a, dtype=dt.np))
            if arr.ndim == 0 and not isinstance(a, Tensor):
                raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], Size) else (args or (0,))
            arr = np.empty(tuple(int(s) for s in shape), dtype=dt.np)
        self = object.__new__(cls)
        _init(self, arr, CPU if device is None else to_device(device))
        return self

    # -- construction ------------------------------------------------------------------------------------------
    @staticmethod
    def _make(arr, device=CPU) -> "Tensor":
        t = object.__new__(Tensor)
        _init(t, arr, device)
        return t

    _dtype_of = staticmethod(D.from_np)

    # -- metadata ----------------------------------------------------------------------------------------------
    @property
    def dtype(self) -> D.dtype:
        return D.FROM_NP[self._data.dtype]

    @property
    def shape(self) -> Size:
        return _size(Size, self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of one dim (torch.Tensor.size)."""
        if dim is None:
            return _size(Size, self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def device(self) -> _device_cls:
        return self._device

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return False

    @property
    def layout(self):
        return "strided"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self._data.dtype == D.bfloat16.np

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def get_device(self) -> int:
        return -1 if self._device.type == "cpu" else (self._device.index or 0)

    def stride(self, dim: int | None = None):
        """Strides in elements (torch.Tensor.stride)."""
        a = self._data
        if a.size:
            st = tuple(s // a.itemsize for s in a.strides)
        else:  # NumPy gives empty arrays zero strides; torch gives them contiguous ones
            st, n = [], 1
            for s in reversed(a.shape):
                st.insert(0, n)
                n *= max(s, 1)
            st = tuple(st)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        if self._base is None:
            return 0
        return (_address(self._data) - _address(self._base._data)) // self._data.itemsize

    def data_ptr(self) -> int:
        return _address(self._data)

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def _is_view(self) -> bool:
        return self._base is not None

    def _is_view_of(self, other) -> bool:
        return self._base is not None and (self._base is other or self._base is other._base)

    # -- autograd state ----------------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if not value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                                   "computed variable in a subgraph that doesn't require differentiation use "
                                   "var_no_grad = var.detach().")
            return
        if value and not self.is_floating_point():
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: the tensor has shape "
                                   f"{list(self._data.shape)}, the grad {list(value._data.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value.dtype} for a {self.dtype} tensor")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self) -> "Tensor":
        """The same storage, detached from the graph and untracked by the version counter (torch's .data)."""
        return Tensor._make(self._data, self._device)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    def detach(self) -> "Tensor":
        """A tensor sharing storage and version counter, outside the graph (torch.Tensor.detach)."""
        t = Tensor._make(self._data, self._device)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and STATE.grad_enabled and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def _extras(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces the gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            hooks = self._extras().setdefault("hooks", [])
            hooks.append(hook)
            return graph._RemovableHandle(hooks, hook)
        handle = self.grad_fn._add_pre_hook(self._output_nr, hook)
        retain = self._extra and self._extra.get("retains_grad")
        if retain:  # as in torch, the retain_grad hook runs after every other hook of the tensor
            retain.remove()
            self.grad_fn._pre_hooks.append(retain._item)
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call hook(tensor) after the gradient was accumulated into this leaf's .grad."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._extras().setdefault("post_hooks", [])
        hooks.append(hook)
        return graph._RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep .grad for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._extras().get("retains_grad"):
            return
        ref = weakref.ref(self)

        def hook(grad):
            t = ref()
            if t is not None:
                t._grad = grad.detach() if t._grad is None else t._grad + grad.detach()
        self._extra["retains_grad"] = self.grad_fn._add_pre_hook(self._output_nr, hook)

    @property
    def retains_grad(self) -> bool:
        return bool(self._extra and self._extra.get("retains_grad"))

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaves) into the leaves' .grad (torch.Tensor.backward)."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- conversion --------------------------------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        v = self._data.reshape(()).item() if self._data.dtype != D.bfloat16.np else float(self._data.reshape(()))
        return v

    def tolist(self):
        a = self._data
        if a.dtype == D.bfloat16.np:
            a = a.astype(np.float32)
        return a.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The array itself on the CPU, sharing memory (torch.Tensor.numpy)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to copy "
                                "the tensor to host memory first.")
            return self._device.xp.asnumpy(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy(force=True) if self._device.type != "cpu" else self._data
        if dtype is not None and np.dtype(dtype) != a.dtype:
            return a.astype(dtype)
        return a.copy() if copy else a  # NumPy 2 trusts copy=True (np.array(t)) to have copied

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self) -> int:
        if self.is_floating_point() or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self, *, tensor_contents=None) -> str:
        return tensor_repr(self, tensor_contents)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        new = object.__new__(type(self))
        _init(new, self._data.copy(), self._device)
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):  # a subclass's own attributes
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __reduce_ex__(self, protocol):
        state = getattr(self, "__dict__", None)  # a subclass's own attributes
        return (_rebuild, (type(self), self._data, str(self._device), self._requires_grad), state)

    def __setstate__(self, state):
        self.__dict__.update(state)

    @staticmethod
    def _make_subclass(cls, data: "Tensor", require_grad: bool = False) -> "Tensor":
        """An instance of the Tensor subclass cls sharing data's storage, a new leaf (torch.Tensor._make_subclass)."""
        t = object.__new__(cls)
        _init(t, data._data, data._device)
        t._vc = data._vc
        t.requires_grad = require_grad
        return t


def _rebuild(cls, arr, device, requires_grad):
    t = object.__new__(cls)
    _init(t, arr, _device_cls(device))
    t._requires_grad = requires_grad
    return t


def _init(t, arr, device):
    t._data = arr
    t._device = device
    t._requires_grad = False
    t._grad = t.grad_fn = t._base = t._view = t._accum = t._extra = None
    t._output_nr = 0
    t._vc = [0]


_size = tuple.__new__  # Size from a NumPy shape, skipping the int checks


def _address(arr) -> int:
    return arr.__array_interface__["data"][0]


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


wrap = Tensor._make
