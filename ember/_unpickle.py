"""The restricted unpickler behind ember.load: data.pkl's opcodes run against an allowlist of ember functions.

NOTE [ Restricted unpickler ]
pickle.Unpickler imports whatever module a GLOBAL names and calls whatever REDUCE finds on the stack: that is how a
checkpoint runs os.system. ember.load interprets the opcodes itself instead (as torch's weights_only unpickler does).
GLOBAL and STACK_GLOBAL look names up in ALLOWED, a table of ember objects: nothing is imported. REDUCE, NEWOBJ and
NEWOBJ_EX call only _Safe entries, ember functions that check their arguments' types before building a tensor, a
container or a number. BUILD may set a state_dict's _metadata and finish a NumPy array or dtype that this load
created, after checking the state; INST, OBJ, EXT and text persistent ids are refused. No attribute is ever looked up
by a name from the file, so getattr chains have nothing to climb.
"""
from __future__ import annotations

import collections
import contextlib
import pickle
import reprlib
import struct
import threading
from typing import Any, Callable

import ml_dtypes
import numpy as np

from . import _dtype as D
from ._tensor import Size, Tensor
from .backends import device as _device
from .nn.parameter import Parameter

STORAGE_OF = {D.bool: "BoolStorage", D.uint8: "ByteStorage", D.int8: "CharStorage", D.int16: "ShortStorage",
              D.int32: "IntStorage", D.int64: "LongStorage", D.float16: "HalfStorage", D.bfloat16: "BFloat16Storage",
              D.float32: "FloatStorage", D.float64: "DoubleStorage"}
NUMPY_KINDS = "biufc"  # bool, ints, floats, complex: the NumPy dtypes a checkpoint may hold (never objects)
RESAVE = ("If you trust the file, re-save it in the current format with PyTorch: torch.save(torch.load(path, "
          "weights_only=False), path) (weights_only=False runs code from the file, so only for files you trust)")


brief = reprlib.Repr()  # error messages quote what the file held, shortened (a hostile file's objects are huge)
brief.maxstring = brief.maxother = 80
brief = brief.repr


class _Safe:
    """A callable a checkpoint may name: the torch spelling and the ember function that validates and builds."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable):
        self.name, self.fn = name, fn

    def __repr__(self):
        return self.name


class Marker:
    """A name that is an argument, never called (torch.Tensor, numpy.ndarray, a storage type)."""

    __slots__ = ("name", "np", "error")

    def __init__(self, name: str, np_dtype=None, error: str | None = None):
        self.name, self.np, self.error = name, np_dtype, error

    def __repr__(self):
        return self.name


class _ForeignDtype:
    """A torch dtype ember lacks; tensors of it load as `target` when the conversion is exact, else raise."""

    __slots__ = ("name", "np", "target")

    def __init__(self, name: str, np_dtype=None, target: D.dtype | None = None):
        self.name, self.np, self.target = name, np_dtype, target

    def __repr__(self):
        return f"torch.{self.name}"


class Storage:
    __slots__ = ("array", "key", "swap")

    def __init__(self, array: np.ndarray, key: str, swap: bool):
        self.array, self.key, self.swap = array, key, swap


def _ints(x, what: str) -> tuple:
    if type(x) not in (tuple, list, Size) or any(type(i) is not int or i < 0 for i in x):
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of non-negative ints, got {brief(x)}")
    return tuple(x)


def _tensor(storage, offset, size, stride, requires_grad, hooks, dtype=None, metadata=None) -> Tensor:
    """A tensor viewing a checkpoint storage, after checking that every element it reaches lies inside it."""
    if type(storage) is not Storage:
        raise pickle.UnpicklingError(f"tensors are rebuilt from checkpoint storages, not {type(storage).__name__}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(stride) or type(offset) is not int or offset < 0 or type(requires_grad) is not bool:
        raise pickle.UnpicklingError(f"inconsistent tensor metadata: size {size}, stride {stride}, offset {offset!r}")
    if (hooks is not None and type(hooks) not in (dict, collections.OrderedDict)) or hooks or metadata:
        raise pickle.UnpicklingError("ember.load does not restore backward hooks or tensor metadata from a file")
    target = None
    if dtype is None:
        np_dtype = storage.array.dtype
    elif type(dtype) is D.dtype:
        np_dtype = dtype.np
    elif type(dtype) is _ForeignDtype and dtype.target is not None:
        np_dtype, target = dtype.np, dtype.target
    else:
        raise RuntimeError(f"ember has no {dtype} dtype and cannot convert it exactly: the checkpoint's tensor of "
                           f"storage {storage.key} can't be loaded")
    buf = storage.array
    if buf.dtype != np_dtype:
        if buf.nbytes % np.dtype(np_dtype).itemsize:
            raise RuntimeError(f"storage {storage.key} of {buf.nbytes} bytes does not hold whole {dtype} elements")
        buf = buf.view(np.uint8).view(np_dtype)
    numel, last = 1, offset
    for n, s in zip(size, stride):
        numel *= n
        last += (n - 1) * s
    if numel and last >= buf.size or offset > buf.size:
        raise RuntimeError(f"corrupt checkpoint: a tensor of size {list(size)}, stride {list(stride)} and offset "
                           f"{offset} reaches element {last} of storage {storage.key}, which has {buf.size}")
    item = buf.itemsize
    if numel:
        arr = np.ndarray(size, np_dtype, buffer=buf.view(np.uint8), offset=offset * item,
                         strides=tuple(s * item for s in stride))
    else:
        arr = np.empty(size, np_dtype)
    if storage.swap and item > 1 and buf is not storage.array:
        arr = arr.byteswap()
    if target is not None:
        arr = _convert(arr, dtype)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _convert(arr: np.ndarray, dtype: _ForeignDtype) -> np.ndarray:
    if dtype.name == "uint64" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise RuntimeError("ember has no uint64 dtype and this uint64 tensor holds values above int64's maximum")
    note(f"ember has no {dtype.name} dtype: checkpoint tensors of it were loaded as {dtype.target} (every value "
          "converts exactly)")
    return arr.astype(dtype.target.np)


_notes = threading.local()  # what the current load() warns about once it is done


def note(message: str) -> None:
    _notes.messages[message] = None


@contextlib.contextmanager
def recording():
    """Collect the note()s of one load (nested loads keep their own), to warn once the load is done."""
    outer = getattr(_notes, "messages", None)
    _notes.messages = {}
    try:
        yield _notes.messages
    finally:
        _notes.messages = outer


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    return _tensor(storage, offset, size, stride, requires_grad, hooks, None, metadata)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
    return _tensor(storage, offset, size, stride, requires_grad, hooks, dtype, metadata)


def _rebuild_tensor(storage, offset, size, stride):
    return _tensor(storage, offset, size, stride, False, None)


def _rebuild_parameter(data, requires_grad, hooks, state=None):
    if type(data) is not Tensor or type(requires_grad) is not bool:
        raise pickle.UnpicklingError(f"_rebuild_parameter expects (Tensor, bool, ...), got {type(data).__name__}")
    if hooks:
        raise pickle.UnpicklingError("ember.load does not restore backward hooks from a file")
    _drop_state(state)
    return Parameter(data, requires_grad)


def _drop_state(state) -> None:
    if state:  # Python attributes set on a torch tensor; an ember tensor has no __dict__ to hold them
        names = ", ".join(map(str, state)) if type(state) in (dict, collections.OrderedDict) else repr(type(state))
        note(f"ember.load dropped Python attributes stored on checkpoint tensors: {names:.200}")


def _rebuild_from_type_v2(func, new_type, args, state):
    if type(func) is not _Safe or func.fn not in _REBUILDERS or type(args) is not tuple:
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 may only call a tensor rebuild function: {brief(func)}")
    if new_type is not _TENSOR and new_type is not _PARAMETER:
        raise pickle.UnpicklingError(f"ember.load rebuilds torch.Tensor and nn.Parameter, not {brief(new_type)}")
    t = func.fn(*args)
    _drop_state(state)
    return Parameter(t, t.requires_grad) if new_type is _PARAMETER and type(t) is Tensor else t


def _new_parameter(data=None, requires_grad=True):
    if data is None:
        return Parameter(None, requires_grad)
    return _rebuild_parameter(data, requires_grad, None)


def _iterable_arg(args, what):
    if len(args) > 1 or (args and type(args[0]) not in (list, tuple, set, frozenset, dict, collections.OrderedDict)):
        raise pickle.UnpicklingError(f"{what} takes one list, tuple, set or dict, got {brief(args)}")
    return args


def _text(s, encoding):
    if type(s) is not str or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise pickle.UnpicklingError(f"_codecs.encode is allowed for a str in latin1, utf-8 or ascii, got {encoding!r}")
    return s.encode(encoding)


def _bytearray(*args):
    if not args:
        return bytearray()
    if len(args) == 1 and type(args[0]) in (bytes, bytearray):
        return bytearray(args[0])
    if len(args) == 2:
        return bytearray(_text(*args))
    raise pickle.UnpicklingError(f"bytearray is allowed from bytes or (str, encoding), got {brief(args)}")


def _complex(*args):
    if len(args) > 2 or any(type(a) not in (int, float, bool) for a in args):
        raise pickle.UnpicklingError(f"complex is allowed from two numbers, got {brief(args)}")
    return complex(*args)


def _size(sizes=()):
    if type(sizes) not in (list, tuple) or any(type(s) is not int for s in sizes):
        raise pickle.UnpicklingError(f"torch.Size takes a tuple of ints, got {brief(sizes)}")
    return Size(sizes)


def _new_device(kind, index=None):
    if type(kind) is not str or (index is not None and type(index) is not int):
        raise pickle.UnpicklingError(f"torch.device takes (str, int), got ({brief(kind)}, {brief(index)})")
    return _device(kind, index)


def _np_dtype(name, align=False, copy=True):
    """numpy.dtype('f4', False, True): a fresh copy (BUILD then sets its byte order without touching NumPy's own)."""
    if type(name) is not str or len(name) > 8:
        raise pickle.UnpicklingError(f"numpy.dtype is allowed for a short type code, got {brief(name)}")
    d = np.dtype(name)
    if d.kind not in NUMPY_KINDS or d.fields is not None or d.subdtype is not None:
        raise pickle.UnpicklingError(f"ember.load reads NumPy arrays of bool, integer, float or complex type, not {d}")
    return np.dtype(name, False, True)


def _np_reconstruct(cls, shape, code):
    if cls is not _NDARRAY or shape != (0,) or code not in (b"b", "b"):
        raise pickle.UnpicklingError("numpy _reconstruct is allowed for (numpy.ndarray, (0,), b'b') only")
    return np.ndarray((0,), np.uint8)


def _np_scalar(dtype, data):
    if not isinstance(dtype, np.dtype) or dtype.kind not in NUMPY_KINDS or type(data) is not bytes \
            or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError("numpy scalar expects a numeric dtype and its bytes")
    return np.frombuffer(data, dtype)[0]


def _dict_of(cls):
    return lambda *args: cls(*_iterable_arg(args, cls.__name__))


_TENSOR, _PARAMETER, _NDARRAY = Marker("torch.Tensor"), Marker("torch.nn.parameter.Parameter"), Marker("ndarray")
_REBUILDERS = (_rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_tensor, _rebuild_parameter)
_TORCH_DTYPES = {"float8_e4m3fn": D.float32, "float8_e5m2": D.float32, "float8_e4m3fnuz": D.float32,
                 "float8_e5m2fnuz": D.float32, "float8_e8m0fnu": D.float32, "uint16": D.int32, "uint32": D.int64,
                 "uint64": D.int64}
_UNSUPPORTED_DTYPES = ("complex32", "complex64", "complex128", "float4_e2m1fn_x2", "qint8", "quint8", "qint32",
                       "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
                       *(f"int{i}" for i in range(1, 8)), *(f"uint{i}" for i in range(1, 8)))


def _allowlist() -> dict:
    table: dict[str, Any] = {
        "collections.OrderedDict": _Safe("collections.OrderedDict", _dict_of(collections.OrderedDict)),
        "collections.Counter": _Safe("collections.Counter", _dict_of(collections.Counter)),
        "builtins.set": _Safe("builtins.set", lambda *a: set(*_iterable_arg(a, "set"))),
        "builtins.complex": _Safe("builtins.complex", _complex),
        "builtins.bytearray": _Safe("builtins.bytearray", _bytearray),
        "_codecs.encode": _Safe("_codecs.encode", lambda s, encoding="utf-8": _text(s, encoding)),
        "torch.Size": _Safe("torch.Size", _size),
        "torch.device": _Safe("torch.device", _new_device),
        "torch.Tensor": _TENSOR,
        "torch.nn.parameter.Parameter": _PARAMETER,
        "torch._tensor._rebuild_from_type_v2": _Safe("torch._tensor._rebuild_from_type_v2", _rebuild_from_type_v2),
        "torch._utils._rebuild_parameter_with_state": _Safe("torch._utils._rebuild_parameter_with_state",
                                                            _rebuild_parameter),
        "numpy.ndarray": _NDARRAY,
        "numpy.dtype": _Safe("numpy.dtype", _np_dtype),
    }
    for fn in _REBUILDERS:
        table[f"torch._utils.{fn.__name__}"] = _Safe(f"torch._utils.{fn.__name__}", fn)
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[f"{core}._reconstruct"] = _Safe(f"{core}._reconstruct", _np_reconstruct)
        table[f"{core}.scalar"] = _Safe(f"{core}.scalar", _np_scalar)
    for d in D.ALL:
        table[f"torch.{d.name}"] = d
    for name, target in _TORCH_DTYPES.items():
        np_dtype = np.dtype(getattr(ml_dtypes, name, None) or name)
        table[f"torch.{name}"] = _ForeignDtype(name, np_dtype, target)
    for name in _UNSUPPORTED_DTYPES:
        table[f"torch.{name}"] = _ForeignDtype(name)
    storages = {name: Marker(f"torch.{name}", d.np) for d, name in STORAGE_OF.items()}
    for kind in ("ComplexFloat", "ComplexDouble", "QUInt8", "QInt8", "QInt32", "QUInt4x2", "QUInt2x4"):
        what = "complex" if kind.startswith("Complex") else "quantized"
        storages[f"{kind}Storage"] = Marker(f"torch.{kind}Storage", None, f"ember has no {what} dtypes: the "
                                             f"checkpoint holds a torch.{kind}Storage")
    for name, marker in storages.items():
        table[f"torch.{name}"] = table[f"torch.cuda.{name}"] = marker
    untyped = Marker("torch.UntypedStorage", np.dtype(np.uint8))
    table["torch.storage.UntypedStorage"] = table["torch.UntypedStorage"] = untyped
    table["torch.storage.TypedStorage"] = Marker("torch.TypedStorage", None, "a TypedStorage without a dtype")
    return table


ALLOWED = _allowlist()


# ---------------------------------------------------------------------------------------------------------------
# load: the unpickler

_MAX_DEPTH = 1000  # containers nested deeper would overflow the C stack of hash() and repr()
_MODULE_KEYS = (b"_parameters", b"_modules", b"training")


class Unpickler:
    """Runs a pickle's opcodes against the allowlist (NOTE [ Restricted unpickler ]); UnpicklingError otherwise."""

    def __init__(self, data: bytes, persistent_load: Callable):
        self.data, self.pos, self.persistent_load = data, 0, persistent_load
        self.stack: list = []
        self.marks: list = []
        self.memo: dict = {}
        self.depth: dict[int, int] = {}  # id(container) -> nesting depth; self.keep holds them so ids stay unique
        self.keep: list = []
        self.unbuilt: dict[int, Any] = {}  # NumPy arrays and dtypes this load made, waiting for their BUILD

    def load(self):
        data, ops = self.data, _OPS
        try:
            while True:
                if self.pos >= len(data):
                    raise pickle.UnpicklingError("the pickle ends without STOP (truncated data.pkl)")
                code = data[self.pos]
                self.pos += 1
                handler = ops.get(code)
                if handler is None:
                    raise pickle.UnpicklingError(_opcode_refusal(code, self.pos - 1))
                if handler(self):
                    return self.stack.pop()
        except (IndexError, KeyError, TypeError, ValueError, struct.error, OverflowError, AttributeError) as e:
            raise pickle.UnpicklingError(f"malformed pickle near byte {self.pos} of data.pkl: "
                                         f"{type(e).__name__}: {e}"[:500]) from None

    # -- reading
    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise pickle.UnpicklingError(f"data.pkl is truncated: {n} bytes wanted at byte {self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def line(self) -> str:
        end = self.data.find(b"\n", self.pos, self.pos + 512)
        if end < 0:
            raise pickle.UnpicklingError(f"malformed GLOBAL near byte {self.pos}")
        s = self.data[self.pos:end].decode("utf-8")
        self.pos = end + 1
        return s

    # -- stack
    def push(self, x) -> None:
        self.stack.append(x)

    def pop_mark(self) -> list:
        if not self.marks:
            raise pickle.UnpicklingError("malformed pickle: no MARK on the stack")
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def nested(self, container, items):
        """container, made of items: record its depth and refuse one nested past _MAX_DEPTH."""
        depth = self.depth
        d = max((depth.get(id(x), 0) for x in items), default=0) + 1
        if d > depth.get(id(container), 0):
            if d > _MAX_DEPTH:
                raise pickle.UnpicklingError(f"containers nested deeper than {_MAX_DEPTH} levels in data.pkl")
            if id(container) not in depth:
                self.keep.append(container)
            depth[id(container)] = d
        return container

    def target(self, kinds: tuple, op: str):
        obj = self.stack[-1]
        if type(obj) not in kinds:
            raise pickle.UnpicklingError(f"{op} on a {type(obj).__name__} is refused: it applies to "
                                         f"{'/'.join(k.__name__ for k in kinds)} only")
        return obj

    # -- the opcodes that need more than a line
    def global_(self, module: str, name: str):
        if type(module) is not str or type(name) is not str:
            raise pickle.UnpicklingError("STACK_GLOBAL needs two strings")
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        value = ALLOWED.get(f"{module}.{name}")
        if value is None:
            raise pickle.UnpicklingError(_global_refusal(module, name, self.data))
        self.push(value)

    def call(self, func, args, kwargs=None):
        if type(args) is not tuple or kwargs:
            raise pickle.UnpicklingError("REDUCE/NEWOBJ arguments must be a tuple, without keywords")
        if func is _PARAMETER:
            return _new_parameter(*args)
        if type(func) is not _Safe:
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {brief(func)}: only "
                                         "ember's allowlisted rebuild functions may be called")
        try:
            out = func.fn(*args)
        except (TypeError, ValueError, OverflowError) as e:
            raise pickle.UnpicklingError(f"refused arguments for {func.name}: {e}"[:500]) from None
        if isinstance(out, (np.ndarray, np.dtype)):
            self.unbuilt[id(out)] = out
        return out

    def build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in (collections.OrderedDict, collections.Counter) and type(state) is dict \
                and set(state) <= {"_metadata"} and type(state.get("_metadata", {})) in (dict, collections.OrderedDict):
            if state:
                inst._metadata = state["_metadata"]
        elif self.unbuilt.pop(id(inst), None) is inst:
            inst.__setstate__(_numpy_state(inst, state))
        else:
            raise pickle.UnpicklingError(f"BUILD on {type(inst).__name__} is refused: ember.load sets no attributes "
                                         "and calls no __setstate__ (only a state_dict's _metadata)")

    def persid(self) -> None:
        self.push(self.persistent_load(self.stack.pop()))


def _numpy_state(inst, state) -> tuple:
    """Check the state numpy's own pickles give an ndarray or a dtype, so that __setstate__ only copies numbers."""
    if isinstance(inst, np.dtype):
        ok = (type(state) is tuple and len(state) in (8, 9) and state[0] in (3, 4) and state[1] in ("<", ">", "|", "=")
              and all(x is None for x in state[2:5]) and state[5:7] == (-1, -1) and state[7] in (0, inst.flags)
              and (len(state) == 8 or state[8] is None))
        if ok:
            return state
        raise pickle.UnpicklingError(f"refused numpy dtype state {brief(state)}")
    if type(state) is tuple and len(state) == 5 and state[0] == 1:
        state = state[1:]
    if type(state) is tuple and len(state) == 4:
        shape, dtype, fortran, raw = state
        shape = _ints(shape, "shape")
        if isinstance(dtype, np.dtype) and dtype.kind in NUMPY_KINDS and type(fortran) is bool \
                and type(raw) in (bytes, bytearray) and len(raw) == int(np.prod(shape, dtype=object)) * dtype.itemsize:
            return (1, shape, dtype, fortran, raw)
    raise pickle.UnpicklingError(f"refused numpy array state {brief(state)}")


def _global_refusal(module: str, name: str, data: bytes) -> str:
    msg = (f"Unsupported global: GLOBAL {module}.{name} was not an allowed global: ember.load only rebuilds tensors, "
           "parameters, containers, numbers, strings, dtypes, devices and numeric NumPy arrays, and never imports or "
           "calls anything else named by a file (weights_only=False does not change this).")
    if module.startswith("__torch__"):
        msg += (" This looks like a TorchScript archive (torch.jit.save): ember cannot run TorchScript; save the "
                "model's state_dict() with torch.save instead.")
    elif all(k in data for k in _MODULE_KEYS):
        msg += (" The file holds a whole pickled nn.Module (torch.save(model)): save model.state_dict() instead and "
                "load it with model.load_state_dict(ember.load(f)). " + RESAVE.replace("torch.save(torch.load(path, "
                "weights_only=False), path)", "torch.save(torch.load(path, weights_only=False).state_dict(), path)"))
    return msg


def _opcode_refusal(code: int, pos: int) -> str:
    names = {ord("i"): "INST", ord("o"): "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", ord("P"): "PERSID"}
    name = names.get(code)
    if name:
        return (f"pickle opcode {name} at byte {pos} is refused: it builds or finds objects by name outside the "
                "allowlist, and ember.load never runs code from a file")
    return f"unsupported pickle opcode {bytes([code])!r} at byte {pos} of data.pkl (corrupt or non-checkpoint pickle)"


def _pop(u: Unpickler, n: int) -> list:
    items = u.stack[len(u.stack) - n:] if n else []
    if len(items) != n:
        raise IndexError("stack underflow")
    del u.stack[len(u.stack) - n:]
    return items


def _op_tuple(u: Unpickler, items: list) -> None:
    u.push(u.nested(tuple(items), items))


def _op_setitems(u: Unpickler, items: list) -> None:
    if len(items) % 2:
        raise pickle.UnpicklingError("SETITEMS needs key/value pairs")
    d = u.target((dict, collections.OrderedDict, collections.Counter), "SETITEM")
    for i in range(0, len(items), 2):
        d[items[i]] = items[i + 1]
    u.nested(d, items)


def _op_new(u: Unpickler, container, items: list) -> None:
    u.push(container)
    if type(container) is dict:
        _op_setitems(u, items)
    else:
        _op_extend(u, items, type(container), "LIST")


def _op_extend(u: Unpickler, items: list, kind: type, op: str) -> None:
    target = u.target((kind,), op)
    (target.extend if kind is list else target.update)(items)
    u.nested(target, items)


def _op_memo_put(u: Unpickler, index: int) -> None:
    u.memo[index] = u.stack[-1]


def _op_text(u: Unpickler, fmt: str, kind=str) -> None:
    raw = u.take(u.unpack(fmt))
    if kind is not str:
        return u.push(kind(raw))
    try:
        u.push(raw.decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:
        raise pickle.UnpicklingError(f"invalid UTF-8 string near byte {u.pos} of data.pkl") from None


def _op_mark(u: Unpickler) -> None:
    u.marks.append(u.stack)
    u.stack = []


_OPS: dict[int, Callable] = {  # opcode -> handler; a handler returns True only for STOP
    0x80: lambda u: u.take(1) and None,  # PROTO
    0x95: lambda u: u.take(8) and None,  # FRAME
    ord("."): lambda u: True,  # STOP
    ord("("): _op_mark,  # MARK
    ord("0"): lambda u: _pop(u, 1) and None,  # POP
    ord("1"): lambda u: u.pop_mark() and None,  # POP_MARK
    ord("2"): lambda u: u.push(u.stack[-1]),  # DUP
    ord("N"): lambda u: u.push(None),
    0x88: lambda u: u.push(True),
    0x89: lambda u: u.push(False),
    ord("J"): lambda u: u.push(u.unpack("<i")),  # BININT
    ord("K"): lambda u: u.push(u.take(1)[0]),  # BININT1
    ord("M"): lambda u: u.push(u.unpack("<H")),  # BININT2
    0x8A: lambda u: u.push(pickle.decode_long(u.take(u.take(1)[0]))),  # LONG1
    0x8B: lambda u: u.push(pickle.decode_long(u.take(u.unpack("<i")))),  # LONG4
    ord("G"): lambda u: u.push(u.unpack(">d")),  # BINFLOAT
    ord("X"): lambda u: _op_text(u, "<I"),  # BINUNICODE
    0x8C: lambda u: _op_text(u, "<B"),  # SHORT_BINUNICODE
    0x8D: lambda u: _op_text(u, "<Q"),  # BINUNICODE8
    ord("T"): lambda u: _op_text(u, "<i"),  # BINSTRING (Python 2 str: torch.load decodes it as utf-8)
    ord("U"): lambda u: _op_text(u, "<B"),  # SHORT_BINSTRING
    ord("B"): lambda u: _op_text(u, "<I", bytes),  # BINBYTES
    ord("C"): lambda u: _op_text(u, "<B", bytes),  # SHORT_BINBYTES
    0x8E: lambda u: _op_text(u, "<Q", bytes),  # BINBYTES8
    0x96: lambda u: _op_text(u, "<Q", bytearray),  # BYTEARRAY8
    ord(")"): lambda u: _op_tuple(u, []),  # EMPTY_TUPLE
    ord("t"): lambda u: _op_tuple(u, u.pop_mark()),  # TUPLE
    0x85: lambda u: _op_tuple(u, _pop(u, 1)),  # TUPLE1
    0x86: lambda u: _op_tuple(u, _pop(u, 2)),  # TUPLE2
    0x87: lambda u: _op_tuple(u, _pop(u, 3)),  # TUPLE3
    ord("]"): lambda u: u.push([]),  # EMPTY_LIST
    ord("l"): lambda u: _op_new(u, [], u.pop_mark()),  # LIST
    ord("a"): lambda u: _op_extend(u, _pop(u, 1), list, "APPEND"),
    ord("e"): lambda u: _op_extend(u, u.pop_mark(), list, "APPENDS"),
    ord("}"): lambda u: u.push({}),  # EMPTY_DICT
    ord("d"): lambda u: _op_new(u, {}, u.pop_mark()),  # DICT
    ord("s"): lambda u: _op_setitems(u, _pop(u, 2)),  # SETITEM
    ord("u"): lambda u: _op_setitems(u, u.pop_mark()),  # SETITEMS
    0x8F: lambda u: u.push(set()),  # EMPTY_SET
    0x90: lambda u: _op_extend(u, u.pop_mark(), set, "ADDITEMS"),
    0x91: lambda u: (lambda items: u.push(u.nested(frozenset(items), items)))(u.pop_mark()),  # FROZENSET
    ord("h"): lambda u: u.push(u.memo[u.take(1)[0]]),  # BINGET
    ord("j"): lambda u: u.push(u.memo[u.unpack("<I")]),  # LONG_BINGET
    ord("q"): lambda u: _op_memo_put(u, u.take(1)[0]),  # BINPUT
    ord("r"): lambda u: _op_memo_put(u, u.unpack("<I")),  # LONG_BINPUT
    0x94: lambda u: _op_memo_put(u, len(u.memo)),  # MEMOIZE
    ord("c"): lambda u: u.global_(u.line(), u.line()),  # GLOBAL
    0x93: lambda u: u.global_(*_pop(u, 2)),  # STACK_GLOBAL
    ord("R"): lambda u: u.push(u.call(*_pop(u, 2))),  # REDUCE
    0x81: lambda u: u.push(u.call(*_pop(u, 2))),  # NEWOBJ
    0x92: lambda u: u.push(u.call(*_pop(u, 3))),  # NEWOBJ_EX
    ord("b"): lambda u: u.build(),  # BUILD
    ord("Q"): lambda u: u.persid(),  # BINPERSID
}
