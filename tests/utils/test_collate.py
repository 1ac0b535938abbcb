"""default_collate / default_convert against torch's on the same nested samples: structure, types, dtypes, values."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

Point = collections.namedtuple("Point", ["x", "y"])


class Custom(dict):
    """A MutableMapping subclass: collate copies it and keeps the type."""


def _samples(m, i: int) -> list:
    """The same nested samples built with m = torch or ember (index i varies the values)."""
    return [
        m.tensor([i, i + 1.5]),
        m.tensor([[i, 2 * i]], dtype=m.int32),
        m.tensor(i % 2 == 0),
        np.arange(3, dtype=np.float32) + i,
        np.array(i, dtype=np.int16),
        np.float64(i / 3), np.int64(i), np.int8(i), np.float32(i), np.bool_(i % 2), np.uint8(i),
        i, i / 7, i % 2 == 1,
        f"s{i}", bytes([65 + i]),
        {"a": m.tensor([i]), "b": {"c": i, "d": [i, f"t{i}"]}},
        Point(x=i, y=np.array([i, i], dtype=np.int32)),
        (i, i + 0.5),
        [m.tensor([i]), [i, i]],
        Custom(k=i),
    ]


def _same(e, t, where="batch"):
    """Assert an ember result mirrors torch's: same container types, tensors of the same dtype/shape/values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{where}: {type(e)}"
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{where}: {e.dtype} vs {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), where
        np.testing.assert_array_equal(e.numpy(), t.numpy(), err_msg=where)
        return
    assert type(e) is type(t), f"{where}: {type(e)} vs {type(t)}"
    if isinstance(t, dict):
        assert list(e) == list(t), where
        for k in t:
            _same(e[k], t[k], f"{where}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t), where
        for k, (a, b) in enumerate(zip(e, t)):
            _same(a, b, f"{where}[{k}]")
    elif isinstance(t, np.ndarray):
        np.testing.assert_array_equal(e, t)
    else:
        assert e == t, where


@pytest.mark.parametrize("field", range(len(_samples(torch, 0))))
def test_default_collate_matches_torch_per_type(field):
    batch_e = [_samples(ember, i)[field] for i in range(3)]
    batch_t = [_samples(torch, i)[field] for i in range(3)]
    _same(edata.default_collate(batch_e), tdata.default_collate(batch_t))


def test_default_collate_whole_nested_samples():
    _same(edata.default_collate([_samples(ember, i) for i in range(4)]),
          tdata.default_collate([_samples(torch, i) for i in range(4)]))
    dict_e = [{"x": _samples(ember, i)[0], "meta": _samples(ember, i)[16]} for i in range(2)]
    dict_t = [{"x": _samples(torch, i)[0], "meta": _samples(torch, i)[16]} for i in range(2)]
    _same(edata.default_collate(dict_e), tdata.default_collate(dict_t))


def test_python_float_collates_to_float64_and_int_to_int64():
    assert edata.default_collate([1.0, 2.0]).dtype == ember.float64
    assert edata.default_collate([1, 2]).dtype == ember.int64
    assert edata.default_collate([True, False]).dtype == ember.bool


@pytest.mark.parametrize("field", range(len(_samples(torch, 0))))
def test_default_convert_matches_torch(field):
    _same(edata.default_convert(_samples(ember, 2)[field]), tdata.default_convert(_samples(torch, 2)[field]))


def test_default_convert_shares_numpy_memory_and_keeps_string_arrays():
    a = np.zeros(3)
    t = edata.default_convert(a)
    a[0] = 5
    assert t[0].item() == 5
    s = np.array(["a", "b"])
    assert edata.default_convert(s) is s


@pytest.mark.parametrize("batch", [
    lambda m: [m.zeros(3), m.zeros(4)],
    lambda m: [[1, 2], [1, 2, 3]],
    lambda m: [np.zeros(2), np.zeros(3)],
    lambda m: [object(), object()],
    lambda m: [np.array(["a"]), np.array(["b"])],
    lambda m: [{"a": 1}, {"b": 2}],
])
def test_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as expected:
        tdata.default_collate(batch(torch))
    with pytest.raises(expected.type) as got:
        edata.default_collate(batch(ember))
    if expected.type is not KeyError:
        first = lambda s: str(s).split(" at 0x")[0]  # noqa: E731 (object reprs carry addresses)
        assert first(got.value) == first(expected.value)


def test_collate_fn_map_extension_as_in_torch():
    from ember.utils.data._utils.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    fn_map = {**default_collate_fn_map, Box: lambda batch, *, collate_fn_map: sum(b.v for b in batch)}
    out = collate([{"b": Box(1), "t": ember.tensor([1])}, {"b": Box(2), "t": ember.tensor([2])}],
                  collate_fn_map=fn_map)
    assert out["b"] == 3 and out["t"].tolist() == [[1], [2]]
