"""ember.save / ember.load: PyTorch's zip checkpoint format, written and read without running code from the file.

A checkpoint is a zip archive (entries stored, data 64-byte aligned) under one folder ``<name>/``: ``data.pkl`` (a
pickle whose tensors refer to storages by persistent id), ``data/<key>`` (each storage's raw bytes), ``byteorder``,
``version`` and a few markers. ``save`` writes what ``torch.save`` writes, so ``torch.load(f, weights_only=True)`` reads
it; ``load`` reads both, with an unpickler that interprets the pickle itself and only ever calls ember's own
validating rebuild functions (NOTE [ Restricted unpickler ] in ember/_unpickle.py).
"""
from __future__ import annotations

import codecs
import collections
import io
import os
import pickle
import re
import secrets
import struct
import sys
import warnings
import zipfile
import zlib
from typing import Any, Callable

import numpy as np

from . import _dtype as D
from ._tensor import Size, Tensor
from ._unpickle import NUMPY_KINDS, RESAVE, STORAGE_OF, Marker, Storage, Unpickler, brief, recording
from .backends import device as _device
from .nn.parameter import Parameter

__all__ = ["save", "load"]

_ALIGN = 64


# ---------------------------------------------------------------------------------------------------------------
# save

class _Global:
    """A name the pickle refers to (``torch._utils._rebuild_tensor_v2``) without importing torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle insists that a reduce function is callable; it is never called here
        raise TypeError(f"{self.module}.{self.name} is a placeholder for pickling")


_G_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_G_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_G_SIZE = _Global("torch", "Size")
_G_DEVICE = _Global("torch", "device")
_G_ENCODE = _Global("_codecs", "encode")
_G_STORAGE = {d: _Global("torch", name) for d, name in STORAGE_OF.items()}
_NP_RECONSTRUCT = np.empty(0).__reduce__()[0]
_NP_SCALAR = np.float32(0).__reduce__()[0]
# the classes and functions that the reductions of the plain values below name: nothing else is written as a global
_SAVE_GLOBALS = (collections.OrderedDict, collections.Counter, set, complex, bytearray, codecs.encode, np.ndarray,
                 np.dtype, _NP_RECONSTRUCT, _NP_SCALAR)
_SAVE_PLAIN = {dict, list, tuple, str, int, float, bool, type(None), bytes, bytearray, complex, set,
               collections.OrderedDict, collections.Counter}


class _StorageRef:
    """One storage to write: a contiguous array whose bytes become ``data/<key>``."""

    __slots__ = ("key", "array", "dtype", "location")

    def __init__(self, key: str, array: np.ndarray, dtype: D.dtype, location: str):
        self.key, self.array, self.dtype, self.location = key, array, dtype, location


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, taught torch's spelling of tensors, dtypes, devices and sizes.

    Everything else it is given must be a container, number, string, bytes or NumPy value: the same things
    ``load`` (and ``torch.load(weights_only=True)``) reads back. Storages are shared the way NumPy shares memory, so a
    tensor and its views are written once, as torch does.
    """

    def __init__(self, file, protocol: int):
        super().__init__(file, protocol)
        self.storages: dict[int, _StorageRef] = {}
        self._keep: list = []  # owners of the ids in self.storages

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return ("storage", _G_STORAGE[obj.dtype], obj.key, obj.location, obj.array.size)
        return None

    def save_global(self, obj, name=None):
        if type(obj) is _Global or type(obj) is D.dtype:
            module, name = ("torch", obj.name) if type(obj) is D.dtype else (obj.module, obj.name)
            self.write(pickle.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)

    def reducer_override(self, obj):
        t = type(obj)
        if t in _SAVE_PLAIN:
            if t is bytes and not obj:  # pickle spells b"" as bytes(), a global torch.load refuses
                return (_G_ENCODE, ("", "latin1"))
            return NotImplemented
        if t is Tensor:
            return self._tensor(obj)
        if t is Parameter:
            data = Tensor._make(obj._data, obj._device)
            return (_G_PARAMETER, (data, obj._requires_grad, collections.OrderedDict()))
        if t is Size:
            return (_G_SIZE, (tuple(obj),))
        if t is D.dtype or t is _Global:
            return obj.name
        if t is _device:
            return (_G_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        if t is np.ndarray or isinstance(obj, (np.generic, np.dtype)):
            if (obj if isinstance(obj, np.dtype) else obj.dtype).kind in NUMPY_KINDS:
                return NotImplemented
        elif any(obj is g for g in _SAVE_GLOBALS):
            return NotImplemented
        raise TypeError(_save_refusal(obj))

    def _tensor(self, t: Tensor):
        ref, offset, stride = self._storage(t)
        return (_G_TENSOR, (ref, offset, tuple(t._data.shape), stride, t._requires_grad, collections.OrderedDict()))

    def _storage(self, t: Tensor):
        """(storage, offset, stride) of t: the memory its array views when torch could view it, else a copy."""
        a = t._data if t._device.type == "cpu" else t.numpy(force=True)
        location = "cpu" if t._device.type == "cpu" else f"{t._device.type}:{t._device.index or 0}"
        root = _root(a)
        item = a.itemsize
        if a.size and root.dtype == a.dtype and root.flags.c_contiguous:
            delta = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            if delta % item == 0 and all(s >= 0 and s % item == 0 for s in a.strides):
                offset, stride = delta // item, tuple(s // item for s in a.strides)
                last = offset + sum((n - 1) * s for n, s in zip(a.shape, stride))
                if offset >= 0 and last < root.size:
                    return self._ref(root, location), offset, stride
        root = np.ascontiguousarray(a)  # a NumPy-only layout (negative strides), or an empty tensor
        return self._ref(root, location), 0, Tensor._make(root).stride()

    def _ref(self, root: np.ndarray, location: str) -> _StorageRef:
        ref = self.storages.get(id(root))
        if ref is None:
            ref = self.storages[id(root)] = _StorageRef(str(len(self.storages)), root.reshape(-1),
                                                        D.from_np(root.dtype), location)
            self._keep.append(root)
        return ref


def _root(a: np.ndarray) -> np.ndarray:
    """The array that owns a's memory, seen through NumPy views and as_strided's wrapper."""
    while True:
        base = a.base
        if not isinstance(base, np.ndarray) and hasattr(base, "__array_interface__"):
            base = getattr(base, "base", None)  # np.lib.stride_tricks.as_strided's DummyArray
        if not isinstance(base, np.ndarray):
            return a
        a = base


def _save_refusal(obj) -> str:
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        return (f"ember.save writes tensors and containers of them, not a whole {type(obj).__name__} module: "
                "save model.state_dict() and load it with model.load_state_dict(ember.load(f)), as PyTorch recommends")
    if isinstance(obj, Tensor):
        return f"ember.save cannot write a {name}: only Tensor and nn.Parameter (convert with Tensor.detach())"
    return (f"ember.save cannot write an object of type {name}: checkpoints hold tensors, dicts, lists, tuples, "
            "numbers, strings, bytes, None, dtypes, devices, ember.Size and numeric NumPy arrays, which is what "
            "torch.load(weights_only=True) and ember.load read back")


def _zip_entry(out, pos: int, name: str, data, force_zip64: bool):
    """Write one stored entry at pos with its data 64-byte aligned; return (central record, new pos)."""
    view = memoryview(data).cast("B")
    size, crc, raw = view.nbytes, zlib.crc32(view), name.encode("utf-8")
    big = force_zip64 or size >= 0xFFFFFFFF or pos >= 0xFFFFFFFF
    z64 = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
    pad = -(pos + 30 + len(raw) + len(z64) + 4) % _ALIGN
    extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
    s32 = 0xFFFFFFFF if big else size
    version, flags = (45 if big else 20), (0x800 if not raw.isascii() else 0)
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags, 0, 0, 33, crc, s32, s32, len(raw), len(extra)))
    out.write(raw + extra)
    out.write(view)
    cz64 = struct.pack("<HHQQQ", 1, 24, size, size, pos) if big else b""
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, flags, 0, 0, 33, crc, s32, s32,
                          len(raw), len(cz64), 0, 0, 0, 0, 0xFFFFFFFF if big else pos) + raw + cz64
    return central, pos + 30 + len(raw) + len(extra) + size


def _write_zip(out, prefix: str, records: list, force_zip64: bool = False) -> None:
    """A zip archive of (name, bytes-like) records under prefix/, laid out as PyTorch's writer lays it out."""
    pos, central = 0, []
    for name, data in records:
        entry, pos = _zip_entry(out, pos, f"{prefix}/{name}", data, force_zip64)
        central.append(entry)
    cd = b"".join(central)
    n, start = len(central), pos
    if force_zip64 or n >= 0xFFFF or start + len(cd) >= 0xFFFFFFFF:
        end64 = start + len(cd)
        cd += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), start)
        cd += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
        cd += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        cd += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), start, 0)
    out.write(cd)


def save(obj: Any, f, pickle_protocol: int = 2, *, _force_zip64: bool = False) -> None:
    """Write obj to f in PyTorch's zip checkpoint format (torch.save); f is a path, a pathlib.Path or a binary file.

    Tensors of every ember dtype, nn.Parameter, views sharing memory (their storage is written once), dicts,
    OrderedDicts (with a state_dict's ``_metadata``), lists, tuples, sets, numbers, strings, bytes, None, dtypes,
    devices, ember.Size and numeric NumPy arrays/scalars; anything else (a whole nn.Module, an arbitrary object)
    raises TypeError instead of writing a file that ``torch.load(weights_only=True)`` and ``ember.load`` refuse.
    pickle_protocol 2 (torch's default) is the one torch.load(weights_only=True) reads; ember.load reads 2 to 5.
    A path is written to a temporary file in the same folder, then renamed over f: an interrupted save never leaves
    a truncated checkpoint in place of the previous one (a killed process may leave the temporary ``.<name>.*.tmp``).
    """
    if not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}, got {pickle_protocol}")
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    records = [("data.pkl", buf.getbuffer()), (".format_version", b"1"), (".storage_alignment", b"64"),
               ("byteorder", sys.byteorder.encode())]
    for ref in pickler.storages.values():
        records.append((f"data/{ref.key}", ref.array.view(np.uint8)))
    records += [("version", b"3\n"), (".data/serialization_id", f"{secrets.randbelow(10 ** 40):040d}".encode())]
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        prefix = os.path.splitext(os.path.basename(path))[0] or "archive"
        atomic_write(path, lambda out: _write_zip(out, prefix, records, _force_zip64))
    else:
        if not hasattr(f, "write"):
            raise TypeError(f"f must be a path or a binary file object with write(), got {type(f).__name__}")
        _write_zip(f, "archive", records, _force_zip64)


def atomic_write(path: str, write: Callable) -> None:
    """Call write(file) on a temporary file in path's folder, fsync it, and rename it over path (never half-written)."""
    folder, base = os.path.split(os.path.abspath(path))
    while True:
        tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
        try:  # O_EXCL: never reuse someone else's file; mode 0o666 keeps the umask's usual permissions
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------------------------------------------------------
# load: the archive

_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"  # pickle of torch's pre-1.6 magic number
_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_CHUNK = 1 << 20


class _Archive:
    """The members of a zip checkpoint, read with every size checked against the file before anything is allocated."""

    def __init__(self, fp):
        self.fp = fp
        fp.seek(0, os.SEEK_END)
        self.size = fp.tell()
        fp.seek(0)
        _sniff(fp.read(512))
        fp.seek(0)
        try:
            infos = zipfile.ZipFile(fp).infolist()
        except Exception as e:  # BadZipFile, struct.error, ValueError...: all mean a broken directory
            raise RuntimeError(f"PytorchStreamReader failed reading zip archive: {e} (the file is truncated or is not "
                               "a checkpoint)") from None
        names = [i.filename for i in infos]
        for i in infos:
            if not 0 <= i.header_offset <= self.size - 30 - len(i.filename) - i.compress_size:
                raise RuntimeError(f"corrupt checkpoint: the zip directory places {i.filename} ({i.compress_size} "
                                   f"bytes at offset {i.header_offset}) outside the {self.size}-byte file")
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise RuntimeError(f"corrupt checkpoint: the zip archive holds two members named {dup!r}")
        for n in names:
            if n.startswith(("/", "\\")) or "\\" in n or ".." in n.split("/") or re.match(r"[A-Za-z]:", n):
                raise RuntimeError(f"unsafe checkpoint: the zip member name {n!r} is an absolute path or leaves its "
                                   "folder ('..'); ember.load refuses archives with such names")
        self.members = dict(zip(names, infos))
        roots = [n[:-len("/data.pkl")] for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(roots) != 1:
            what = "no <name>/data.pkl" if not roots else f"several data.pkl records ({', '.join(roots)})"
            raise RuntimeError(f"not a PyTorch checkpoint: the zip archive has {what}")
        self.prefix = roots[0]

    def has(self, name: str) -> bool:
        return f"{self.prefix}/{name}" in self.members

    def read(self, name: str, dtype=np.uint8, nbytes: int | None = None, mmap_path: str | None = None) -> np.ndarray:
        """The member prefix/name as a 1-D array of dtype (its size must be nbytes when given)."""
        full = f"{self.prefix}/{name}"
        info = self.members.get(full)
        if info is None:
            raise RuntimeError(f"corrupt checkpoint: the pickle refers to {full}, which the archive lacks")
        if nbytes is not None and info.file_size != nbytes:
            raise RuntimeError(f"corrupt checkpoint: {full} holds {info.file_size} bytes but the pickle declares a "
                               f"storage of {nbytes} bytes")
        start = self._data_start(info)
        method = info.compress_type
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
            raise RuntimeError(f"unsupported checkpoint: {full} is encrypted or compressed with method {method} "
                               "(torch.save stores members uncompressed)")
        if method == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise RuntimeError(f"corrupt checkpoint: {full} is stored with {info.compress_size} bytes but declares "
                               f"{info.file_size}")
        if start + info.compress_size > self.size:
            raise RuntimeError(f"truncated checkpoint: {full} needs bytes {start}..{start + info.compress_size}, the "
                               f"file has {self.size}")
        item = np.dtype(dtype).itemsize
        if info.file_size % item:
            raise RuntimeError(f"corrupt checkpoint: {full} holds {info.file_size} bytes, not a multiple of {item}")
        count = info.file_size // item
        if mmap_path is not None:
            if method != zipfile.ZIP_STORED:
                raise RuntimeError(f"mmap=True needs uncompressed members, but {full} is compressed; load with "
                                   "mmap=False")
            return np.memmap(mmap_path, dtype=dtype, mode="c", offset=start, shape=(count,)) if count else \
                np.empty(0, dtype)
        out = np.empty(count, dtype)
        raw = out.view(np.uint8)
        if method == zipfile.ZIP_STORED:
            self.fp.seek(start)
            done = 0
            while done < raw.size:
                n = self.fp.readinto(raw[done:])
                if not n:
                    raise RuntimeError(f"truncated checkpoint: {full} ends after {done} of {raw.size} bytes")
                done += n
        else:
            self._inflate(full, start, info.compress_size, raw)
        if zlib.crc32(raw) != info.CRC:
            raise RuntimeError(f"corrupt checkpoint: CRC-32 mismatch in {full} (the file was damaged)")
        return out

    def _data_start(self, info) -> int:
        off = info.header_offset
        if not 0 <= off <= self.size - 30:
            raise RuntimeError(f"corrupt checkpoint: {info.filename} has a local header offset {off} outside the file")
        self.fp.seek(off)
        head = self.fp.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise RuntimeError(f"corrupt checkpoint: no local header for {info.filename} at offset {off}")
        n, e = struct.unpack("<HH", head[26:30])
        return off + 30 + n + e

    def _inflate(self, full: str, start: int, left: int, raw: np.ndarray) -> None:
        """Decompress a deflated member into raw, never past raw's size (a zip bomb stops there)."""
        d, done, tail = zlib.decompressobj(-15), 0, b""
        self.fp.seek(start)
        while not d.eof:
            if not tail:
                tail = self.fp.read(min(left, _CHUNK))
                left -= len(tail)
                if not tail:
                    raise RuntimeError(f"truncated checkpoint: the compressed data of {full} ends early")
            try:
                piece = d.decompress(tail, raw.size - done + 1)
            except zlib.error as e:
                raise RuntimeError(f"corrupt checkpoint: {full} does not decompress ({e})") from None
            tail = d.unconsumed_tail
            if done + len(piece) > raw.size:
                raise RuntimeError(f"corrupt checkpoint: {full} decompresses past its declared {raw.size} bytes "
                                   "(a zip bomb?)")
            raw[done:done + len(piece)] = np.frombuffer(piece, np.uint8)
            done += len(piece)
        if done != raw.size:
            raise RuntimeError(f"corrupt checkpoint: {full} decompresses to {done} of its declared {raw.size} bytes")


def _sniff(head: bytes) -> None:
    """Refuse, with the reason, the files that are not zip checkpoints but look like something torch wrote."""
    if not head:
        raise RuntimeError("cannot load an empty file as a checkpoint")
    if head.startswith(b"PK"):
        return
    if head[257:262] == b"ustar":
        raise RuntimeError("this checkpoint is in PyTorch's legacy tar format (PyTorch < 0.4), which ember.load does "
                           f"not read. {RESAVE}")
    if head.startswith(_LEGACY_MAGIC):
        raise RuntimeError("this checkpoint is in PyTorch's legacy (pre-1.6, _use_new_zipfile_serialization=False) "
                           f"format, a bare pickle stream that ember.load does not read. {RESAVE}")
    if head[:1] == b"\x80":
        raise RuntimeError("this file is a raw pickle, not a PyTorch zip checkpoint; ember.load reads only "
                           f"torch.save's zip format. {RESAVE}")


# ---------------------------------------------------------------------------------------------------------------
# load

class _Loader:
    """Reads the storages data.pkl refers to, once per key, onto the device map_location picks."""

    def __init__(self, archive: _Archive, map_location, mmap_path: str | None):
        self.archive, self.map_location, self.mmap_path = archive, map_location, mmap_path
        self.storages: dict[str, Storage] = {}
        self.moved: set[str] = set()
        order = archive.read("byteorder").tobytes() if archive.has("byteorder") else b"little"
        if order not in (b"little", b"big"):
            raise RuntimeError(f"corrupt checkpoint: byteorder record {order[:20]!r} is neither 'little' nor 'big'")
        self.swap = order.decode() != sys.byteorder

    def __call__(self, pid) -> Storage:
        if type(pid) is not tuple or len(pid) != 5:
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, got {brief(pid)}")
        tag, kind, key, location, numel = pid
        if tag not in ("storage", b"storage") or type(kind) is not Marker or (kind.np is None and not kind.error):
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, got {brief(pid)}")
        if kind.error:
            raise RuntimeError(kind.error)
        if type(key) is not str or not _KEY.fullmatch(key) or type(location) is not str or len(location) > 64 \
                or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"malformed storage id {brief(pid)}: the key must be a plain record name")
        nbytes = numel * kind.np.itemsize
        storage = self.storages.get(key)
        if storage is None:
            arr = self.archive.read(f"data/{key}", kind.np, nbytes, self.mmap_path)
            if self.swap and arr.itemsize > 1:
                arr.byteswap(inplace=True)
            self._place(arr, location)
            storage = self.storages[key] = Storage(arr, key, self.swap)
        elif storage.array.nbytes != nbytes:
            raise RuntimeError(f"corrupt checkpoint: storage {key} is declared with {nbytes} and "
                               f"{storage.array.nbytes} bytes")
        if storage.array.dtype != kind.np:
            return Storage(storage.array.view(np.uint8).view(kind.np), key, self.swap)
        return storage

    def _place(self, arr: np.ndarray, location: str) -> None:
        """Decide where a storage saved at location goes; only the CPU exists until ember's CUDA backend lands."""
        ml, target, explicit = self.map_location, location, True
        if ml is None:
            explicit = False
        elif isinstance(ml, dict):
            explicit = location in ml
            target = str(ml.get(location, location))
        elif callable(ml):
            moved = ml(Tensor._make(arr.view(np.uint8)), location)
            if moved is not None and not isinstance(moved, Tensor):
                raise TypeError(f"map_location callable must return a tensor or None, got {type(moved).__name__}")
            explicit = moved is not None
            target = location if moved is None else str(moved.device)
        else:
            target = str(ml)
        try:
            dev = _device(target)
        except RuntimeError:
            if explicit:
                raise
            dev = None
        if dev is not None and dev.type == "cpu":
            return
        from . import cuda
        if explicit or cuda.is_available():  # an explicit request for a missing device raises, with the reason
            raise RuntimeError(f"ember.load(map_location={target!r}): ember can place checkpoints on the CPU only "
                               f"for now ({cuda.unavailable_reason()}); pass map_location='cpu'")
        self.moved.add(location)


def load(f, map_location=None, weights_only: bool | None = True, mmap: bool | None = False) -> Any:
    """Read a checkpoint written by torch.save or ember.save (torch.load), never running code from the file.

    f is a path, a pathlib.Path or a binary file object. Tensors come back as ember Tensors on the CPU (nn.Parameter
    where one was saved); tensors that shared a storage still share memory (as NumPy views, so storage_offset() reads
    0 and each has its own version counter); NumPy arrays and scalars come back as NumPy values.

    Differences from torch.load, on purpose:
    - The pickle is interpreted against an allowlist (tensors, parameters, dicts, OrderedDicts with ``_metadata``,
      lists, tuples, sets, Counter, numbers, strings, bytes, torch.Size, dtypes, devices, numeric NumPy arrays).
      Anything else raises pickle.UnpicklingError naming the global or opcode it refused. ``weights_only=False`` is
      accepted for compatibility but changes nothing: ember.load never runs code from a file.
    - Legacy (pre-1.6 or tar) checkpoints, raw pickles and whole pickled nn.Modules are refused with what to do instead.
    - float8 tensors load as float32, uint16 as int32, uint32 and uint64 as int64 (exact; a UserWarning says so,
      and uint64 values above int64's maximum raise RuntimeError); complex and quantized tensors raise RuntimeError.
    - map_location is None, 'cpu', a device, a dict {saved location: location} or a callable (storage, location)
      returning None or a tensor whose device is used (the storage passed is a uint8 ember Tensor). Until ember has a
      CUDA backend, storages saved on CUDA (or another device) load on the CPU with a UserWarning, and an explicit
      map_location to CUDA raises RuntimeError.
    - mmap=True maps each storage copy-on-write from the file (f must be a path, members uncompressed); CRCs are
      checked only without mmap.
    A file that is not a zip checkpoint, is truncated or damaged (CRC), declares sizes that disagree with its data,
    names members with '..' or absolute paths, holds duplicate names, or decompresses past its declared size raises
    RuntimeError; a pickle that is malformed or nests containers deeper than 1000 levels raises UnpicklingError.
    """
    del weights_only  # every load is restricted (see above)
    if mmap:
        if not isinstance(f, (str, os.PathLike)):
            raise ValueError("f must be a file path in order to use the mmap argument")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fp:
            return _load(fp, map_location, os.fspath(f) if mmap else None)
    if not hasattr(f, "read"):
        raise TypeError(f"f must be a path or a binary file object with read(), got {type(f).__name__}")
    if not (hasattr(f, "seek") and hasattr(f, "readinto") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load(f, map_location, None)


def _load(fp, map_location, mmap_path: str | None):
    archive = _Archive(fp)
    loader = _Loader(archive, map_location, mmap_path)
    data = archive.read("data.pkl").tobytes()
    with recording() as messages:
        result = Unpickler(data, loader).load()
    if loader.moved:
        from . import cuda
        messages[f"ember.load: storages saved on {', '.join(sorted(loader.moved))} were loaded on the CPU "
                 f"({cuda.unavailable_reason()}); pass map_location='cpu' to say so and silence this warning"] = None
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=3)
    return result
