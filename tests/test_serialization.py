"""ember.save / ember.load against real torch.save / torch.load, both ways."""
import collections
import io
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile

import ml_dtypes
import numpy as np
import pytest
import torch

import ember
from ember import nn

DTYPES = [ember.bool, ember.uint8, ember.int8, ember.int16, ember.int32, ember.int64, ember.float16, ember.bfloat16,
          ember.float32, ember.float64]


def tdtype(d):
    return getattr(torch, d.name)


def values(d, shape, seed=0):
    """Distinct values of dtype d, as a NumPy array (bfloat16 via ml_dtypes)."""
    n = int(np.prod(shape))
    a = (np.arange(n) * 37 + seed) % 101 - 50
    if d is ember.bool:
        return (a % 2 == 0).reshape(shape)
    if d is ember.uint8:
        a = np.abs(a)
    return (a / 4 if d.is_floating_point else a).astype(d.np).reshape(shape)


def torch_of(a):
    if a.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(a.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.array(a))


def as_np(t):
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.numpy()


def same(e, t):
    """An ember tensor equals a torch tensor: values, dtype, shape."""
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert e.dtype.name == str(t.dtype).split(".")[1] and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(force=True), as_np(t.detach()))


@pytest.mark.parametrize("d", DTYPES, ids=str)
def test_every_dtype_ember_to_torch(d, tmp_path):
    base = ember.tensor(values(d, (3, 4)))
    sd = {"full": base, "zero_dim": ember.tensor(values(d, ())), "noncontig": base.t(), "step": base[:, ::2],
          "empty": ember.tensor(values(d, (0, 3)))}
    ember.save(sd, tmp_path / "c.pt")
    back = torch.load(tmp_path / "c.pt", weights_only=True)
    assert list(back) == list(sd)
    for k, v in sd.items():
        same(v, back[k])
    assert back["noncontig"].stride() == (1, 4) and back["step"].stride() == (4, 2)
    assert back["noncontig"].untyped_storage().data_ptr() == back["full"].untyped_storage().data_ptr()


@pytest.mark.parametrize("d", DTYPES, ids=str)
def test_every_dtype_torch_to_ember(d, tmp_path):
    full = torch_of(values(d, (3, 4)))
    sd = {"full": full, "zero_dim": torch_of(values(d, ())), "noncontig": full.t(), "step": full[1:, ::3],
          "empty": torch_of(values(d, (2, 0)))}
    torch.save(sd, tmp_path / "c.pt")
    back = ember.load(tmp_path / "c.pt")
    for k, v in sd.items():
        same(back[k], v)
    assert np.shares_memory(back["full"].numpy(), back["noncontig"].numpy())
    assert np.shares_memory(back["full"].numpy(), back["step"].numpy())


def test_views_share_one_storage(tmp_path):
    t = ember.arange(24, dtype=ember.float32).reshape(4, 6)
    views = {"t": t, "row": t[1], "cols": t[:, 2:5], "tt": t.t(), "flat": t.view(-1)[3:9], "other": ember.ones(3)}
    ember.save(views, tmp_path / "v.pt")
    with zipfile.ZipFile(tmp_path / "v.pt") as z:
        assert sorted(n for n in z.namelist() if "/data/" in n) == ["v/data/0", "v/data/1"]  # written once
    back = torch.load(tmp_path / "v.pt", weights_only=True)
    ptr = back["t"].untyped_storage().data_ptr()
    for k in ("row", "cols", "tt", "flat"):
        assert back[k].untyped_storage().data_ptr() == ptr
        same(views[k], back[k])
    assert back["row"].storage_offset() == 6 and back["flat"].storage_offset() == 3
    back["t"][1, 2] = -1.0  # torch sees one storage: the write shows through every view
    assert back["row"][2] == -1 and back["cols"][1, 0] == -1
    # and back again: ember.load keeps the sharing, and ember.save of what it loaded writes one storage again
    torch.save(back, tmp_path / "t.pt")
    mine = ember.load(tmp_path / "t.pt")
    mine["t"][0, 0] = 100.0
    assert mine["tt"][0, 0].item() == 100.0
    ember.save(mine, tmp_path / "again.pt")
    again = torch.load(tmp_path / "again.pt", weights_only=True)
    assert again["cols"].untyped_storage().data_ptr() == again["t"].untyped_storage().data_ptr()


def test_same_tensor_twice_is_one_object(tmp_path):
    w = ember.ones(2, 2)
    ember.save({"a": w, "b": w, "l": [w]}, tmp_path / "s.pt")
    back = torch.load(tmp_path / "s.pt", weights_only=True)
    assert back["a"] is back["b"] is back["l"][0]
    mine = ember.load(tmp_path / "s.pt")
    assert mine["a"] is mine["b"] is mine["l"][0]


def test_parameters_both_ways(tmp_path):
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    frozen = nn.Parameter(ember.tensor([3.0]), requires_grad=False)
    ember.save({"p": p, "frozen": frozen, "leaf": ember.ones(2, requires_grad=True)}, tmp_path / "p.pt")
    back = torch.load(tmp_path / "p.pt", weights_only=True)
    assert type(back["p"]) is torch.nn.Parameter and back["p"].requires_grad
    assert type(back["frozen"]) is torch.nn.Parameter and not back["frozen"].requires_grad
    assert type(back["leaf"]) is torch.Tensor and back["leaf"].requires_grad
    torch.save(back, tmp_path / "t.pt")
    mine = ember.load(tmp_path / "t.pt")
    assert type(mine["p"]) is nn.Parameter and mine["p"].requires_grad and not mine["frozen"].requires_grad
    assert type(mine["leaf"]) is ember.Tensor and mine["leaf"].requires_grad
    same(mine["p"], back["p"])


def nested(m):
    """The same nested object built from module m (ember or torch)."""
    return collections.OrderedDict(
        ints=[0, -1, 2 ** 40, -(2 ** 70)], floats=(1.5, float("inf"), -0.0), text="héllo", none=None,
        flags=[True, False],
        tensors={"a": m.arange(3), "b": (m.ones(2, dtype=m.float64), [m.zeros(1, dtype=m.int16)])},
        size=m.Size([2, 3]), dtype=m.bfloat16, device=m.device("cpu"), cuda=m.device("cuda", 1), bytes=b"\x00\xffab",
        bytearray=bytearray(b"\x01\xfe"),
        set={1, 2}, complex=1 + 2j, counter=collections.Counter("aab"),
        inner=collections.OrderedDict(x=[{"deep": (m.tensor(7),)}]))


def check_nested(e, t):
    assert list(e) == list(t) and type(e) is collections.OrderedDict
    for k in ("ints", "text", "none", "flags", "bytes", "bytearray", "set", "complex", "counter"):
        assert e[k] == t[k] and type(e[k]) is type(t[k])
    assert e["floats"][:2] == t["floats"][:2] and str(e["floats"][2]) == str(t["floats"][2]) == "-0.0"
    same(e["tensors"]["a"], t["tensors"]["a"])
    same(e["tensors"]["b"][1][0], t["tensors"]["b"][1][0])
    same(e["inner"]["x"][0]["deep"][0], t["inner"]["x"][0]["deep"][0])
    assert tuple(e["size"]) == tuple(t["size"]) == (2, 3)
    assert str(e["dtype"]).split(".")[1] == str(t["dtype"]).split(".")[1] == "bfloat16"
    assert str(e["device"]) == str(t["device"]) == "cpu" and str(e["cuda"]) == str(t["cuda"]) == "cuda:1"


def test_nested_containers_both_ways(tmp_path):
    ember.save(nested(ember), tmp_path / "e.pt")
    got = torch.load(tmp_path / "e.pt", weights_only=True)
    check_nested(nested(ember), got)
    assert type(got["size"]) is torch.Size and got["dtype"] is torch.bfloat16 and type(got["device"]) is torch.device
    torch.save(nested(torch), tmp_path / "t.pt")
    mine = ember.load(tmp_path / "t.pt")
    check_nested(mine, nested(torch))
    assert type(mine["size"]) is ember.Size and mine["dtype"] is ember.bfloat16 and type(mine["device"]) is ember.device


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(protocol):
    obj = {"w": [ember.arange(3.0)], "b": b"xy", "s": {1, 2}, "t": (1, "a")}
    buf = io.BytesIO()
    ember.save(obj, buf, pickle_protocol=protocol)
    back = ember.load(io.BytesIO(buf.getvalue()))
    assert back["w"][0].tolist() == [0.0, 1.0, 2.0] and back["b"] == b"xy" and back["s"] == {1, 2}
    buf = io.BytesIO()
    torch.save({"w": [torch.arange(3.0)], "t": (1, "a")}, buf, pickle_protocol=protocol)
    assert ember.load(io.BytesIO(buf.getvalue()))["t"] == (1, "a")


def test_numpy_values_from_torch(tmp_path):
    torch.save({"arr": np.arange(6.0).reshape(2, 3).T, "f": np.float32(2.5), "i": np.int64(-3), "b": np.bool_(True),
                "big": np.arange(3, dtype=">i4")}, tmp_path / "n.pt")
    back = ember.load(tmp_path / "n.pt")
    np.testing.assert_array_equal(back["arr"], np.arange(6.0).reshape(2, 3).T)
    assert back["f"] == np.float32(2.5) and type(back["f"]) is np.float32 and back["i"] == -3 and back["b"]
    np.testing.assert_array_equal(back["big"], [0, 1, 2])


def test_float8_and_unsigned_convert_exactly(tmp_path):
    f8 = torch.tensor([1.5, -2.0, 448.0], dtype=torch.float8_e4m3fn)
    torch.save({"f8": f8, "e5": f8.to(torch.float8_e5m2), "u16": torch.tensor([0, 65535], dtype=torch.uint16),
                "u32": torch.tensor([2 ** 32 - 1], dtype=torch.uint32), "dt": torch.float8_e4m3fn}, tmp_path / "f.pt")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        back = ember.load(tmp_path / "f.pt")
    assert sorted(str(w.message).split()[3] for w in caught) == ["float8_e4m3fn", "float8_e5m2", "uint16", "uint32"]
    assert back["f8"].dtype is ember.float32 and back["f8"].tolist() == [1.5, -2.0, 448.0]
    assert back["e5"].tolist() == f8.to(torch.float8_e5m2).float().tolist()
    assert back["u16"].dtype is ember.int32 and back["u16"].tolist() == [0, 65535]
    assert back["u32"].dtype is ember.int64 and back["u32"].tolist() == [2 ** 32 - 1]
    assert repr(back["dt"]) == "torch.float8_e4m3fn"
    torch.save({"u64": torch.tensor([2 ** 63 + 5], dtype=torch.uint64)}, tmp_path / "u.pt")
    with pytest.raises(RuntimeError, match="uint64"):
        ember.load(tmp_path / "u.pt")
    torch.save({"c": torch.ones(2, dtype=torch.complex64)}, tmp_path / "c.pt")
    with pytest.raises(RuntimeError, match="complex"):
        ember.load(tmp_path / "c.pt")


def make_mlp(m, seed=0):
    torch.manual_seed(seed)
    return m.nn.Sequential(m.nn.Linear(6, 16), m.nn.ReLU(), m.nn.LayerNorm(16), m.nn.Linear(16, 3))


def train_step(model, opt, x, y, m):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()


def test_adam_state_ember_to_torch(tmp_path):
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 6).astype(np.float32), rng.randn(8, 3).astype(np.float32)
    em = make_mlp(ember)
    eopt = ember.optim.Adam(em.parameters(), lr=1e-2, weight_decay=1e-3, amsgrad=True)
    for _ in range(3):
        train_step(em, eopt, ember.tensor(x), ember.tensor(y), ember)
    ember.save({"model": em.state_dict(), "optim": eopt.state_dict()}, tmp_path / "ck.pt")
    ck = torch.load(tmp_path / "ck.pt", weights_only=True)
    tm = make_mlp(torch)
    tm.load_state_dict(ck["model"])
    topt = torch.optim.Adam(tm.parameters(), lr=1e-2, weight_decay=1e-3, amsgrad=True)
    topt.load_state_dict(ck["optim"])
    assert topt.state_dict()["state"][0]["step"].item() == 3
    train_step(em, eopt, ember.tensor(x), ember.tensor(y), ember)
    train_step(tm, topt, torch.tensor(x), torch.tensor(y), torch)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_adam_state_torch_to_ember(tmp_path):
    x, y = torch.randn(8, 6, generator=torch.Generator().manual_seed(0)), torch.randn(8, 3)
    tm = make_mlp(torch)
    topt = torch.optim.Adam(tm.parameters(), lr=1e-2, betas=(0.8, 0.95))
    for _ in range(3):
        train_step(tm, topt, x, y, torch)
    torch.save({"model": tm.state_dict(), "optim": topt.state_dict()}, tmp_path / "ck.pt")
    ck = ember.load(tmp_path / "ck.pt")
    assert ck["model"]._metadata is not None  # state_dict's _metadata survives (torch writes it with BUILD)
    em = make_mlp(ember)
    em.load_state_dict(ck["model"])
    eopt = ember.optim.Adam(em.parameters(), lr=1e-2, betas=(0.8, 0.95))
    eopt.load_state_dict(ck["optim"])
    train_step(tm, topt, x, y, torch)
    train_step(em, eopt, ember.tensor(x.numpy()), ember.tensor(y.numpy()), ember)
    for p, q in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def make_cnn(m):
    nn_ = m.nn
    return nn_.Sequential(nn_.Conv2d(1, 4, 3, padding=1), nn_.BatchNorm2d(4), nn_.ReLU(), nn_.MaxPool2d(2),
                          nn_.Flatten(), nn_.Linear(4 * 4 * 4, 5))


def test_torch_trained_cnn_gives_torch_outputs_in_ember(tmp_path):
    torch.manual_seed(0)
    model = make_cnn(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 5, (16,))
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    torch.save(model.state_dict(), tmp_path / "cnn.pth")
    mine = make_cnn(ember)
    result = mine.load_state_dict(ember.load(tmp_path / "cnn.pth"))
    assert not result.missing_keys and not result.unexpected_keys
    mine.eval()
    assert mine[1].num_batches_tracked.item() == 5 and mine[1].num_batches_tracked.dtype is ember.int64
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(mine(ember.tensor(x.numpy())).detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_paths_and_file_objects(tmp_path):
    sd = {"w": ember.arange(4)}
    ember.save(sd, str(tmp_path / "a.pt"))
    ember.save(sd, pathlib.Path(tmp_path / "b.pt"))
    buf = io.BytesIO()
    ember.save(sd, buf)
    with open(tmp_path / "c.pt", "wb") as f:
        ember.save(sd, f)
    for src in (str(tmp_path / "a.pt"), tmp_path / "b.pt", io.BytesIO(buf.getvalue()), tmp_path / "c.pt"):
        assert torch.load(src, weights_only=True)["w"].tolist() == [0, 1, 2, 3]
        if isinstance(src, io.BytesIO):
            src.seek(0)
        assert ember.load(src)["w"].tolist() == [0, 1, 2, 3]
    with open(tmp_path / "c.pt", "rb") as f:
        assert ember.load(f)["w"].tolist() == [0, 1, 2, 3]

    class Stream:  # write-only and unseekable, like a pipe or a socket
        def __init__(self):
            self.chunks = []

        def write(self, data):
            self.chunks.append(bytes(data))

        def read(self):
            return b"".join(self.chunks)

    out = Stream()
    ember.save(sd, out)
    assert torch.load(io.BytesIO(out.read()), weights_only=True)["w"].tolist() == [0, 1, 2, 3]
    assert ember.load(out)["w"].tolist() == [0, 1, 2, 3]
    with zipfile.ZipFile(tmp_path / "a.pt") as z, zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zb:
        assert z.namelist()[0] == "a/data.pkl" and zb.namelist()[0] == "archive/data.pkl"


def test_layout_matches_torch(tmp_path):
    ember.save({"x": ember.ones(3), "y": ember.zeros(2, dtype=ember.int64)}, tmp_path / "e.pt")
    torch.save({"x": torch.ones(3), "y": torch.zeros(2, dtype=torch.int64)}, tmp_path / "t.pt")
    with zipfile.ZipFile(tmp_path / "e.pt") as e, zipfile.ZipFile(tmp_path / "t.pt") as t:
        assert [n.split("/", 1)[1] for n in e.namelist()] == [n.split("/", 1)[1] for n in t.namelist()]
        for name in ("byteorder", "version", ".format_version", ".storage_alignment", "data/0", "data/1"):
            assert e.read(f"e/{name}") == t.read(f"t/{name}"), name
        assert all(i.compress_type == zipfile.ZIP_STORED for i in e.infolist())
        raw = (tmp_path / "e.pt").read_bytes()
        for info in e.infolist():  # every record's data starts 64-byte aligned, as torch's reader expects for mmap
            n, x = int.from_bytes(raw[info.header_offset + 26:][:2], "little"), \
                int.from_bytes(raw[info.header_offset + 28:][:2], "little")
            assert (info.header_offset + 30 + n + x) % 64 == 0
    ember.save({"x": ember.ones(3)}, tmp_path / "z.pt", _force_zip64=True)  # the >4 GiB layout, forced small
    assert torch.load(tmp_path / "z.pt", weights_only=True)["x"].tolist() == [1, 1, 1]
    assert ember.load(tmp_path / "z.pt")["x"].tolist() == [1, 1, 1]


def relocate(path, old: bytes, new: bytes):
    """Rewrite a checkpoint's data.pkl with old replaced by new (to fake tensors saved on another device)."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in items:
            z.writestr(name, data.replace(old, new) if name.endswith("data.pkl") else data)


def test_map_location(tmp_path):
    path = tmp_path / "m.pt"
    ember.save({"w": ember.arange(3.0)}, path)
    relocate(path, b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    with pytest.warns(UserWarning, match="cuda:0 were loaded on the CPU"):
        assert ember.load(path)["w"].device == ember.device("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for ml in ("cpu", ember.device("cpu"), torch.device("cpu"), {"cuda:0": "cpu"},
                   lambda storage, loc: storage):
            assert ember.load(path, map_location=ml)["w"].tolist() == [0.0, 1.0, 2.0]
    seen = []
    with pytest.warns(UserWarning, match="loaded on the CPU"):  # the callable returned None: the saved location
        ember.load(path, map_location=lambda storage, loc: seen.append((storage.numel(), loc)))
    assert seen == [(12, "cuda:0")]
    with pytest.raises(RuntimeError, match="CPU only"):
        ember.load(path, map_location="cuda:0")


def test_mmap(tmp_path):
    path = tmp_path / "m.pt"
    t = ember.arange(1000, dtype=ember.float32)
    ember.save({"w": t, "v": t[10:20]}, path)
    before = path.read_bytes()
    back = ember.load(path, mmap=True)
    assert isinstance(back["w"]._data.base, np.memmap) or isinstance(back["w"]._data, np.memmap)
    assert back["v"].tolist() == list(range(10, 20))
    back["w"][10] = -5.0  # copy-on-write: visible through the view, never written to the file
    assert back["v"][0].item() == -5.0 and path.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(before), mmap=True)


def test_big_endian_checkpoint(tmp_path):
    path = tmp_path / "be.pt"
    ember.save({"w": ember.tensor([1.0, -2.5]), "i": ember.tensor([1, 256], dtype=ember.int16)}, path)
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    swapped = {"be/data/0": np.float32, "be/data/1": np.int16}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in items:
            if name in swapped:
                data = np.frombuffer(data, swapped[name]).byteswap().tobytes()
            z.writestr(name, b"big" if name == "be/byteorder" else data)
    back = ember.load(path)
    assert back["w"].tolist() == [1.0, -2.5] and back["i"].tolist() == [1, 256]


def test_compressed_members_load(tmp_path):
    torch.save({"w": torch.arange(100.0)}, tmp_path / "t.pt")
    with zipfile.ZipFile(tmp_path / "t.pt") as z, zipfile.ZipFile(tmp_path / "d.pt", "w", zipfile.ZIP_DEFLATED) as d:
        for i in z.infolist():
            d.writestr(i.filename, z.read(i.filename))
    assert ember.load(tmp_path / "d.pt")["w"].tolist() == list(range(100))


def test_save_refuses_what_cannot_be_loaded(tmp_path):
    with pytest.raises(TypeError, match="state_dict"):
        ember.save(nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(TypeError, match="cannot write an object of type"):
        ember.save({"f": open}, tmp_path / "f.pt")
    with pytest.raises(TypeError, match="cannot write an object of type"):
        ember.save([object()], tmp_path / "o.pt")
    assert not list(tmp_path.iterdir())  # nothing half-written left behind


def test_save_replaces_atomically(tmp_path):
    path = tmp_path / "ck.pt"
    ember.save({"v": 1}, path)
    ember.save({"v": 2}, path)
    assert ember.load(path) == {"v": 2} and os.listdir(tmp_path) == ["ck.pt"]
    assert (path.stat().st_mode & 0o777) == (0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_interrupted_save_leaves_previous_checkpoint(tmp_path):
    path = tmp_path / "ck.pt"
    ember.save({"w": ember.arange(5.0)}, path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import numpy as np, ember
        big = {{f"w{{i}}": ember.tensor(np.full(1 << 21, i, np.float32)) for i in range(48)}}  # 384 MiB
        print("ready", flush=True)
        ember.save(big, {str(path)!r})
        print("finished", flush=True)
    """)
    root = str(pathlib.Path(ember.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # kill once the temporary file holds part of the checkpoint
            tmp = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if tmp and tmp[0].stat().st_size > (16 << 20):
                break
            time.sleep(0.0005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert tmp and tmp[0].stat().st_size < (384 << 20)  # the kill landed mid-write
    assert path.read_bytes() == before
    assert ember.load(path)["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
