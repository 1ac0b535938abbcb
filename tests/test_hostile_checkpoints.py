"""ember.load on hostile and damaged files: each is refused with the documented exception and nothing in it runs.

Documented: pickle.UnpicklingError for anything data.pkl asks for beyond the allowlist or for a malformed pickle;
RuntimeError for the archive (not a zip, legacy formats, truncation, CRC, forged sizes, unsafe or duplicate names,
zip bombs) and for storages a tensor cannot validly view. Every payload tries to create a marker file: the tests
assert that it never appears, and test_payloads_are_live shows that plain pickle would have created it.
"""
import io
import pickle
import struct
import tarfile
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
import torch

import ember

UE, RE = pickle.UnpicklingError, RuntimeError


# -- pickle building blocks ------------------------------------------------------------------------------------
def s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def g(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module: str, name: str) -> bytes:  # protocol 4 STACK_GLOBAL
    return b"\x8c" + bytes([len(module)]) + module.encode() + b"\x8c" + bytes([len(name)]) + name.encode() + b"\x93"


def i(n: int) -> bytes:
    if -(1 << 31) <= n < 1 << 31:
        return b"J" + struct.pack("<i", n)
    raw = pickle.encode_long(n)
    return b"\x8a" + bytes([len(raw)]) + raw


def tup(*parts: bytes) -> bytes:
    return b"(" + b"".join(parts) + b"t"


def pkl(body: bytes, proto: int = 2) -> bytes:
    return b"\x80" + bytes([proto]) + body + b"."


def storage(key="0", kind="FloatStorage", numel=4, location="cpu") -> bytes:
    return tup(s("storage"), g("torch", kind), s(key), s(location), i(numel)) + b"Q"


def tensor(stor: bytes, offset: int, size: tuple, stride: tuple) -> bytes:
    return g("torch._utils", "_rebuild_tensor_v2") + tup(
        stor, i(offset), tup(*map(i, size)), tup(*map(i, stride)), b"\x89", g("collections", "OrderedDict") + b")R"
    ) + b"R"


# -- archive building blocks -----------------------------------------------------------------------------------
def raw_zip(entries) -> bytes:
    """A zip from (name, data, method, declared_size, crc) with sizes and CRCs as given (None: the true ones)."""
    out, central = io.BytesIO(), []
    for name, data, method, declared, crc in entries:
        body = zlib.compress(data)[2:-4] if method == 8 else data
        size = len(data) if declared is None else declared
        crc = zlib.crc32(data) if crc is None else crc
        raw, offset = name.encode(), out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 33, crc, len(body), size, len(raw), 0))
        out.write(raw + body)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 33, crc, len(body), size,
                                   len(raw), 0, 0, 0, 0, 0, offset) + raw)
    cd = b"".join(central)
    start = out.tell()
    out.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd), start, 0))
    return out.getvalue()


def checkpoint(data_pkl: bytes, records=None, prefix="archive") -> bytes:
    entries = [(f"{prefix}/data.pkl", data_pkl, 0, None, None)]
    entries += [(f"{prefix}/{k}", v, 0, None, None) for k, v in (records or {}).items()]
    return raw_zip(entries)


FLOATS4 = {"data/0": np.arange(4, dtype=np.float32).tobytes()}


# -- the corpus ------------------------------------------------------------------------------------------------
def payloads(marker: str):
    """name -> (checkpoint bytes, exception, message pattern). Every code path here would create marker."""
    touch = f"touch {marker}"
    py = f"open({marker!r}, 'w').close()"
    call = lambda fn, *args: fn + tup(*args) + b"R"  # noqa: E731
    ok = lambda body, proto=2, **kw: checkpoint(pkl(body, proto), **kw)  # noqa: E731
    od = g("collections", "OrderedDict") + b")R"
    cases = {
        "os.system": (ok(call(g("os", "system"), s(touch))), UE, "GLOBAL os.system"),
        "posix.system": (ok(call(g("posix", "system"), s(touch))), UE, "posix.system"),
        "nt.system": (ok(call(g("nt", "system"), s(touch))), UE, "nt.system"),
        "stack_global_os.system": (ok(call(sg("os", "system"), s(touch)), proto=4), UE, "os.system"),
        "subprocess.Popen": (ok(call(g("subprocess", "Popen"), b"]" + s("touch") + b"a" + s(marker) + b"a")), UE,
                             "subprocess.Popen"),
        "subprocess.check_call": (ok(call(g("subprocess", "check_call"), s(touch))), UE, "subprocess"),
        "builtins.eval": (ok(call(g("builtins", "eval"), s(py))), UE, "builtins.eval"),
        "builtins.exec": (ok(call(g("builtins", "exec"), s(py))), UE, "builtins.exec"),
        "__builtin__.eval": (ok(call(g("__builtin__", "eval"), s(py))), UE, "builtins.eval"),
        "__import__os": (ok(call(call(g("builtins", "getattr"), call(g("builtins", "__import__"), s("os")),
                                      s("system")), s(touch))), UE, "builtins"),
        "getattr_chain_from_allowed": (ok(call(g("builtins", "getattr"), g("collections", "OrderedDict"),
                                               s("__init_subclass__"))), UE, "builtins.getattr"),
        "dotted_name_to_globals": (ok(call(sg("torch._utils", "_rebuild_tensor_v2.__globals__"), s("x"))), UE,
                                   "__globals__"),
        "dotted_name_class": (ok(g("collections", "OrderedDict.__class__")), UE, "OrderedDict.__class__"),
        "runpy": (ok(call(g("runpy", "_run_code"), s(py), b"}")), UE, "runpy"),
        "pickle.loads_nested": (ok(call(g("pickle", "loads"), b"C\x01x")), UE, "pickle.loads"),
        "inst": (ok(b"(" + s(touch) + b"ios\nsystem\n"), UE, "INST"),
        "obj": (ok(b"(" + g("os", "system") + s(touch) + b"o"), UE, "os.system"),
        "obj_allowed_class": (ok(b"(" + g("collections", "OrderedDict") + b"o"), UE, "OBJ"),
        "newobj_popen": (ok(g("subprocess", "Popen") + tup(s("touch"), s(marker)) + b"\x81"), UE, "Popen"),
        "newobj_ex_kwargs": (ok(g("collections", "OrderedDict") + b")}" + s("a") + i(1) + b"s\x92"), UE, "keywords"),
        "ext1": (ok(b"\x82\x01"), UE, "EXT1"),
        "text_persid": (ok(b"P" + marker.encode() + b"\n"), UE, "PERSID"),
        "reduce_on_dtype_object": (ok(call(g("torch", "float32"), s(touch))), UE, "unrecognized function"),
        "reduce_on_ndarray_class": (ok(call(g("numpy", "ndarray"), i(1 << 30))), UE, "unrecognized function"),
        "reduce_on_call_result": (ok(call(g("torch", "device") + tup(s("cpu")) + b"R", s(touch))), UE,
                                  "unrecognized function"),
        "bytearray_huge": (ok(call(g("builtins", "bytearray"), i(1 << 40))), UE, "bytearray"),
        "codecs_other_codec": (ok(call(g("_codecs", "encode"), s("x"), s("zlib_codec"))), UE, "latin1"),
        "ordereddict_bad_args": (ok(call(g("collections", "OrderedDict"), s("abc"))), UE, "OrderedDict"),
        "size_of_strings": (ok(call(g("torch", "Size"), tup(s("a")))), UE, "Size"),
        "numpy_object_dtype": (ok(call(g("numpy", "dtype"), s("O"), b"\x89\x88")), UE, "NumPy"),
        "numpy_reconstruct_other_class": (ok(call(g("numpy.core.multiarray", "_reconstruct"),
                                                  g("collections", "OrderedDict"), tup(i(0)), s("b"))), UE,
                                          "_reconstruct"),
        "numpy_array_object_state": (ok(call(g("numpy._core.multiarray", "_reconstruct"), g("numpy", "ndarray"),
                                             tup(i(0)), s("b"))
                                        + tup(i(1), tup(i(1)), call(g("numpy", "dtype"), s("f8"), b"\x89\x88"),
                                              b"\x89", b"]" + s(py) + b"a") + b"b"), UE, "numpy array state"),
        "numpy_dtype_state": (ok(call(g("numpy", "dtype"), s("f8"), b"\x89\x88")
                                 + tup(i(3), s("<"), b"N", tup(s("a")), b"N", i(-1), i(-1), i(0)) + b"b"), UE,
                              "dtype state"),
        "build_dict_injection": (ok(od + b"}" + s("__class__") + g("torch", "Size") + b"s" + b"b"), UE, "BUILD"),
        "build_setstate_key": (ok(od + b"}" + s("__setstate__") + s(touch) + b"s" + b"b"), UE, "BUILD"),
        "build_metadata_plus": (ok(od + b"}" + s("_metadata") + b"}s" + s("x") + i(1) + b"s" + b"b"), UE, "BUILD"),
        "build_on_size": (ok(call(g("torch", "Size"), tup(i(1))) + b"}" + b"b"), UE, "BUILD on Size"),
        "build_on_tensor": (ok(tensor(storage(), 0, (4,), (1,)) + tup(s(touch)) + b"b", records=FLOATS4), UE,
                            "BUILD on Tensor"),
        "setitem_on_list": (ok(b"]" + s("a") + i(1) + b"s"), UE, "SETITEM on a list"),
        "rebuild_from_type_other_func": (ok(call(g("torch._tensor", "_rebuild_from_type_v2"), g("torch", "Size"),
                                                 g("torch", "Tensor"), tup(tup(i(1))), b"}")), UE, "rebuild function"),
        "persid_not_storage": (ok(tup(s("module"), s("os"), s("system"), s("cpu"), i(0)) + b"Q"), UE, "storage"),
        "persid_path_traversal": (ok(tensor(storage(key="../../../etc/passwd"), 0, (4,), (1,))), UE, "key"),
        "storage_from_string": (ok(g("torch._utils", "_rebuild_tensor_v2") + tup(s("/etc/passwd"), i(0), tup(i(1)),
                                tup(i(1)), b"\x89", b"N") + b"R"), UE, "checkpoint storage"),
        "forged_numel_larger": (ok(tensor(storage(numel=1 << 40), 0, (4,), (1,)), records=FLOATS4), RE, "declares"),
        "forged_numel_smaller": (ok(tensor(storage(numel=2), 0, (4,), (1,)), records=FLOATS4), RE, "declares"),
        "offset_past_end": (ok(tensor(storage(), 3, (4,), (1,)), records=FLOATS4), RE, "reaches element"),
        "offset_huge": (ok(tensor(storage(), (1 << 31) - 1, (1,), (1,)), records=FLOATS4), RE, "reaches element"),
        "offset_negative": (ok(tensor(storage(), -8, (4,), (1,)), records=FLOATS4), UE, "offset"),
        "stride_huge": (ok(tensor(storage(), 0, (2,), (1 << 30,)), records=FLOATS4), RE, "reaches element"),
        "stride_negative": (ok(tensor(storage(), 3, (4,), (-1,)), records=FLOATS4), UE, "stride"),
        "size_negative": (ok(tensor(storage(), 0, (-4,), (1,)), records=FLOATS4), UE, "size"),
        "size_stride_mismatch": (ok(tensor(storage(), 0, (2, 2), (1,)), records=FLOATS4), UE, "inconsistent"),
        "unsupported_storage": (ok(tensor(storage(kind="ComplexFloatStorage", numel=2), 0, (2,), (1,)),
                                   records=FLOATS4), RE, "complex"),
        "missing_record": (ok(tensor(storage(key="7"), 0, (4,), (1,)), records=FLOATS4), RE, "lacks"),
        "truncated_pickle": (checkpoint(b"\x80\x02}" + s("a")), UE, "without STOP"),
        "memo_miss": (ok(b"h\x05"), UE, "malformed pickle"),
        "stack_underflow": (ok(b"R"), UE, "malformed pickle"),
        "deep_tuples": (ok(b")" + b"\x85" * 100_000), UE, "nested deeper"),
        "deep_lists": (ok(b"]" * 50_000 + b"a" * 49_999), UE, "nested deeper"),
        "deep_dict_keys": (ok(b"}" + b")" + b"\x85" * 5000 + i(1) + b"s"), UE, "nested deeper"),
        "many_marks": (ok(b"(" * 200_000), UE, "malformed pickle"),
        "torchscript_name": (ok(g("__torch__.Net", "Net") + b")\x81"), UE, "TorchScript"),
    }
    return cases


def test_corpus_is_large_enough(tmp_path):
    assert len(payloads(str(tmp_path / "m"))) >= 40


@pytest.mark.parametrize("name", list(payloads("m")))
def test_hostile_payload_refused(name, tmp_path):
    marker = tmp_path / "pwned"
    data, exc, pattern = payloads(str(marker))[name]
    path = tmp_path / "evil.pt"
    path.write_bytes(data)
    with pytest.raises(exc, match=pattern):
        ember.load(path)
    with pytest.raises(exc, match=pattern):  # weights_only=False is just as strict
        ember.load(io.BytesIO(data), weights_only=False)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["os.system", "subprocess.Popen", "builtins.eval", "__import__os", "runpy"])
def test_payloads_are_live(name, tmp_path):
    """The same data.pkl, given to pickle.loads, does create the marker: the refusals above are what stop it."""
    marker = tmp_path / "pwned"
    with zipfile.ZipFile(io.BytesIO(payloads(str(marker))[name][0])) as z:
        data = z.read("archive/data.pkl")
    try:
        pickle.loads(data)
    except Exception:
        pass
    if name == "subprocess.Popen":  # the child process touches the marker a moment later
        for _ in range(200):
            if marker.exists():
                break
            time.sleep(0.01)
    assert marker.exists()


def good_checkpoint() -> bytes:
    buf = io.BytesIO()
    torch.save({"w": torch.arange(64.0), "b": torch.ones(3, dtype=torch.int64)}, buf)
    return buf.getvalue()


def test_truncations_at_many_positions():
    data = good_checkpoint()
    for cut in list(range(0, len(data), max(1, len(data) // 150))) + [len(data) - 1, len(data) - 22]:
        with pytest.raises((RE, UE)):
            ember.load(io.BytesIO(data[:cut]))


def test_random_corruption_only_raises_documented_errors():
    """Bytes flipped anywhere, and data.pkl mutated under a valid CRC: loads or raises RuntimeError/UnpicklingError."""
    rng = np.random.RandomState(0)
    data = good_checkpoint()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    raised = 0
    for trial in range(600):
        if trial % 2:
            bad = bytearray(data)
            bad[rng.randint(len(bad))] = rng.randint(256)
        else:
            p = bytearray(members["archive/data.pkl"])
            at = rng.randint(len(p))
            p[at:at + rng.randint(3)] = bytes(rng.randint(0, 256, rng.randint(3)).astype(np.uint8))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as z:
                for n, v in members.items():
                    z.writestr(n, bytes(p) if n.endswith("data.pkl") else v)
            bad = out.getvalue()
        try:
            ember.load(io.BytesIO(bytes(bad)))
        except (RE, UE):
            raised += 1
    assert raised > 300


def test_corrupted_central_directory():
    data = bytearray(good_checkpoint())
    start = data.rindex(b"PK\x01\x02")  # the last central directory record
    bad_sig = data[:start] + b"XX" + data[start + 2:]
    with pytest.raises(RE, match="zip archive"):
        ember.load(io.BytesIO(bytes(bad_sig)))
    for record in [m for m in range(len(data)) if data[m:m + 4] == b"PK\x01\x02"]:
        bad = bytearray(data)
        bad[record + 42:record + 46] = struct.pack("<I", 0x7FFFFFF0)  # local header offset past the end
        with pytest.raises(RE):
            ember.load(io.BytesIO(bytes(bad)))
    eocd64 = data.rindex(b"PK\x06\x06")  # torch always writes the zip64 end record, which readers prefer
    bad = bytearray(data)
    bad[eocd64 + 40:eocd64 + 48] = struct.pack("<Q", 1 << 40)  # central directory size nonsense
    with pytest.raises(RE, match="zip archive"):
        ember.load(io.BytesIO(bytes(bad)))
    bad = bytearray(data)
    bad[eocd64 + 48:eocd64 + 56] = struct.pack("<Q", 3)  # central directory offset nonsense
    with pytest.raises(RE, match="corrupt checkpoint|zip archive"):
        ember.load(io.BytesIO(bytes(bad)))


def test_crc_error():
    data = bytearray(good_checkpoint())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("archive/data/0")
    n, x = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    data[info.header_offset + 30 + n + x + 5] ^= 0x40
    with pytest.raises(RE, match="CRC"):
        ember.load(io.BytesIO(bytes(data)))


def test_forged_huge_size_allocates_nothing():
    body = pkl(tensor(storage(numel=1 << 29), 0, (4,), (1,)))
    data = raw_zip([("archive/data.pkl", body, 0, None, None), ("archive/data/0", b"\0" * 16, 0, 1 << 31, None)])
    tracemalloc.start()
    try:
        with pytest.raises(RE, match="corrupt|truncated"):
            ember.load(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_zip_bombs():
    bomb = b"\0" * (64 << 20)
    # a storage that decompresses far past its declared 16 bytes
    data = raw_zip([("archive/data.pkl", pkl(tensor(storage(), 0, (4,), (1,))), 0, None, None),
                    ("archive/data/0", bomb, 8, 16, 0)])
    with pytest.raises(RE, match="zip bomb"):
        ember.load(io.BytesIO(data))
    # a data.pkl that does the same
    data = raw_zip([("archive/data.pkl", pkl(b"N") + bomb, 8, 4, 0)])
    with pytest.raises(RE, match="zip bomb"):
        ember.load(io.BytesIO(data))


@pytest.mark.parametrize("name", ["../evil.pkl", "/abs/data.pkl", "archive/../../x", "C:/windows/x",
                                  "archive\\..\\x"])
def test_path_traversal_member_names(name, tmp_path):
    data = raw_zip([("archive/data.pkl", pkl(b"N"), 0, None, None), (name, b"x", 0, None, None)])
    with pytest.raises(RE, match="unsafe"):
        ember.load(io.BytesIO(data))
    assert not (tmp_path.parent / "evil.pkl").exists()


def test_duplicate_member_names():
    data = raw_zip([("archive/data.pkl", pkl(b"N"), 0, None, None),
                    ("archive/data.pkl", pkl(g("os", "system")), 0, None, None)])
    with pytest.raises(RE, match="two members"):
        ember.load(io.BytesIO(data))


def test_not_checkpoints(tmp_path):
    marker = tmp_path / "pwned"
    raw = pickle.dumps({"x": 1})
    evil = pkl(g("os", "system") + tup(s(f"touch {marker}")) + b"R")
    legacy = io.BytesIO()
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        info = tarfile.TarInfo("pickle")
        info.size = len(raw)
        t.addfile(info, io.BytesIO(raw))
    cases = [(raw, "raw pickle"), (evil, "raw pickle"), (legacy.getvalue(), "legacy"), (tar.getvalue(), "legacy tar"),
             (b"", "empty"), (b"hello world" * 10, "zip archive"),
             (raw_zip([("x/other.bin", b"1", 0, None, None)]), "no <name>/data.pkl")]
    for data, pattern in cases:
        with pytest.raises(RE, match=pattern):
            ember.load(io.BytesIO(data))
    assert not marker.exists()


def test_pickled_module_refused_with_advice(tmp_path):
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), tmp_path / "m.pt")
    with pytest.raises(UE, match=r"state_dict\(\)"):
        ember.load(tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"state_dict\(\)"):
        ember.save(ember.nn.Linear(2, 2), tmp_path / "e.pt")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_archive_refused(tmp_path):
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "s.pt")
    with pytest.raises(UE, match="TorchScript"):
        ember.load(tmp_path / "s.pt")
