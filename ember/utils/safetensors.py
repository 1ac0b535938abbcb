"""safetensors files for ember tensors (the ``safetensors.torch`` API), written without the ``safetensors`` package.

Usage::

    from ember.utils.safetensors import save_file, load_file, safe_open
    save_file({"weight": w, "bias": b}, "model.safetensors", metadata={"format": "pt"})
    state = load_file("model.safetensors")                    # {name: ember.Tensor}, in file order
    with safe_open("model.safetensors", framework="pt") as f:  # reads only what you ask for
        f.keys(), f.metadata(), f.get_tensor("weight"), f.get_slice("weight")[0:2, ...]

The format: 8 bytes little-endian header length N, N bytes of UTF-8 JSON
``{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}}`` padded with
spaces to a multiple of 8, then the tensors' bytes, C order, little-endian. Files are byte-identical to
``safetensors.torch.save_file`` for the same tensors (tensors sorted by dtype alignment, then name) when the metadata
has at most one key; with more keys the package writes them in hash order and ember in insertion order.

Differences from the ``safetensors`` package, on purpose:

- Values may also be NumPy arrays, which is how to write dtypes ember has no tensor type for: float8
  (``ml_dtypes.float8_e4m3fn`` -> ``F8_E4M3``, ``float8_e5m2`` -> ``F8_E5M2``, and the ``fnuz``/``e8m0`` kinds),
  uint16/32/64 and complex64.
- Loading float8 tensors as ember tensors returns float32 (exact: every float8 value is a float32). Open with
  ``framework="np"`` to get the float8 NumPy arrays themselves. U16/U32/U64/C64 tensors only load with
  ``framework="np"``; F4/F6 tensors (packed sub-byte) do not load at all.
- Every malformed file raises :class:`SafetensorError` (a ValueError) naming the problem: header length past the
  end of the file or above 100 MB, header that is not UTF-8 JSON, duplicate keys, unknown dtypes, shapes that do
  not match the byte ranges, and byte ranges that overlap, leave gaps or do not end where the file does. Nothing is
  allocated from a size the file claims before it is checked against the file's real size.
- BOOL bytes other than 0/1 load as True rather than as invalid bools.
- ``save_file`` writes a temporary file in the same folder and renames it over ``filename``.

As in ``safetensors.torch``, saving refuses tensors that share memory (RuntimeError; save ``t.clone()``) and
non-contiguous tensors (ValueError; save ``t.contiguous()``).
"""
from __future__ import annotations

import json
import operator
import os
import sys
import threading
from typing import Any

import ml_dtypes
import numpy as np

from .._tensor import Tensor
from ..backends import to_device
from ..serialization import atomic_write

__all__ = ["SafetensorError", "save", "save_file", "load", "load_file", "safe_open"]

MAX_HEADER_SIZE = 100_000_000  # the safetensors package's limit
_U64 = 2 ** 64
_LITTLE = sys.byteorder == "little"


class SafetensorError(ValueError):
    """A file or byte string that is not a valid safetensors file, or a request it cannot serve."""


# code: (bits per element, NumPy dtype or None). Order is the package's Dtype enum, which sorts tensors on save.
_DTYPES: dict[str, tuple[int, Any]] = {
    "BOOL": (8, np.bool_), "F4": (4, None), "F6_E2M3": (6, None), "F6_E3M2": (6, None),
    "U8": (8, np.uint8), "I8": (8, np.int8),
    "F8_E5M2": (8, ml_dtypes.float8_e5m2), "F8_E4M3": (8, ml_dtypes.float8_e4m3fn),
    "F8_E8M0": (8, ml_dtypes.float8_e8m0fnu), "F8_E4M3FNUZ": (8, ml_dtypes.float8_e4m3fnuz),
    "F8_E5M2FNUZ": (8, ml_dtypes.float8_e5m2fnuz),
    "I16": (16, np.int16), "U16": (16, np.uint16), "F16": (16, np.float16), "BF16": (16, ml_dtypes.bfloat16),
    "I32": (32, np.int32), "U32": (32, np.uint32), "F32": (32, np.float32), "C64": (64, np.complex64),
    "F64": (64, np.float64), "I64": (64, np.int64), "U64": (64, np.uint64),
}
_RANK = {code: i for i, code in enumerate(_DTYPES)}
_CODE_OF_NP = {np.dtype(t): code for code, (_, t) in _DTYPES.items() if t is not None}
_FLOAT8 = {"F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ"}
_EMBER_CODES = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "BF16", "F32", "F64"}
_FRAMEWORKS = {"pt": "ember", "torch": "ember", "pytorch": "ember", "ember": "ember", "np": "np", "numpy": "np"}


# ---------------------------------------------------------------------------------------------------------------
# Writing

def save(tensors: dict, metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors file for ``tensors`` as bytes (safetensors.torch.save)."""
    return b"".join(_serialize(tensors, metadata))


def save_file(tensors: dict, filename: str | os.PathLike, metadata: dict[str, str] | None = None) -> None:
    """Write ``tensors`` ({name: ember.Tensor or np.ndarray}) to a safetensors file (safetensors.torch.save_file).

    The file is written under a temporary name in the same folder and renamed, so an interrupted save leaves any
    previous file in place.
    """
    chunks = _serialize(tensors, metadata)
    atomic_write(os.fspath(filename), lambda f: [f.write(chunk) for chunk in chunks])


def _serialize(tensors: dict, metadata: dict | None) -> list:
    """The file as a list of buffers: length, header, then each tensor's bytes in file order."""
    arrays = _check_tensors(tensors)
    _check_metadata(metadata)
    order = sorted(arrays, key=lambda name: (-_RANK[arrays[name][0]], name))
    header: dict[str, Any] = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name in order:
        code, arr = arrays[name]
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    if len(text) > MAX_HEADER_SIZE:
        raise SafetensorError(f"the header would be {len(text)} bytes, more than the {MAX_HEADER_SIZE} readers accept")
    chunks = [len(text).to_bytes(8, "little"), text]
    for name in order:
        arr = arrays[name][1].reshape(-1)
        chunks.append((arr if _LITTLE else arr.byteswap()).view(np.uint8))
    return chunks


def _check_tensors(tensors) -> dict[str, tuple[str, np.ndarray]]:
    """{name: (dtype code, host array)} after the package's checks: dict of str -> dense, contiguous, unshared."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, ember.Tensor] but received {type(tensors)}")
    out, spans = {}, []
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {type(name).__name__} ({name!r})")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved for the header's metadata; rename the tensor")
        if isinstance(value, Tensor):
            arr, device = value._data, str(value.device)
        elif isinstance(value, np.ndarray):
            arr, device = value, "cpu"
        else:
            raise ValueError(f"Key `{name}` is invalid, expected ember.Tensor or np.ndarray but received {type(value)}")
        if not arr.flags.c_contiguous:
            raise ValueError(f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. Call "
                             "`.contiguous()` on it before saving, or save the full tensor and slice at load time.")
        if arr.nbytes:
            start = _address(arr)
            spans.append((device, start, start + arr.nbytes, name))
        host = arr if isinstance(arr, np.ndarray) else value.numpy(force=True)
        if not host.dtype.isnative:
            host = host.astype(host.dtype.newbyteorder("="))
        code = _CODE_OF_NP.get(host.dtype)
        if code is None:
            raise ValueError(f"tensor `{name}` has dtype {host.dtype}, which safetensors cannot store")
        out[name] = (code, host)
    _check_unshared(spans)
    return out


def _address(arr) -> int:
    iface = getattr(arr, "__array_interface__", None) or arr.__cuda_array_interface__
    return iface["data"][0]


def _check_unshared(spans: list) -> None:
    """RuntimeError when two tensors' bytes overlap (the package's shared-tensor check, done on byte ranges)."""
    spans.sort()
    shared = []
    for (dev_a, _, stop_a, name_a), (dev_b, start_b, _, name_b) in zip(spans, spans[1:]):
        if dev_a == dev_b and start_b < stop_a:
            shared.append({name_a, name_b})
    if shared:
        raise RuntimeError(f"Some tensors share memory, this will lead to duplicate memory on disk and potential "
                           f"differences when loading them again: {shared}. Save a copy instead (`t.clone()`), or "
                           "save one of them and rebuild the others after loading.")


def _check_metadata(metadata) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise TypeError(f"argument 'metadata': '{type(metadata).__name__}' object is not an instance of 'dict'")
    for key, value in metadata.items():
        for item in (key, value):
            if not isinstance(item, str):
                raise TypeError(f"argument 'metadata': '{type(item).__name__}' object is not an instance of 'str'")


# ---------------------------------------------------------------------------------------------------------------
# Reading

def load_file(filename: str | os.PathLike, device="cpu") -> dict[str, Tensor]:
    """Every tensor of a safetensors file, in file order (safetensors.torch.load_file)."""
    with safe_open(filename, framework="pt", device=device) as f:
        return f.get_tensors()


def load(data: bytes) -> dict[str, Tensor]:
    """Every tensor of a safetensors file held in memory, as CPU tensors (safetensors.torch.load)."""
    view = memoryview(data).cast("B")
    if len(view) < 8:
        raise SafetensorError(f"header too small: the data is {len(view)} bytes, less than the 8-byte header length")
    size = int.from_bytes(view[:8], "little")
    _check_header_size(size, len(view))
    header = _Header(bytes(view[8:8 + size]), len(view) - 8 - size)
    start, out = 8 + size, {}
    for name, e in header.by_offset():
        _check_loadable(e.dtype, "ember", name)
        raw = np.frombuffer(view[start + e.begin:start + e.end], np.uint8).copy()
        out[name] = Tensor._make(_convert(raw, e, "ember"))
    return out


class safe_open:
    """A safetensors file opened for lazy reading (safetensors.safe_open); use it as a context manager.

    ``framework`` "pt" (or "ember") gives ember Tensors on ``device``; "np" gives NumPy arrays in the file's own
    dtype (float8 included). The header is read and validated here; tensors are read when asked for.
    """

    def __init__(self, filename: str | os.PathLike, framework: str = "pt", device="cpu"):
        if framework not in _FRAMEWORKS:
            raise SafetensorError(f"framework {framework} is invalid; use 'pt' (ember tensors) or 'np'")
        self._framework = _FRAMEWORKS[framework]
        self._device = to_device(device)
        self._name = os.fspath(filename)
        self._file = open(self._name, "rb", buffering=0)  # unbuffered: reads see the file as it is now
        self._lock = threading.Lock()
        try:
            total = os.fstat(self._file.fileno()).st_size
            if total < 8:
                raise SafetensorError(f"header too small: {self._name} is {total} bytes, less than the 8-byte "
                                      "header length")
            size = int.from_bytes(self._read_at(0, 8), "little")
            _check_header_size(size, total)
            self._start = 8 + size
            self._header = _Header(self._read_at(8, size).tobytes(), total - self._start)
        except SafetensorError as e:
            self._file.close()
            raise SafetensorError(f"{self._name}: {e}") from None
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> "safe_open":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def keys(self) -> list[str]:
        """The tensor names, sorted."""
        return sorted(self._header.entries)

    def offset_keys(self) -> list[str]:
        """The tensor names in the order of their bytes in the file."""
        return [name for name, _ in self._header.by_offset()]

    def metadata(self) -> dict[str, str] | None:
        """The header's ``__metadata__`` ({str: str}), or None when it has none."""
        md = self._header.metadata
        return None if md is None else dict(md)

    def get_tensor(self, name: str):
        """One whole tensor."""
        e = self._entry(name)
        _check_loadable(e.dtype, self._framework, name)
        return self._wrap(_convert(self._read(e.begin, e.end), e, self._framework))

    def get_tensors(self) -> dict:
        """Every tensor, in file order."""
        return {name: self.get_tensor(name) for name in self.offset_keys()}

    def get_slice(self, name: str) -> "_Slice":
        """An object to index into; ``f.get_slice(name)[0:2, ..., 1]`` reads only the bytes the index covers."""
        return _Slice(self, name, self._entry(name))

    def _entry(self, name: str) -> "_Entry":
        entry = self._header.entries.get(name)
        if entry is None:
            raise SafetensorError(f"File does not contain tensor {name}")
        return entry

    def _read(self, begin: int, end: int) -> np.ndarray:
        """Bytes [begin, end) of the data section, as a new uint8 array."""
        return self._read_at(self._start + begin, end - begin)

    def _read_at(self, position: int, size: int) -> np.ndarray:
        buf = np.empty(size, np.uint8)
        view, got = memoryview(buf), 0
        with self._lock:
            if self._file.closed:
                raise SafetensorError(f"{self._name} is closed")
            self._file.seek(position)
            while got < size:  # one read returns at most ~2 GiB on Linux
                n = self._file.readinto(view[got:])
                if not n:
                    raise SafetensorError(f"{self._name} was truncated after it was opened")
                got += n
        return buf

    def _wrap(self, arr: np.ndarray):
        if self._framework == "np":
            return arr
        if self._device.type != "cpu":
            arr = self._device.xp.asarray(arr)
        return Tensor._make(arr, self._device)


class _Slice:
    """A tensor of an open file, read when indexed (safetensors' PySafeSlice)."""

    def __init__(self, file: safe_open, name: str, entry: "_Entry"):
        self._file, self._name, self._entry = file, name, entry

    def get_shape(self) -> list[int]:
        return list(self._entry.shape)

    def get_dtype(self) -> str:
        return self._entry.dtype

    def __getitem__(self, index):
        """Basic indexing (ints, slices with positive step, ``...``, None) reads the smallest byte range holding
        the selection; any other index reads the whole tensor and indexes it."""
        e, f = self._entry, self._file
        _check_loadable(e.dtype, f._framework, self._name)
        plan = _basic_plan(e.shape, _DTYPES[e.dtype][0] // 8, index)
        if plan is None:
            return f.get_tensor(self._name)[index]
        offset, shape, strides = plan
        item = np.dtype(f"V{_DTYPES[e.dtype][0] // 8}")  # raw elements: the selection is gathered before decoding
        if 0 in shape:
            flat = np.empty(0, item)
        else:
            end = offset + sum((n - 1) * s for n, s in zip(shape, strides)) + item.itemsize
            flat = f._read(e.begin + offset, e.begin + end).view(item)
        raw = np.ascontiguousarray(np.lib.stride_tricks.as_strided(flat, shape, strides)).reshape(-1).view(np.uint8)
        return f._wrap(_convert(raw, _Entry(e.dtype, shape, 0, raw.nbytes), f._framework))


def _basic_plan(shape: tuple, itemsize: int, index):
    """(byte offset, shape, byte strides) of a basic index into a C-contiguous array, or None if it is not basic."""
    items = []
    for item in index if isinstance(index, tuple) else (index,):
        if item is None or item is Ellipsis:
            items.append(item)
        elif isinstance(item, slice):
            if item.step is not None and operator.index(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            items.append(item)
        elif isinstance(item, (bool, np.bool_)) or (
                isinstance(item, Tensor) and (item.ndim or item.dtype.is_floating_point or item.dtype.name == "bool")):
            return None  # a mask or an index tensor: advanced indexing, done on the whole tensor
        else:
            try:
                items.append(operator.index(item))
            except TypeError:
                return None
    if not any(item is Ellipsis for item in items):
        items.append(Ellipsis)  # keeps a 0-d result a view: NumPy would read an element for a full integer index
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.insert(0, step)
        step *= n
    # A view with the file tensor's byte strides over one byte: NumPy does the index arithmetic, nothing is read.
    fake = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape, strides, writeable=False)
    view = fake[tuple(items)]
    return _address(view) - _address(fake), view.shape, view.strides


def _check_loadable(dtype: str, framework: str, name: str) -> None:
    if _DTYPES[dtype][1] is None:
        raise SafetensorError(f"tensor `{name}` has dtype {dtype}, which ember cannot load")
    if framework == "ember" and dtype not in _EMBER_CODES and dtype not in _FLOAT8:
        raise SafetensorError(f"tensor `{name}` has dtype {dtype}, which ember has no tensor type for; open the "
                              "file with safe_open(..., framework='np') to get it as a NumPy array")


def _convert(raw: np.ndarray, e: "_Entry", framework: str) -> np.ndarray:
    """The tensor's values from its raw little-endian bytes (a uint8 array), in the dtype ``framework`` gets."""
    if e.dtype == "BOOL":
        return (raw != 0).reshape(e.shape)
    arr = raw.view(_DTYPES[e.dtype][1])
    if not _LITTLE:
        arr = arr.byteswap()
    arr = arr.reshape(e.shape)
    return arr.astype(np.float32) if framework == "ember" and e.dtype in _FLOAT8 else arr


# ---------------------------------------------------------------------------------------------------------------
# Header parsing and validation

class _Entry:
    __slots__ = ("dtype", "shape", "begin", "end")

    def __init__(self, dtype: str, shape: tuple, begin: int, end: int):
        self.dtype, self.shape, self.begin, self.end = dtype, shape, begin, end


def _check_header_size(size: int, total: int) -> None:
    if size > MAX_HEADER_SIZE:
        raise SafetensorError(f"header too large: {size} bytes claimed, the limit is {MAX_HEADER_SIZE}")
    if 8 + size > total:
        raise SafetensorError(f"invalid header length: {size} bytes claimed, but only {total - 8} follow")


class _Header:
    """The parsed, validated header: ``entries`` {name: _Entry} and ``metadata`` ({str: str} or None)."""

    def __init__(self, text: bytes, data_size: int):
        try:
            obj = json.loads(text.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        except SafetensorError:
            raise
        except UnicodeDecodeError as e:
            raise SafetensorError(f"invalid UTF-8 in header: {e}") from None
        except (ValueError, RecursionError) as e:
            raise SafetensorError(f"invalid JSON in header: {e}") from None
        if not isinstance(obj, dict):
            raise SafetensorError(f"the header must be a JSON object, got {type(obj).__name__}")
        self.metadata = obj.pop("__metadata__", None)
        if self.metadata is not None and not (isinstance(self.metadata, dict)
                                              and all(isinstance(v, str) for v in self.metadata.values())):
            raise SafetensorError("__metadata__ must be an object of strings")
        self.entries = {name: _parse_entry(name, info) for name, info in obj.items()}
        end = 0
        for name, e in self.by_offset():
            if e.begin != end or e.end < e.begin:
                raise SafetensorError(f"invalid offset for tensor `{name}`: bytes [{e.begin}, {e.end}) do not start "
                                      f"where the previous tensor ends ({end}); tensors must cover the data exactly")
            end = e.end
        if end != data_size:
            raise SafetensorError(f"incomplete metadata, file not fully covered: tensors end at byte {end} of the data "
                                  f"section, which has {data_size} bytes")

    def by_offset(self) -> list[tuple[str, _Entry]]:
        return sorted(self.entries.items(), key=lambda kv: (kv[1].begin, kv[1].end))


def _no_duplicates(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise SafetensorError(f"duplicate key {dup!r} in header")
    return out


def _no_constant(name: str):
    raise SafetensorError(f"invalid JSON in header: {name} is not a number in JSON")


def _uint(value, what: str, name: str) -> int:
    if type(value) is not int or not 0 <= value < _U64:
        raise SafetensorError(f"tensor `{name}`: {what} must hold integers in [0, 2**64), got {value!r}")
    return value


def _parse_entry(name: str, info) -> _Entry:
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise SafetensorError(f"tensor `{name}` must be an object with dtype, shape and data_offsets, "
                              f"got {info!r}"[:300])
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise SafetensorError(f"tensor `{name}` has unknown dtype {dtype!r}; known: {', '.join(_DTYPES)}"[:300])
    if not isinstance(shape, list) or not isinstance(offsets, list) or len(offsets) != 2:
        raise SafetensorError(f"tensor `{name}`: shape must be a list and data_offsets a list of two integers")
    numel = 1
    for n in shape:
        numel *= _uint(n, "shape", name)
        if numel >= _U64:
            raise SafetensorError(f"tensor `{name}`: overflow computing the size of shape {shape}"[:300])
    begin, end = (_uint(o, "data_offsets", name) for o in offsets)
    bits = numel * _DTYPES[dtype][0]
    if bits % 8 or end - begin != bits // 8:
        raise SafetensorError(f"tensor `{name}`: shape {shape} of {dtype} needs {bits / 8:g} bytes, but data_offsets "
                              f"[{begin}, {end}] hold {end - begin}")
    return _Entry(dtype, tuple(shape), begin, end)
