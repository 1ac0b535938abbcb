"""The Tensor's own API (metadata, conversion, devices, legacy types, Size, pickling), compared with torch."""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember

BOTH = pytest.mark.parametrize("m", [ember, torch], ids=["ember", "torch"])


def same_dtype(e, t) -> bool:
    return repr(e) == repr(t).replace("torch.", "ember.")


def raises_like(fn_e, fn_t):
    """Both raise, with the same exception class; returns the ember exception."""
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(Exception) as ee:
        fn_e()
    assert type(ee.value) is type(te.value), (ee.value, te.value)
    return ee.value


DATA = [3, 2.5, True, [1, 2], [1.0, 2], [True, False], [[1, 2], [3, 4]], [], [[]], [[1.5], [2]], np.float64(2.0),
        np.int32(3), np.array([1, 2], dtype=np.int16), np.array([1.0], dtype=np.float16), [np.float32(1), 2]]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_inference(data):
    e, t = ember.tensor(data), torch.tensor(data)
    assert same_dtype(e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.tolist() == t.tolist()


def test_tensor_from_tensors_and_ragged():
    assert ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]).tolist() == [1.0, 2.0]
    raises_like(lambda: ember.tensor([[1, 2], [3]]), lambda: torch.tensor([[1, 2], [3]]))


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
def test_metadata(shape, dtype):
    e, t = ember.zeros(shape, dtype=getattr(ember, dtype)), torch.zeros(shape, dtype=getattr(torch, dtype))
    assert e.shape == t.shape and e.size() == t.size() and isinstance(e.shape, ember.Size)
    assert (e.ndim, e.dim(), e.numel(), e.element_size(), e.nbytes, e.itemsize) == \
        (t.ndim, t.dim(), t.numel(), t.element_size(), t.nbytes, t.itemsize)
    for d in range(-len(shape), len(shape)):
        assert e.size(d) == t.size(d) and e.stride(d) == t.stride(d)
    assert e.stride() == t.stride()
    assert e.is_floating_point() == t.is_floating_point() == ember.is_floating_point(e)
    assert e.is_contiguous() and e.storage_offset() == 0


def test_size_dim_errors():
    raises_like(lambda: ember.zeros(2, 3).size(2), lambda: torch.zeros(2, 3).size(2))
    raises_like(lambda: ember.zeros(2, 3).size(-3), lambda: torch.zeros(2, 3).size(-3))
    for d in (0, -1, 1):
        raises_like(lambda: ember.tensor(1.0).size(d), lambda: torch.tensor(1.0).size(d))


def test_item():
    assert ember.tensor(3.5).item() == 3.5 and ember.tensor([[7]]).item() == 7 and type(ember.tensor([7]).item()) is int
    assert ember.tensor(True).item() is True
    assert ember.tensor(1.5, dtype=ember.bfloat16).item() == torch.tensor(1.5, dtype=torch.bfloat16).item()
    for data in ([1, 2], []):
        raises_like(lambda: ember.tensor(data).item(), lambda: torch.tensor(data).item())


@pytest.mark.parametrize("data", [[[1.5, 2], [3, 4]], 2.5, [True], [[1, 2]], []], ids=repr)
def test_tolist(data):
    e, t = ember.tensor(data), torch.tensor(data)
    assert e.tolist() == t.tolist()
    assert type(e.tolist()) is type(t.tolist())


def test_numpy_shares_memory():
    e = ember.zeros(3)
    a = e.numpy()
    a[0] = 5
    assert e.tolist() == [5, 0, 0]
    e.add_(1)
    assert a.tolist() == [6, 1, 1]
    view = ember.arange(6.0).reshape(2, 3).t()
    assert np.shares_memory(view.numpy(), view._data)
    raises_like(lambda: ember.ones(2, requires_grad=True).numpy(), lambda: torch.ones(2, requires_grad=True).numpy())
    assert ember.ones(2, requires_grad=True).detach().numpy().tolist() == [1, 1]


def test_from_numpy_and_array_protocol():
    a = np.zeros((2, 2), np.float32)
    e = ember.from_numpy(a)
    a[0, 0] = 3
    assert e[0, 0].item() == 3
    e[1, 1] = 4
    assert a[1, 1] == 4
    assert e.dtype is ember.float32 and ember.from_numpy(np.arange(3)).dtype is ember.int64
    raises_like(lambda: ember.from_numpy([1, 2]), lambda: torch.from_numpy([1, 2]))
    raises_like(lambda: ember.from_numpy(np.zeros(2, object)), lambda: torch.from_numpy(np.zeros(2, object)))
    with pytest.raises(TypeError):  # documented gap: ember has no complex or uint16/32/64 dtypes
        ember.from_numpy(np.zeros(2, np.complex64))
    t = ember.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32 and np.shares_memory(np.asarray(t), t._data)
    assert np.asarray(t, dtype=np.float64).tolist() == [1.0, 2.0]
    assert np.add(np.ones(2), np.asarray(t)).tolist() == [2.0, 3.0]
    assert np.shares_memory(np.asarray(t, dtype=np.float32), t._data)
    c = np.array(t)
    c[0] = 9
    assert t.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("data", [2.5, [3.0], [[1]], 0, [True], [1, 2], [], [2.5]], ids=repr)
def test_python_conversions(data):
    e, t = ember.tensor(data), torch.tensor(data)
    for fn in (bool, int, float, len, lambda x: list(iter(x)), lambda x: x.__index__(), lambda x: [10, 20, 30][x]):
        try:
            want = fn(t)
        except Exception as err:
            with pytest.raises(type(err)):
                fn(e)
            continue
        got = fn(e)
        if isinstance(want, list):
            assert [g.tolist() for g in got] == [w.tolist() for w in want]
        else:
            assert got == want and type(got) is type(want)


def test_autograd_state_and_data():
    for m in (ember, torch):
        x = m.ones(2, requires_grad=True)
        y = x * 2
        assert (x.is_leaf, y.is_leaf, x.requires_grad, y.requires_grad) == (True, False, True, True)
        assert x.grad_fn is None and type(y.grad_fn).__name__ == "MulBackward0"
        d = y.data
        assert d.is_leaf and not d.requires_grad and d.grad_fn is None
        d[0] = 7  # shares memory with y
        assert y[0].item() == 7
        x.data = m.zeros(3)
        assert x.shape == (3,) and x.requires_grad and x.is_leaf
        z = m.ones(2)
        assert z.is_leaf and not z.requires_grad
    raises_like(lambda: setattr(ember.ones(2), "data", [1]), lambda: setattr(torch.ones(2), "data", [1]))
    raises_like(lambda: ember.ones(2, dtype=ember.int64).requires_grad_(),
                lambda: torch.ones(2, dtype=torch.int64).requires_grad_())


def test_to():
    e, t = ember.ones(2), torch.ones(2)
    for args, kwargs in [((ember.float64,), {}), (("cpu", ember.float64), {}), (("cpu",), {"dtype": ember.int32}),
                         ((), {"dtype": ember.float16}), ((ember.device("cpu"),), {}), ((ember.tensor([1]),), {}),
                         ((ember.zeros(1, dtype=ember.float64),), {})]:
        targs = [getattr(torch, repr(a)[6:]) if isinstance(a, ember.dtype) else
                 torch.tensor(a.tolist(), dtype=getattr(torch, repr(a.dtype)[6:])) if isinstance(a, ember.Tensor) else
                 torch.device(str(a)) if isinstance(a, ember.device) else a for a in args]
        tkw = {k: getattr(torch, repr(v)[6:]) for k, v in kwargs.items()}
        assert same_dtype(e.to(*args, **kwargs).dtype, t.to(*targs, **tkw).dtype), args
    assert e.to("cpu") is e and e.to(ember.float32) is e and e.cpu() is e
    assert e.to(ember.float32, copy=True) is not e
    c = e.to(ember.float64)
    assert c.tolist() == [1.0, 1.0] and not np.shares_memory(c._data, e._data)
    assert e.to(device="cpu") is e


def test_cuda_raises_with_reason():
    reason = ember.backends.cuda.unavailable_reason()
    if reason is None:
        pytest.skip("a GPU is usable here")
    for fn in (lambda: ember.ones(2).cuda(), lambda: ember.ones(2).to("cuda"), lambda: ember.ones(2, device="cuda"),
               lambda: ember.ones(2).to("cuda:1")):
        with pytest.raises(RuntimeError, match="CUDA is not available: .*CuPy"):
            fn()


def test_device():
    d = ember.device("cuda", 1)
    assert repr(d) == repr(torch.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert d == ember.device("cuda:1") and d != ember.device("cuda") and d != ember.device("cpu")
    assert repr(ember.device("cpu")) == repr(torch.device("cpu")) and str(d) == "cuda:1"
    assert (d.type, d.index) == ("cuda", 1) and ember.device("cuda").index is None
    assert ember.device(ember.device("cpu")) == ember.device("cpu")
    # documented difference: torch.device("cpu") == "cpu" is False, ember compares devices with strings
    assert ember.device("cpu") == "cpu" and ember.device("cuda:1") == "cuda:1" and ember.device("cpu") != "cuda"
    assert hash(ember.device("cuda:0")) == hash(ember.device("cuda", 0))
    assert pickle.loads(pickle.dumps(d)) == d
    assert ember.ones(1).device == ember.device("cpu") and ember.ones(1).device.type == "cpu"
    for bad in ("gpu", "cuda:x", "cpu:0:1"):
        raises_like(lambda: ember.device(bad), lambda: torch.device(bad))
    raises_like(lambda: ember.device("cuda:1", 1), lambda: torch.device("cuda:1", 1))


CASTS = ["float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool"]


@pytest.mark.parametrize("name", CASTS)
def test_cast_methods(name):
    e, t = ember.tensor([0.0, 1.5, 2.0]), torch.tensor([0.0, 1.5, 2.0])
    ec, tc = getattr(e, name)(), getattr(t, name)()
    assert same_dtype(ec.dtype, tc.dtype) and ec.tolist() == tc.tolist()
    assert ec.type() == tc.type()
    assert getattr(ec, name)() is ec


LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor", "ShortTensor",
          "IntTensor", "LongTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_types(name):
    E, T = getattr(ember, name), getattr(torch, name)
    assert E(2, 3).shape == (2, 3) and E(ember.Size([4, 1])).shape == (4, 1) and E().shape == (0,)
    assert same_dtype(E(2).dtype, T(2).dtype)
    assert E([1, 0]).tolist() == T([1, 0]).tolist()
    x = ember.ones(2)
    assert x.type(f"torch.{name}").type() == f"torch.{name}" and x.type(E).type() == f"torch.{name}"
    assert isinstance(x.type(E), E) and isinstance(x.type(E), ember.Tensor)
    assert isinstance(x, E) == isinstance(torch.ones(2), T)
    raises_like(lambda: E(3.5), lambda: T(3.5))


def test_type_and_type_as():
    x = ember.ones(2)
    assert x.type() == "torch.FloatTensor" == torch.ones(2).type()
    assert x.type(ember.float64).dtype is ember.float64
    assert x.type("torch.DoubleTensor").dtype is ember.float64
    assert x.type_as(ember.tensor([1])).dtype is ember.int64
    with pytest.raises(ValueError):
        x.type("torch.NotATensor")
    with pytest.raises(RuntimeError, match="CUDA"):
        x.type("torch.cuda.FloatTensor")


def test_legacy_tensor_constructor():
    assert ember.Tensor(2, 3).shape == (2, 3) and ember.Tensor(2, 3).dtype is ember.float32
    assert ember.Tensor([1, 2]).tolist() == [1.0, 2.0] and ember.Tensor().shape == (0,)
    assert ember.Tensor((2, 3)).tolist() == torch.Tensor((2, 3)).tolist()


def test_size():
    s = ember.Size([2, 3])
    assert isinstance(s, tuple) and s == (2, 3) and repr(s) == "ember.Size([2, 3])"  # torch: torch.Size([2, 3])
    assert repr(torch.Size([2, 3])).replace("torch.", "ember.") == repr(s)
    assert s.numel() == 6 and ember.Size([]).numel() == 1 and repr(ember.Size()) == "ember.Size([])"
    assert type(s[1:]) is ember.Size and type(s[0]) is int and s[-1] == 3
    assert type(s + (4,)) is ember.Size and type((1,) + s) is ember.Size and (1,) + s == (1, 2, 3)
    assert ember.Size([ember.tensor(2), np.int64(3)]) == (2, 3)
    raises_like(lambda: ember.Size([2.5]), lambda: torch.Size([2.5]))
    assert pickle.loads(pickle.dumps(s)) == s and type(pickle.loads(pickle.dumps(s))) is ember.Size
    assert ember.zeros(s).shape == s and ember.ones(2, 3).view(s).shape == s


class Tagged(ember.Tensor):
    pass


def test_subclass():
    t = Tagged([1.0, 2.0])
    t.tag = "x"
    assert type(t) is Tagged and t.tag == "x" and isinstance(t, ember.Tensor)
    assert type(t * 2) is ember.Tensor and type(t + t) is ember.Tensor  # torch keeps the subclass
    assert (t * 2).tolist() == [2.0, 4.0]
    p = ember.Tensor._make_subclass(Tagged, ember.ones(2), True)
    assert type(p) is Tagged and p.requires_grad and p.is_leaf
    (p * 3).sum().backward()
    assert p.grad.tolist() == [3.0, 3.0]
    c = copy.deepcopy(t)
    assert type(c) is Tagged and c.tag == "x" and c.tolist() == t.tolist()
    u = pickle.loads(pickle.dumps(t))
    assert type(u) is Tagged and u.tag == "x"
    assert repr(t) == "Tagged([1., 2.])"


def test_variable_returns_tensor():
    v = ember.autograd.Variable(ember.ones(2), requires_grad=True)
    assert type(v) is ember.Tensor and v.requires_grad


def test_strides_and_views():
    for m in (ember, torch):
        y = m.ones(3, 4)
        z = y.t()
        assert y.is_contiguous() and not z.is_contiguous() and z.stride() == (1, 4)
        c = z.contiguous()
        assert c.is_contiguous() and c.stride() == (3, 1) and c.data_ptr() != y.data_ptr()
        assert y.contiguous() is y
        assert y[1:].storage_offset() == 4 and y[1:, 2].storage_offset() == 6 and y[:, 1].stride() == (4,)
        assert y[1:].data_ptr() - y.data_ptr() == 4 * y.element_size()
        assert y[::2, ::2].stride() == (8, 2)
        assert y.view(12).data_ptr() == y.data_ptr()
    x = ember.ones(3, 4, requires_grad=True)
    x.t().contiguous().sum().backward()
    assert x.grad.shape == (3, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "uint8", "bool"])
def test_pickle_and_deepcopy(dtype):
    dt = getattr(ember, dtype)
    x = ember.tensor([[1, 0], [2, 3]], dtype=dt)
    if x.is_floating_point():
        x.requires_grad_()
        x.grad = ember.ones(2, 2, dtype=dt)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.dtype is dt and y.tolist() == x.tolist() and y.requires_grad == x.requires_grad and y.is_leaf
        assert not np.shares_memory(y._data, x._data)
    d = copy.deepcopy(x)
    if x.is_floating_point():
        assert d.grad.tolist() == [[1, 1], [1, 1]]
    view = x.detach()[:, 1]
    assert pickle.loads(pickle.dumps(view)).tolist() == view.tolist()
    if x.is_floating_point():
        raises_like(lambda: copy.deepcopy(x * 2), lambda: copy.deepcopy(torch.ones(2, requires_grad=True) * 2))


def test_deepcopy_shares_memo():
    a = ember.ones(2)
    pair = copy.deepcopy([a, a])
    assert pair[0] is pair[1]


def test_is_tensor_and_is_floating_point():
    assert ember.is_tensor(ember.ones(1)) and not ember.is_tensor(1) and not ember.is_tensor(np.ones(1))
    assert ember.is_floating_point(ember.ones(1)) and not ember.is_floating_point(ember.ones(1, dtype=ember.int32))
    assert ember.is_floating_point(ember.ones(1, dtype=ember.bfloat16))
    raises_like(lambda: ember.is_floating_point(1.0), lambda: torch.is_floating_point(1.0))
