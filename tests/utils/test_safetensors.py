"""ember.utils.safetensors against the safetensors package (0.8) and real torch."""
import json
import os
import struct

import ml_dtypes
import numpy as np
import pytest
import torch
import safetensors
import safetensors.numpy
import safetensors.torch

import ember
from ember.utils import safetensors as st
from ember.utils.safetensors import SafetensorError

DTYPES = {  # ember dtype -> torch dtype
    ember.bool: torch.bool, ember.uint8: torch.uint8, ember.int8: torch.int8, ember.int16: torch.int16,
    ember.int32: torch.int32, ember.int64: torch.int64, ember.float16: torch.float16, ember.bfloat16: torch.bfloat16,
    ember.float32: torch.float32, ember.float64: torch.float64,
}


def _values(dtype, shape, seed=0):
    """Values that exercise the dtype's range (negative, fractional, inf/nan for floats)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dtype is ember.bool:
        arr = rng.integers(0, 2, n).astype(bool)
    elif dtype.is_floating_point:
        arr = (rng.standard_normal(n) * 100).astype(np.float32)
        arr[:3] = [np.inf, -np.inf, np.nan][:min(3, n)]
    else:
        info = np.iinfo(dtype.np)
        arr = rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype.np)
    return ember.tensor(arr.reshape(shape)).to(dtype)


def _bits(arr) -> np.ndarray:
    """Bit patterns, so NaN payloads and -0.0 compare exactly."""
    arr = np.asarray(arr)
    return arr.view(f"u{arr.itemsize}") if arr.dtype != bool else arr


def _torch_bits(t: torch.Tensor) -> np.ndarray:
    if t.dtype == torch.bool:
        return t.numpy()
    return t.view({1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]).numpy() \
        .view(f"u{t.element_size()}")


def _to_torch(t: ember.Tensor) -> torch.Tensor:
    if t.dtype is ember.bfloat16:
        return torch.from_numpy(t.numpy().view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(t.numpy().copy())


def _all_dtypes():
    d = {}
    for i, dtype in enumerate(DTYPES):
        d[f"t.{dtype.name}"] = _values(dtype, (3, 5), seed=i)
        d[f"z.{dtype.name}"] = _values(dtype, (), seed=i)       # zero-dim
        d[f"e.{dtype.name}"] = _values(dtype, (0, 4), seed=i)   # empty
    return d


# ---------------------------------------------------------------------------------------------------------------
# Round trips and interoperability

def test_round_trip_every_dtype(tmp_path):
    tensors = _all_dtypes()
    path = tmp_path / "all.safetensors"
    st.save_file(tensors, path, metadata={"format": "pt", "note": "ünïcode \n \"quoted\""})
    loaded = st.load_file(path)
    assert loaded.keys() == tensors.keys()
    for name, t in tensors.items():
        assert loaded[name].dtype is t.dtype and loaded[name].shape == t.shape, name
        np.testing.assert_array_equal(_bits(loaded[name].numpy()), _bits(t.numpy()), err_msg=name)
    with st.safe_open(path, framework="pt") as f:
        assert f.metadata() == {"format": "pt", "note": "ünïcode \n \"quoted\""}
        assert f.keys() == sorted(tensors)
    from_bytes = st.load(st.save(tensors))
    assert all(np.array_equal(_bits(from_bytes[k].numpy()), _bits(t.numpy())) for k, t in tensors.items())


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    path = tmp_path / "w.safetensors"
    st.save_file({"a": ember.ones(3)}, path)
    a = st.load_file(path)["a"]
    a.add_(1)
    assert a.tolist() == [2.0, 2.0, 2.0] and st.load_file(path)["a"].tolist() == [1.0, 1.0, 1.0]
    b = st.load(st.save({"a": ember.ones(2)}))["a"]
    b.mul_(3)
    assert b.tolist() == [3.0, 3.0]


def test_byte_identical_to_safetensors_torch():
    tensors = _all_dtypes()
    tensors["unicode é name"] = ember.arange(4)
    as_torch = {k: _to_torch(v) for k, v in tensors.items()}
    for metadata in (None, {}, {"format": "pt"}):
        assert st.save(tensors, metadata=metadata) == safetensors.torch.save(as_torch, metadata=metadata)
    # several metadata keys: the package writes them in hash order, so only the content can be compared
    many = {"a": "1", "b": "2", "c": "3"}
    with_many = safetensors.torch.load(st.save(tensors, metadata=many))
    assert with_many.keys() == tensors.keys()
    # an empty file: the package writes `{},"__metadata__":{}}` (not JSON) for no tensors and {} metadata
    assert st.load(st.save({}, metadata={})) == {}
    assert st.save({}) == safetensors.torch.save({})


def test_ember_file_loads_in_safetensors(tmp_path):
    tensors = _all_dtypes()
    path = tmp_path / "e.safetensors"
    st.save_file(tensors, path, metadata={"k": "v"})
    loaded = safetensors.torch.load_file(path)
    for name, t in tensors.items():
        assert loaded[name].dtype == DTYPES[t.dtype] and tuple(loaded[name].shape) == tuple(t.shape)
        np.testing.assert_array_equal(_torch_bits(loaded[name]), _bits(t.numpy()), err_msg=name)
    with safetensors.safe_open(path, framework="np") as f:
        assert f.metadata() == {"k": "v"}
        np.testing.assert_array_equal(f.get_tensor("t.int64"), tensors["t.int64"].numpy())


def test_torch_file_loads_in_ember(tmp_path):
    tensors = {k: _to_torch(v) for k, v in _all_dtypes().items()}
    path = tmp_path / "t.safetensors"
    safetensors.torch.save_file(tensors, path, metadata={"m": "1"})
    loaded = st.load_file(path)
    assert list(loaded) == list(safetensors.torch.load_file(path))  # file order, as the package returns it
    for name, t in tensors.items():
        assert DTYPES[loaded[name].dtype] == t.dtype and tuple(loaded[name].shape) == tuple(t.shape)
        np.testing.assert_array_equal(_bits(loaded[name].numpy()), _torch_bits(t), err_msg=name)
    with open(path, "rb") as f:
        assert st.load(f.read()).keys() == tensors.keys()


def test_numpy_file_loads_in_ember(tmp_path):
    arrays = {"f": np.linspace(-3, 3, 12, dtype=np.float64).reshape(3, 4), "i": np.arange(-5, 5, dtype=np.int16),
              "b": np.array([True, False, True]), "s": np.array(7, dtype=np.uint8), "h": np.ones((2, 0), np.float16)}
    path = tmp_path / "n.safetensors"
    safetensors.numpy.save_file(arrays, path)
    loaded = st.load_file(path)
    for name, a in arrays.items():
        assert loaded[name].dtype is ember._dtype.from_np(a.dtype)
        np.testing.assert_array_equal(loaded[name].numpy(), a)


def test_float8_loads_as_float32_or_native_numpy(tmp_path):
    vals = torch.tensor([0.0, -1.5, 448.0, 2.0 ** -9, float("nan")])
    t = {"e4": vals.to(torch.float8_e4m3fn), "e5": vals.to(torch.float8_e5m2)}
    path = tmp_path / "f8.safetensors"
    safetensors.torch.save_file(t, path)
    loaded = st.load_file(path)
    for name in t:
        assert loaded[name].dtype is ember.float32
        np.testing.assert_array_equal(loaded[name].numpy(), t[name].float().numpy())
    with st.safe_open(path, framework="np") as f:
        assert f.get_tensor("e4").dtype == ml_dtypes.float8_e4m3fn
        assert f.get_tensor("e5").dtype == ml_dtypes.float8_e5m2
        np.testing.assert_array_equal(f.get_slice("e4")[1:3].astype(np.float32), t["e4"][1:3].float().numpy())


def test_numpy_values_write_dtypes_ember_lacks(tmp_path):
    arrays = {"e4": np.array([1.0, -2.0, 0.5], ml_dtypes.float8_e4m3fn),
              "e5": np.array([[3.0, 57344.0]], ml_dtypes.float8_e5m2),
              "u16": np.array([0, 65535], np.uint16), "u32": np.array([4000000000], np.uint32),
              "c64": np.array([1 + 2j], np.complex64), "w": ember.ones(2)}
    data = st.save(arrays)
    ref = safetensors.torch.load(data)
    assert ref["e4"].dtype == torch.float8_e4m3fn and ref["e5"].dtype == torch.float8_e5m2
    np.testing.assert_array_equal(ref["e4"].float().numpy(), arrays["e4"].astype(np.float32))
    np.testing.assert_array_equal(ref["u16"].numpy(), arrays["u16"])
    as_torch = {k: _to_torch(v) if isinstance(v, ember.Tensor) else torch.from_numpy(v) for k, v in arrays.items()
                if k not in ("e4", "e5")}
    assert data == safetensors.torch.save({**as_torch, "e4": ref["e4"], "e5": ref["e5"]})
    with pytest.raises(SafetensorError, match="has no tensor type for.*framework='np'"):
        st.load(data)
    path = tmp_path / "np.safetensors"
    st.save_file(arrays, path)
    with st.safe_open(path, framework="np") as f:
        np.testing.assert_array_equal(f.get_tensor("u32"), arrays["u32"])
        np.testing.assert_array_equal(f.get_tensor("c64"), arrays["c64"])
    with pytest.raises(ValueError, match="float8_e3m4"):
        st.save({"x": np.zeros(2, ml_dtypes.float8_e3m4)})


# ---------------------------------------------------------------------------------------------------------------
# safe_open and get_slice

@pytest.fixture
def sliced(tmp_path):
    x = _values(ember.float32, (5, 6, 7), seed=3)
    path = tmp_path / "s.safetensors"
    st.save_file({"x": x, "s": ember.tensor(2.5), "b": ember.tensor([[True, False], [False, True]]),
                  "h": _values(ember.bfloat16, (4, 3), seed=4)}, path)
    return path, x


@pytest.mark.parametrize("index", [
    0, -1, 4, slice(1, 3), slice(None, None, 2), slice(2, 100), slice(7, 9), slice(3, 1), (slice(None), 2),
    (..., 3), (1, ..., slice(2, 5)), (1, 2, 3), (None, 1), (slice(None), None, slice(1, 6, 3)), (), ...,
    (slice(1, 4, 2), slice(0, 6, 5), slice(6, 0, 1)), np.int64(2),
])
def test_get_slice_matches_indexing(sliced, index):
    path, x = sliced
    with st.safe_open(path, framework="pt") as f:
        s = f.get_slice("x")
        assert s.get_shape() == [5, 6, 7] and s.get_dtype() == "F32"
        got = s[index]
        want = x.numpy()[index]
        assert isinstance(got, ember.Tensor) and got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)
    with safetensors.safe_open(path, framework="pt") as ref:  # the package agrees
        np.testing.assert_array_equal(ref.get_slice("x")[index].numpy(), want)


def test_get_slice_reads_only_the_selection(sliced, monkeypatch):
    path, x = sliced
    with st.safe_open(path, framework="pt") as f:
        spans = []
        read = f._read
        monkeypatch.setattr(f, "_read", lambda b, e: spans.append(e - b) or read(b, e))
        f.get_slice("x")[2]
        f.get_slice("x")[1:3, 4]
        f.get_slice("x")[0, 0, 0:2]
        f.get_slice("x")[4:4]
    assert spans == [6 * 7 * 4, (6 * 7 + 7) * 4, 2 * 4]


def test_get_slice_other_dtypes_and_advanced_indexes(sliced):
    path, x = sliced
    with st.safe_open(path, framework="pt") as f:
        assert f.get_slice("s")[()].item() == 2.5
        assert f.get_slice("b")[1].tolist() == [False, True]
        h = f.get_slice("h")[1:3, ::2]
        assert h.dtype is ember.bfloat16
        np.testing.assert_array_equal(_bits(h.numpy()), _bits(f.get_tensor("h").numpy()[1:3, ::2]))
        np.testing.assert_array_equal(f.get_slice("x")[[0, 3]].numpy(), x.numpy()[[0, 3]])  # reads it all
        np.testing.assert_array_equal(f.get_slice("x")[ember.tensor(1)].numpy(), x.numpy()[1])
        with pytest.raises(IndexError):
            f.get_slice("x")[5]
        with pytest.raises(IndexError):
            f.get_slice("x")[0, 0, 0, 0]
        with pytest.raises(ValueError, match="step must be greater than zero"):
            f.get_slice("x")[::-1]


def test_safe_open_api(sliced):
    path, x = sliced
    f = st.safe_open(path, framework="ember")
    assert f.keys() == ["b", "h", "s", "x"] and f.offset_keys() == ["s", "x", "h", "b"] and f.metadata() is None
    np.testing.assert_array_equal(f.get_tensor("x").numpy(), x.numpy())
    assert isinstance(st.safe_open(path, framework="np").get_tensor("x"), np.ndarray)
    with pytest.raises(SafetensorError, match="does not contain tensor nope"):
        f.get_tensor("nope")
    f.close()
    with pytest.raises(SafetensorError, match="closed"):
        f.get_tensor("x")
    with pytest.raises(SafetensorError, match="framework tf is invalid"):
        st.safe_open(path, framework="tf")
    with pytest.raises(FileNotFoundError):
        st.safe_open(path.with_name("missing.safetensors"))


# ---------------------------------------------------------------------------------------------------------------
# Saving: the package's refusals, and atomic writes

def test_shared_and_non_contiguous_tensors_are_refused():
    a = ember.arange(12.0)
    with pytest.raises(RuntimeError, match=r"share memory.*clone\(\)"):
        st.save({"a": a, "b": a})
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": a, "v": a[3:5]})
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": a.numpy(), "v": a})
    st.save({"lo": a[:6], "hi": a[6:], "e": a[6:6]})  # disjoint views are fine, as in the package
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        st.save({"t": a.reshape(3, 4).t()})
    st.save({"a": a, "c": a.clone()})


@pytest.mark.parametrize("tensors, metadata, exc, match", [
    ([ember.ones(1)], None, ValueError, "Expected a dict"),
    ({"a": [1.0]}, None, ValueError, "Key `a` is invalid"),
    ({1: ember.ones(1)}, None, TypeError, "names must be str"),
    ({"__metadata__": ember.ones(1)}, None, ValueError, "reserved"),
    ({"a": ember.ones(1)}, {"k": 1}, TypeError, "'int' object is not an instance of 'str'"),
    ({"a": ember.ones(1)}, "meta", TypeError, "not an instance of 'dict'"),
])
def test_save_argument_errors(tensors, metadata, exc, match):
    with pytest.raises(exc, match=match):
        st.save(tensors, metadata=metadata)


def test_save_file_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    st.save_file({"old": ember.ones(2)}, path)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        st.save_file({"new": ember.zeros(3)}, path)
    monkeypatch.undo()
    assert list(st.load_file(path)) == ["old"] and os.listdir(tmp_path) == ["model.safetensors"]
    st.save_file({"new": ember.zeros(3)}, str(path))
    assert list(st.load_file(path)) == ["new"] and os.listdir(tmp_path) == ["model.safetensors"]


# ---------------------------------------------------------------------------------------------------------------
# Malformed files: each one a SafetensorError, whatever the package does

def _file(header, data=b"", raw=None):
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _info(shape, offsets, dtype="F32"):
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


GOOD = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
MALFORMED = {
    "empty": (b"", "header too small"),
    "short length": (b"\x08\x00\x00", "header too small"),
    "length past end": (struct.pack("<Q", 1000) + b"{}", "invalid header length"),
    "length 2**63": (struct.pack("<Q", 2 ** 63) + b"{}", "header too large"),
    "header over 100MB": (struct.pack("<Q", 100_000_001) + b"{}", "header too large"),
    "zero length": (struct.pack("<Q", 0), "invalid JSON"),
    "not utf-8": (_file(None, raw=b'{"\xff":1}'), "invalid UTF-8"),
    "not json": (_file(None, raw=b"{'a': 1}"), "invalid JSON"),
    "truncated json": (_file(None, raw=GOOD[:-3]), "invalid JSON"),
    "nan": (_file(None, b"\0" * 4, raw=b'{"a":{"dtype":"F32","shape":[NaN],"data_offsets":[0,4]}}'), "NaN"),
    "deep nesting": (_file(None, raw=b"[" * 100_000), "invalid JSON"),
    "nul padding": (_file(None, b"\0" * 8, raw=GOOD + b"\0\0"), "invalid JSON"),
    "not an object": (_file([1, 2]), "must be a JSON object"),
    "duplicate tensor": (_file(None, b"\0" * 8, raw=GOOD[:-1] + b"," + GOOD[1:]), "duplicate key 'a'"),
    "duplicate field": (_file(None, b"\0" * 8, raw=GOOD.replace(b'"shape"', b'"dtype":"F32","shape"')),
                        "duplicate key 'dtype'"),
    "unknown dtype": (_file({"a": _info([1], [0, 4], "F31")}, b"\0" * 4), "unknown dtype 'F31'"),
    "lowercase dtype": (_file({"a": _info([1], [0, 4], "f32")}, b"\0" * 4), "unknown dtype"),
    "missing offsets": (_file({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4), "must be an object with"),
    "tensor not object": (_file({"a": 5}), "must be an object with"),
    "negative dim": (_file({"a": _info([-1], [0, 4])}, b"\0" * 4), "shape must hold integers"),
    "bool dim": (_file({"a": _info([True], [0, 4])}, b"\0" * 4), "shape must hold integers"),
    "float dim": (_file({"a": _info([1.0], [0, 4])}, b"\0" * 4), "shape must hold integers"),
    "three offsets": (_file({"a": _info([1], [0, 4, 5])}, b"\0" * 4), "list of two integers"),
    "negative offset": (_file({"a": _info([1], [-4, 0])}, b"\0" * 4), "data_offsets must hold integers"),
    "shape/size mismatch": (_file({"a": _info([3], [0, 8])}, b"\0" * 8), "needs 12 bytes"),
    "shape overflow": (_file({"a": _info([2 ** 40, 2 ** 40], [0, 8])}, b"\0" * 8), "overflow"),
    "huge forged shape": (_file({"a": _info([2 ** 33], [0, 2 ** 35])}, b"\0" * 8), "invalid offset|not fully"),
    "gap": (_file({"a": _info([1], [0, 4]), "b": _info([1], [8, 12])}, b"\0" * 12), "invalid offset for tensor `b`"),
    "overlap": (_file({"a": _info([2], [0, 8]), "b": _info([1], [4, 8])}, b"\0" * 8), "invalid offset for tensor `b`"),
    "end before begin": (_file({"a": _info([0], [4, 0])}, b"\0" * 4), "invalid offset|needs"),
    "data too short": (_file({"a": _info([2], [0, 8])}, b"\0" * 7), "not fully covered"),
    "trailing bytes": (_file({"a": _info([2], [0, 8])}, b"\0" * 9), "not fully covered"),
    "metadata not strings": (_file({"__metadata__": {"a": 1}}), "__metadata__ must be"),
    "metadata a list": (_file({"__metadata__": []}), "__metadata__ must be"),
    "sub-byte F4": (_file({"a": _info([1], [0, 1], "F4")}, b"\0"), "needs 0.5 bytes"),
}

PACKAGE_ACCEPTS = {"duplicate tensor"}  # the package keeps the last duplicate; ember refuses the ambiguity


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_raise(tmp_path, name):
    data, match = MALFORMED[name]
    with pytest.raises(SafetensorError, match=match):
        st.load(data)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(SafetensorError, match=match):
        st.load_file(path)
    if name in PACKAGE_ACCEPTS:
        safetensors.torch.load(data)
    else:
        with pytest.raises(safetensors.SafetensorError):
            safetensors.torch.load(data)


def test_valid_edge_cases_load():
    # offsets in any key order, zero-size tensors anywhere, null metadata, extra fields: all valid, as in the package
    data = _file({"__metadata__": None, "b": _info([1], [4, 8]), "z": _info([0], [4, 4]),
                  "a": {**_info([1], [0, 4]), "extra": 1}}, struct.pack("<2f", 1.0, 2.0))
    assert {k: v.tolist() for k, v in st.load(data).items()} == {"a": [1.0], "z": [], "b": [2.0]}
    # BOOL bytes other than 0/1 load as a proper True (byte 1), not as an invalid bool
    mask = st.load(_file({"m": _info([3], [0, 3], "BOOL")}, b"\x00\x01\x07"))["m"]
    assert mask.numpy().view(np.uint8).tolist() == [0, 1, 1]


def test_unloadable_dtypes_are_reported_by_name(tmp_path):
    path = tmp_path / "f4.safetensors"
    path.write_bytes(_file({"q": _info([2], [0, 1], "F4"), "u": _info([1], [1, 3], "U16")}, b"\0" * 3))
    with st.safe_open(path) as f:
        assert f.keys() == ["q", "u"]
        with pytest.raises(SafetensorError, match="`q` has dtype F4"):
            f.get_tensor("q")
        with pytest.raises(SafetensorError, match="`q` has dtype F4"):
            f.get_slice("q")[0]
        with pytest.raises(SafetensorError, match="U16.*framework='np'"):
            f.get_tensor("u")
    with st.safe_open(path, framework="np") as f:
        assert f.get_tensor("u").dtype == np.uint16


def test_file_truncated_after_open(tmp_path):
    path = tmp_path / "t.safetensors"
    st.save_file({"a": ember.ones(100)}, path)
    with st.safe_open(path) as f:
        with open(path, "r+b") as g:
            g.truncate(200)
        with pytest.raises(SafetensorError, match="truncated"):
            f.get_tensor("a")
