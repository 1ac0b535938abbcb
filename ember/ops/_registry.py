"""The op registry: one declaration per op gives the function, the method, the operators, the in-place variant,
``out=`` and the graph node class (see STYLE.md, "An op").

NOTE [ Tensor parameters ]
A forward's unannotated parameters are its tensor inputs (a Tensor, a Python number, or None where optional); they
reach the forward as arrays (numbers stay numbers, so NumPy treats them as weak scalars, as PyTorch does). Annotated
parameters are passed through unchanged. A first parameter named ``tensors`` takes a sequence of tensors (cat, stack).
``xp`` (keyword-only) asks for the array module of the inputs' device.

NOTE [ What a node keeps ]
A derivative's parameters after ``grad`` name what its node keeps: a tensor input (kept with its version, checked on
use), ``out`` (the result's array and version, re-wrapped on use: keeping the Tensor would be a cycle), any other
forward parameter, ``<input>_shape`` (the shape only; no version check), or ``needs`` (a tuple of bools, one per tensor
input, telling which input gradients are wanted).
"""
from __future__ import annotations

import collections
import inspect

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd import graph
from ..backends import CPU as _CPU
from ..autograd.grad_mode import STATE

_EMPTY = inspect.Parameter.empty
REGISTRY: dict = {}
EXPORTS: dict = {}
ndarray = np.ndarray

PROMOTE, FLOAT, COMPARE, KEEP = "promote", "float", "compare", "keep"


class LinAlgError(RuntimeError):
    """A linear-algebra failure such as a singular matrix (torch.linalg.LinAlgError)."""

OPERATORS = {  # op name -> (forward dunder, reflected dunder or None, in-place dunder or None)
    "add": ("__add__", "__radd__", "__iadd__"), "sub": ("__sub__", "__rsub__", "__isub__"),
    "mul": ("__mul__", "__rmul__", "__imul__"), "true_divide": ("__truediv__", "__rtruediv__", "__itruediv__"),
    "floor_divide": ("__floordiv__", "__rfloordiv__", "__ifloordiv__"), "remainder": ("__mod__", "__rmod__", "__imod__"),
    "pow": ("__pow__", "__rpow__", "__ipow__"), "matmul": ("__matmul__", "__rmatmul__", None),
    "bitwise_and": ("__and__", "__rand__", "__iand__"), "bitwise_or": ("__or__", "__ror__", "__ior__"),
    "bitwise_xor": ("__xor__", "__rxor__", "__ixor__"), "bitwise_left_shift": ("__lshift__", "__rlshift__", "__ilshift__"),
    "bitwise_right_shift": ("__rshift__", "__rrshift__", "__irshift__"),
    "eq": ("__eq__", None, None), "ne": ("__ne__", None, None), "lt": ("__lt__", None, None),
    "le": ("__le__", None, None), "gt": ("__gt__", None, None), "ge": ("__ge__", None, None),
    "neg": ("__neg__", None, None), "abs": ("__abs__", None, None), "bitwise_not": ("__invert__", None, None),
    "positive": ("__pos__", None, None),
}


class Op:
    """One registered op: its forward on arrays, its derivative on Tensors, and what the node keeps."""

    def __init__(self, fn, name, policy, view, outputs, out_names, differentiable):
        sig = inspect.signature(fn)
        self.wants_xp = "xp" in sig.parameters
        params = [p for p in sig.parameters.values() if p.name != "xp"]
        self.name = name
        self.forward = _positional(fn, [p for p in params])
        self.__doc__ = fn.__doc__
        self.policy = policy
        self.view = view
        self.outputs = outputs
        self.names = tuple(p.name for p in params)
        self.defaults = tuple(p.default for p in params)
        self.nrequired = max((i + 1 for i, d in enumerate(self.defaults) if d is _EMPTY), default=0)
        self.nargs = len(params)
        self.list_input = bool(params) and params[0].name == "tensors"
        nt = 0
        for p in params:
            if p.annotation is not _EMPTY or p.kind is p.KEYWORD_ONLY:
                break
            nt += 1
        self.ntensors = 1 if self.list_input else nt
        self.differentiable = differentiable
        self.node_cls = None
        self.saved = ()
        self.saves_self = False
        self.return_type = collections.namedtuple(name, out_names) if out_names else None
        self.signature = sig.replace(parameters=params)

    def __repr__(self):
        return f"<op {self.name}>"

    def __call__(self, *args, out=None, **kwargs):
        return call(self, args, kwargs, out)

    def on_arrays(self, *args) -> Tensor:
        """The forward on args' arrays (tensors of one device, or plain values), wrapped without dispatch: no checks,
        promotion, rounding or graph. For first-order derivatives, whose results the engine sums and casts back to
        each input's shape and dtype anyway."""
        dev = next(a._device for a in args if isinstance(a, Tensor))
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        r = self.forward(*arrays, xp=dev.xp) if self.wants_xp else self.forward(*arrays)
        return Tensor._make(np.asarray(r) if type(r) is not ndarray and dev.type == "cpu" else r, dev)

    def derivative(self, fn):
        """Declare the derivative: fn(grad, *kept) returns one gradient per tensor input (None where there is none)."""
        kinds = []
        tensor_names = self.names[:self.ntensors]
        for pname in list(inspect.signature(fn).parameters)[1:]:
            if pname == "out":
                kinds.append(("out", 0))
            elif pname == "needs":
                kinds.append(("needs", 0))
            elif pname == "tensors" and self.list_input:  # every tensor of a list input (einsum)
                kinds.append(("tensors", 0))
            elif pname in tensor_names:
                kinds.append(("tensor", tensor_names.index(pname)))
            elif pname.endswith("_shape") and pname[:-6] in tensor_names:
                kinds.append(("shape", tensor_names.index(pname[:-6])))
            elif pname in self.names:
                kinds.append(("arg", self.names.index(pname)))
            else:
                raise TypeError(f"derivative of {self.name} names {pname!r}, which is not a parameter of the forward")
        self.saved = tuple(kinds)
        self.saves_self = ("tensor", 0) in kinds
        self.keeps_tensors = any(k in ("tensor", "out", "tensors") for k, _ in kinds)
        self.derivative_fn = fn
        cname = _NODE_NAMES.get(self.name) or "".join(w.capitalize() for w in self.name.strip("_").split("_"))
        cname += "Backward0"
        self.node_cls = type(cname, (OpNode,), {"__slots__": (), "_op": self, "n_outputs": self.outputs,
                                                "__module__": "ember.autograd"})
        return fn

    def bind(self, args, kwargs) -> tuple:
        n = len(args)
        if not kwargs and self.nrequired <= n < self.nargs:
            return args + self.defaults[n:]
        if n > self.nargs:
            raise TypeError(f"{self.name}() takes {self.nargs} arguments but {n} were given")
        full = list(args)
        for i in range(n, self.nargs):
            name = self.names[i]
            if name in kwargs:
                full.append(kwargs.pop(name))
            elif self.defaults[i] is not _EMPTY:
                full.append(self.defaults[i])
            else:
                raise TypeError(f"{self.name}() missing required argument '{name}'")
        if kwargs:
            bad = next(iter(kwargs))
            if bad in self.names:
                raise TypeError(f"{self.name}() got multiple values for argument '{bad}'")
            raise TypeError(f"{self.name}() got an unexpected keyword argument '{bad}'")
        return full


_NODE_NAMES = {"true_divide": "Div", "index_basic": "Index", "index_advanced": "Index", "index_put_key": "IndexPut",
               "to_dtype": "ToCopy", "linalg_vector_norm": "LinalgVectorNorm"}


def _positional(fn, params):
    """fn, callable with its keyword-only parameters (other than xp) given positionally."""
    npos = sum(p.kind is not p.KEYWORD_ONLY for p in params)
    kw = tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY)
    if not kw:
        return fn

    def forward(*args, **extra):
        return fn(*args[:npos], **dict(zip(kw, args[npos:])), **extra)
    return forward


class OpNode(graph.Node):
    """The node of a registered op; subclasses (``MulBackward0``) are made once, at import."""

    __slots__ = ("_saved",)
    _op: Op

    def apply(self, grads):
        if self._released and self._op.keeps_tensors:  # as torch: only a node that kept tensors cannot run twice
            raise RuntimeError(f"{graph.FREED_MESSAGE} (node {self.name()}, created at {graph.format_site(self._site)})")
        op = self._op
        args = [grads[0] if op.outputs == 1 else grads]
        for (kind, _), value in zip(op.saved, self._saved):
            if kind == "tensor" and value is not None and type(value) is tuple:
                t, version = value
                if t._vc[0] != version:
                    raise _modified_error(t, op, version)
                value = t
            elif kind == "out":
                arr, vc, version = value
                if vc is None:  # several differentiable outputs
                    value = tuple(_rewrap(a, self, i) for i, a in enumerate(arr))
                else:
                    if vc[0] != version:
                        raise _modified_error(_rewrap(arr, self, 0, vc), op, version, output=True)
                    value = _rewrap(arr, self, 0)
            elif kind == "tensors":
                for v in value:
                    if type(v) is tuple and v[0]._vc[0] != v[1]:
                        raise _modified_error(v[0], op, v[1])
                value = [v[0] if type(v) is tuple else v for v in value]
            args.append(value)
        res = op.derivative_fn(*args)
        return res if type(res) is tuple else (res,)

    def release(self):
        """Drop kept tensors (shapes and arguments stay: a node that kept no tensor can run again, as in torch)."""
        self._released = True
        if self._op.keeps_tensors:  # apply refuses to run again, so nothing of what it saved is needed
            self._saved = None


def _rewrap(arr, node, nr, vc=None):
    t = Tensor._make(arr, _device_of(arr))
    if vc is not None:  # the saved output's own counter, so the error reports its current version
        t._vc = vc
    t.grad_fn, t._output_nr, t._requires_grad = node, nr, True
    return t


def _device_of(arr):
    return _CPU if type(arr) is ndarray else arr.device


def _modified_error(t, op, version, output=False):
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.dtype} {list(t.shape)}], which is {'output' if output else 'an input'} of {op.node_cls.__name__}, "
        f"is at version {t._vc[0]}; expected version {version} instead. Hint: the backtrace further above shows "
        "the forward op; replace the in-place op that modified it by its out-of-place version.")


# ---------------------------------------------------------------------------------------------------------------
# calling an op


def _prep(op, tensors):
    """Arrays for the forward, the result dtype (None: the forward's), and the device."""
    dev = None
    policy = op.policy
    if policy is KEEP:
        arrays = []
        for t in tensors:
            if isinstance(t, Tensor):
                if dev is None:
                    dev = t._device
                elif t._device is not dev:
                    _device_mismatch(op, dev, t._device)
                arrays.append(t._data)
            else:
                arrays.append(t)
        return arrays, None, dev
    # fast paths: tensors of one dtype, or one floating tensor with Python numbers, keep that dtype
    first = tensors[0]
    if isinstance(first, Tensor):
        a = first._data
        nd = a.dtype
        dev = first._device
        arrays = [a]
        for t in tensors[1:]:
            if isinstance(t, Tensor):
                a = t._data
                if a.dtype != nd or t._device is not dev:
                    break
                arrays.append(a)
            elif nd.kind == "f" and type(t) in _NUMBERS:
                arrays.append(t)
            else:
                break
        else:
            if policy is FLOAT and nd.kind != "f" and nd != _BF16:
                nd = D.get_default_dtype().np
                return [t._data.astype(nd) if isinstance(t, Tensor) else t for t in tensors], nd, dev
            return arrays, (None if policy is COMPARE else nd), dev
        dev = None
    key = []
    for t in tensors:
        if isinstance(t, Tensor):
            a = t._data
            key.append((a.dtype, a.ndim == 0))
            if dev is None:
                dev = t._device
            elif t._device is not dev:
                _device_mismatch(op, dev, t._device)
        elif t is not None:
            k = D._SCALAR_KIND.get(type(t))
            if k is None:
                k = D.scalar_kind(t)
                if k is None:
                    raise TypeError(f"{op.name}(): expected Tensor or Number as argument, but got {type(t).__name__}")
            key.append(k)
    key = tuple(key)
    rt = _RESULT.get(key)
    if rt is None:
        rt = _result_dtype(key)
    if policy is FLOAT and rt._kind < 2:
        rt = D.get_default_dtype()
    nd = rt.np
    arrays = [(t._data if t._data.dtype == nd else t._data.astype(nd)) if isinstance(t, Tensor) else
              _wrap_int(t, nd) if type(t) is int and nd.kind in "iu" and op.wrap_ints else t for t in tensors]
    return arrays, (None if policy is COMPARE else nd), dev


_RESULT = D._RESULT_CACHE
_NUMBERS = (int, float, bool)


def _wrap_int(v: int, nd):
    """A Python int outside the integer dtype's range wraps around, as in torch (NumPy 2 raises OverflowError)."""
    info = np.iinfo(nd)
    if info.min <= v <= info.max:
        return v
    bits = 8 * nd.itemsize
    v %= 1 << bits
    if nd.kind == "i" and v >= 1 << (bits - 1):
        v -= 1 << bits
    return nd.type(v)


def _result_dtype(key):
    ekey = tuple(k if type(k) is int else (D.FROM_NP[k[0]], k[1]) for k in key)
    rt = D.result_from_key(ekey)
    _RESULT[key] = rt
    return rt


def _device_mismatch(op, a, b):
    raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, {a} and {b}! "
                       f"(in {op.name})")


def _describe(t) -> str:
    if isinstance(t, Tensor):
        return f"Tensor{list(t._data.shape)} {D.FROM_NP.get(t._data.dtype, t._data.dtype)} {t._device}"
    return f"{type(t).__name__} {t!r}" if not isinstance(t, (list, tuple)) else f"{type(t).__name__} of {len(t)}"


def _broadcast_message(tensors):
    shapes = [t._data.shape for t in tensors if isinstance(t, Tensor)]
    if len(shapes) != 2:
        return None
    a, b = shapes
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            return (f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at non-singleton "
                    f"dimension {max(len(a), len(b)) - i}")
    return None


def _raise(op, tensors, err):
    """Re-raise an error from the forward in the user's terms: torch's exception class, the op, the inputs.

    ValueError and TypeError become RuntimeError (what torch raises for bad shapes and dtypes); a forward that must
    raise IndexError, or any other class, raises it directly.
    """
    if getattr(err, "_ember_context", False):
        raise err
    cls = type(err)
    msg = str(err)
    if isinstance(err, np.linalg.LinAlgError):
        cls = LinAlgError
    elif isinstance(err, (ValueError, TypeError)):  # NumPy's shape and dtype complaints; torch raises RuntimeError
        cls = RuntimeError
        if "broadcast" in msg:
            msg = _broadcast_message(tensors) or msg
    inputs = ", ".join(_describe(t) for t in tensors)
    try:
        new = cls(f"{msg}\n  (in ember.{op.name} with inputs: {inputs})")
    except Exception:
        raise err
    new._ember_context = True
    raise new.with_traceback(None) from None


def call(op, args, kwargs, out=None):
    if kwargs or len(args) != op.nargs:
        args = op.bind(args, kwargs)
    nt = op.ntensors
    tensors = args[0] if op.list_input else args[:nt]
    arrays, rt, dev = _prep(op, tensors)
    if dev is None:
        dev = _CPU
    try:
        if op.wants_xp:
            xp = dev._xp or dev.xp  # the property only for a device whose array module is not loaded yet
            r = op.forward(arrays, *args[1:], xp=xp) if op.list_input else op.forward(*arrays, *args[nt:], xp=xp)
        else:
            r = op.forward(arrays, *args[1:]) if op.list_input else op.forward(*arrays, *args[nt:])
    except Exception as e:
        _raise(op, tensors, e)
    if op.outputs != 1 or type(r) is tuple:
        return _finish_multi(op, r, tensors, args, dev, out)
    if type(r) is not ndarray and dev.type == "cpu":
        r = np.asarray(r)
    if rt is not None and r.dtype is not rt and r.dtype != rt:
        r = r.astype(rt)
    res = Tensor._make(r, dev)
    if op.view:
        _mark_view(op, res, tensors[0], args)
    if STATE.grad_enabled and op.node_cls is not None:
        for t in tensors:
            if isinstance(t, Tensor) and t._requires_grad:
                if r.dtype.kind == "f" or r.dtype == _BF16:
                    res.grad_fn = _make_node(op, tensors, args, res)
                    res._requires_grad = True
                break
    if out is not None:
        return _write_out(op, res, out)
    return res


_BF16 = D.bfloat16.np
_NO_EDGE = (None, 0)


def _mark_view(op, res, inp, args):
    a = res._data
    b = a.base
    if b is not None and isinstance(inp, Tensor):
        src = inp._data
        if b is not src and b is not src.base and type(b) is not type(src):  # as_strided's DummyArray wraps the base
            b = getattr(b, "base", None)
        if b is src or (src.base is not None and b is src.base):
            base = inp._base
            res._base = inp if base is None else base
            res._vc = inp._vc
            step = (op, tuple(args[1:]))
            res._view = (step,) if inp._view is None else inp._view + (step,)


def _make_node(op, tensors, args, res, snapshot=None):
    node = op.node_cls.__new__(op.node_cls)
    edges = []
    meta = []
    for t in tensors:
        if isinstance(t, Tensor):
            fn = t.grad_fn
            edges.append((fn, t._output_nr) if fn is not None else
                         (graph.get_accumulator(t), 0) if t._requires_grad else _NO_EDGE)
            a = t._data
            meta.append((a.shape, a.dtype))
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    # creation_site, _init, _make_node, call, then the ember frame that called call (public fn, Op.__call__, an
    # internal helper): starting past it spares materialising that frame object (~0.9 us per node)
    node._init(tuple(edges), tuple(meta), 5)
    saved = []
    for kind, i in op.saved:
        if kind == "tensor":
            t = tensors[i]
            if i == 0 and snapshot is not None:
                t = snapshot
            saved.append((t, t._vc[0]) if isinstance(t, Tensor) else t)
        elif kind == "out":
            saved.append((res._data, res._vc, res._vc[0]) if res is not None else None)
        elif kind == "arg":
            saved.append(args[i])
        elif kind == "tensors":
            saved.append(tuple((t, t._vc[0]) if isinstance(t, Tensor) else t for t in tensors))
        elif kind == "shape":
            if op.list_input:  # tensors_shape: one shape per tensor of the list
                saved.append(tuple(t._data.shape for t in tensors))
                continue
            t = tensors[i]
            saved.append(t._data.shape if isinstance(t, Tensor) else ())
        else:  # needs
            saved.append(tuple(e[0] is not None for e in edges))
    node._saved = tuple(saved)
    return node


def _finish_multi(op, r, tensors, args, dev, out):
    outs = []
    for a in r:
        if type(a) is not ndarray and dev.type == "cpu":
            a = np.asarray(a)
        outs.append(Tensor._make(a, dev))
    if STATE.grad_enabled and op.node_cls is not None and any(
            isinstance(t, Tensor) and t._requires_grad for t in tensors):
        node = _make_node(op, tensors, args, outs[0] if op.outputs == 1 else None)
        if op.outputs > 1:
            node._saved = tuple((tuple(o._data for o in outs[:op.outputs]), None, None) if k == "out" else v
                                for (k, _), v in zip(op.saved, node._saved))
        for i in range(op.outputs):
            o = outs[i]
            if o._data.dtype.kind == "f" or o._data.dtype == _BF16:
                o.grad_fn = node
                o._output_nr = i
                o._requires_grad = True
    if out is not None:
        outs = [_write_out(op, o, t) for o, t in zip(outs, out)]
    return op.return_type(*outs) if op.return_type else tuple(outs)


def _write_out(op, res, out):
    if not isinstance(out, Tensor):
        raise TypeError(f"{op.name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if res._requires_grad or out._requires_grad and STATE.grad_enabled:
        raise RuntimeError(f"{op.name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if out._data.shape == res._data.shape:
        out._data[...] = res._data
    else:
        out._data = res._data.astype(out._data.dtype, copy=False)
    out._vc[0] += 1
    return out


# ---------------------------------------------------------------------------------------------------------------
# in-place


def call_inplace(op, args, kwargs):
    """``input.op_(...)``: compute, check the result fits input's shape and dtype, write in place, rebase history."""
    if kwargs or len(args) != op.nargs:
        args = op.bind(args, kwargs)
    self = args[0]
    if not isinstance(self, Tensor):
        raise TypeError(f"{op.name}_(): the first argument must be a Tensor, not {type(self).__name__}")
    tensors = args[0] if op.list_input else args[:op.ntensors]
    arrays, rt, dev = _prep(op, tensors)
    try:
        r = op.forward(*arrays, *args[op.ntensors:], xp=dev.xp) if op.wants_xp else \
            op.forward(*arrays, *args[op.ntensors:])
    except Exception as e:
        _raise(op, tensors, e)
    dst = self._data
    if type(r) is not ndarray:
        r = np.asarray(r)
    if rt is not None and rt != dst.dtype and not D.can_cast(D.FROM_NP[rt], D.FROM_NP[dst.dtype]):
        raise RuntimeError(f"result type {D.FROM_NP[rt].name.capitalize()} can't be cast to the desired output "
                           f"type {D.FROM_NP[dst.dtype].name.capitalize()} (in {op.name}_)")
    if r.shape != dst.shape:
        if np.broadcast_shapes(r.shape, dst.shape) != dst.shape:
            raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(r.shape, dst.shape))} (in {op.name}_)")
    needs_grad = STATE.grad_enabled and op.node_cls is not None and any(
        isinstance(t, Tensor) and t._requires_grad for t in tensors) and (dst.dtype.kind == "f" or dst.dtype == _BF16)
    snapshot = None
    if needs_grad:
        _check_inplace_leaf(self)
        if op.saves_self:
            snapshot = Tensor._make(dst.copy(), dev)
            snapshot.grad_fn, snapshot._output_nr, snapshot._requires_grad = \
                self.grad_fn, self._output_nr, self._requires_grad
            if self.grad_fn is None and self._requires_grad:
                snapshot._accum = self._accum
    if not dst.flags.writeable:
        raise RuntimeError(f"{op.name}_(): unsupported operation: the tensor's memory is read-only (an expanded or "
                           "broadcast view). Call .clone() before writing into it.")
    dst[...] = r
    self._vc[0] += 1
    if needs_grad:
        if snapshot is not None and snapshot._accum is not None:
            snapshot.grad_fn = graph.get_accumulator(self)
        node = _make_node(op, tensors, args, self, snapshot)
        rebase_history(self, node)
    return self


def _check_inplace_leaf(t):
    fn = t.grad_fn
    if fn is not None and getattr(fn, "multi_view", False):  # split/unbind pieces share one node, as in torch
        raise RuntimeError(f"Output {t._output_nr} of {fn.name()[:-9]} is a view and is being modified inplace. This "
                           "view is the output of a function that returns multiple views. Such functions do not allow "
                           "the output views to be modified inplace. You should replace the inplace operation by an "
                           "out-of-place one.")
    if fn is None and t._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = t._base
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def rebase_history(t, node) -> None:
    """Make node the producer of t; for a view, rebase its base through CopySlices and re-derive t from it."""
    base = t._base
    if base is None:
        t.grad_fn, t._output_nr, t._requires_grad = node, 0, True
        return
    copy = CopySlices.__new__(CopySlices)
    bedge = graph.edge_of(base)
    copy._init((bedge,) + node.next_functions[1:], ((base._data.shape, base._data.dtype),) + node._meta[1:])
    copy.inner, copy.chain = node, t._view
    copy._site = node._site
    base.grad_fn, base._output_nr, base._requires_grad = copy, 0, True
    prev = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        fresh = replay(base, t._view)
    finally:
        STATE.grad_enabled = prev
    t.grad_fn, t._output_nr, t._requires_grad = fresh.grad_fn, fresh._output_nr, True


def replay(t, chain):
    for op, extra in chain:
        t = call(op, (t,) + extra, {})
    return t


class CopySlices(graph.Node):
    """The base's node after an in-place op on one of its views (PyTorch's CopySlices)."""

    __slots__ = ("inner", "chain")

    def name(self):
        return "CopySlices"

    def apply(self, grads):
        res = grads[0].clone()
        region = replay(res, self.chain)
        sub = self.inner.apply((region.clone(),))
        g0 = sub[0]
        if g0 is None:
            region.zero_()
        else:
            region.copy_(g0)
        return (res,) + tuple(sub[1:])

    def release(self):
        self._released = True
        self.inner.release()


# ---------------------------------------------------------------------------------------------------------------
# the decorator


def _public(op, inplace_name=None):
    def fn(*args, out=None, **kwargs):
        return call(op, args, kwargs, out)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.__doc__
    fn.__signature__ = op.signature
    fn.op = op
    return fn


def _public_inplace(op):
    def fn(*args, **kwargs):
        return call_inplace(op, args, kwargs)

    fn.__name__ = fn.__qualname__ = op.name + "_"
    fn.__doc__ = f"In-place version of :func:`{op.name}`."
    fn.op = op
    return fn


def op(fn=None, *, name=None, dtype=PROMOTE, method=True, inplace=False, view=False, outputs=1, out_names=None,
       export=True, differentiable=True, wrap_ints=True):
    """Register an op (see the module's notes). Returns the Op; ``@that.derivative`` adds its derivative."""
    def register(f):
        nm = name or f.__name__
        o = Op(f, nm, dtype, view, outputs, out_names, differentiable)
        o.wrap_ints = wrap_ints  # Python ints beyond an integer dtype's range wrap around (not pow's exponent)
        REGISTRY[nm] = o
        pub = _public(o)
        o.public = pub
        if export:
            EXPORTS[nm] = pub
        if method:
            setattr(Tensor, nm, pub)
        if inplace:
            ip = _public_inplace(o)
            o.public_inplace = ip
            setattr(Tensor, nm + "_", ip)
            if export:
                EXPORTS[nm + "_"] = ip
        dunders = OPERATORS.get(nm)
        if dunders:
            fwd, refl, inpl = dunders
            setattr(Tensor, fwd, pub)
            if refl:
                setattr(Tensor, refl, lambda self, other, _f=pub: _f(other, self))
            if inpl and inplace:
                setattr(Tensor, inpl, o.public_inplace)
        return o
    return register(fn) if fn is not None else register


def export(fn=None, *, method=True, name=None):
    """Register a composed function (no derivative of its own) as ember.NAME and, with method=True, Tensor.NAME."""
    def register(f):
        nm = name or f.__name__
        EXPORTS[nm] = f
        if method:
            setattr(Tensor, nm, f)
        return f
    return register(fn) if fn is not None else register
