"""Factories against torch 2.13.0: values, dtypes, shapes and strides; data inference; memory sharing with NumPy."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle.core import torch_to_numpy


def _check(fn, values=True):
    """fn(m) must give the same result (or exception class) with m=ember and m=torch."""
    try:
        want = fn(torch)
    except Exception as t_err:
        with pytest.raises(Exception) as e_err:
            fn(ember)
        assert isinstance(e_err.value, type(t_err)) or type(e_err.value).__name__ == type(t_err).__name__, \
            f"torch raised {type(t_err).__name__}({t_err}), ember {type(e_err.value).__name__}({e_err.value})"
        return
    got = fn(ember)
    assert isinstance(got, ember.Tensor), type(got)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], (got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
    assert got.requires_grad == want.requires_grad
    if values:
        ev = got.detach().numpy().astype(np.float64)
        tv = torch_to_numpy(want).astype(np.float64)
        rtol = {"float16": 1e-3, "bfloat16": 1e-2}.get(str(want.dtype).split(".")[-1], 1e-6)
        np.testing.assert_allclose(ev, tv, rtol=rtol, atol=rtol)


DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _dt(m, name):
    return getattr(m, name)


CASES = {
    # linspace / logspace
    "linspace": lambda m: m.linspace(0, 10, 4),
    "linspace_tensors": lambda m: m.linspace(m.tensor(0.5), m.tensor(2.0), 7),
    "linspace_reverse": lambda m: m.linspace(3, -2, 11),
    "linspace_one": lambda m: m.linspace(2, 5, 1),
    "linspace_zero": lambda m: m.linspace(2, 5, 0),
    "linspace_big": lambda m: m.linspace(-1, 1, 1001),
    "linspace_requires_grad": lambda m: m.linspace(0, 1, 5, requires_grad=True),
    "linspace_out": lambda m: m.linspace(0, 1, 3, out=m.empty(0, dtype=m.float64)),
    "logspace": lambda m: m.logspace(0, 2, 3),
    "logspace_base2": lambda m: m.logspace(-2, 3, 6, base=2),
    "logspace_int": lambda m: m.logspace(-1, 3, 5, dtype=m.int64),
    "logspace_int_frac": lambda m: m.logspace(0, 1, 5, dtype=m.int64),
    # eye / empty_strided / tri indices
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 4, dtype=m.int64),
    "eye_tall": lambda m: m.eye(4, 2),
    "eye_empty": lambda m: m.eye(0),
    "eye_bool": lambda m: m.eye(2, dtype=m.bool),
    "eye_out": lambda m: m.eye(3, out=m.empty(0, dtype=m.int64)),
    "tril_indices": lambda m: m.tril_indices(3, 3),
    "tril_indices_offset": lambda m: m.tril_indices(3, 4, 1),
    "tril_indices_neg": lambda m: m.tril_indices(4, 3, -1),
    "tril_indices_int32": lambda m: m.tril_indices(3, 3, dtype=m.int32),
    "triu_indices": lambda m: m.triu_indices(3, 3),
    "triu_indices_offset": lambda m: m.triu_indices(3, 4, -1),
    "triu_indices_big_offset": lambda m: m.triu_indices(4, 3, 2),
    "triu_indices_empty": lambda m: m.triu_indices(0, 3),
    "triu_indices_beyond": lambda m: m.triu_indices(3, 3, 5),
    # arange
    "arange": lambda m: m.arange(5),
    "arange_float_end": lambda m: m.arange(5.0),
    "arange_float_step": lambda m: m.arange(0, 1, 0.1),
    "arange_float_step_f64": lambda m: m.arange(0, 1, 0.1, dtype=m.float64),
    "arange_half": lambda m: m.arange(-1, 1, 0.1, dtype=m.float16),
    "arange_bf16": lambda m: m.arange(-1, 1, 0.1, dtype=m.bfloat16),
    "arange_inclusive_rounding": lambda m: m.arange(1, 2.5, 0.5),
    "arange_negative_step": lambda m: m.arange(10, 0, -3),
    "arange_empty": lambda m: m.arange(0, 0),
    "arange_int64_truncates": lambda m: m.arange(0.5, 4.6, 1.5, dtype=m.int64),
    "arange_int64_truncates_size": lambda m: m.arange(0.5, 4.6, 1, dtype=m.int64),
    "arange_int32_double_size": lambda m: m.arange(0.5, 4.6, 1, dtype=m.int32),
    "arange_int32_zero_step": lambda m: m.arange(0, 1, 0.3, dtype=m.int32),
    "arange_uint8_wraps": lambda m: m.arange(0, 300, dtype=m.uint8),
    "arange_tensor": lambda m: m.arange(m.tensor(5)),
    "arange_tensor_float": lambda m: m.arange(m.tensor(5.0)),
    "arange_numpy_scalar": lambda m: m.arange(np.int64(5)),
    "arange_numpy_float": lambda m: m.arange(np.float32(5)),
    "arange_bool_start": lambda m: m.arange(True, 5),
    "arange_large": lambda m: m.arange(2 ** 53, 2 ** 53 + 5),
    "arange_out": lambda m: m.arange(0, 5, 1.5, out=m.zeros(2, dtype=m.int32)),
    "arange_requires_grad": lambda m: m.arange(0.0, 3.0, requires_grad=True),
    # filled
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3)),
    "zeros_list": lambda m: m.zeros([2, 3], dtype=m.int32),
    "zeros_size": lambda m: m.zeros(m.ones(2, 3).shape),
    "zeros_scalar": lambda m: m.zeros(()),
    "zeros_empty_list": lambda m: m.zeros([]),
    "zeros_numpy_int": lambda m: m.zeros(np.int64(3)),
    "zeros_out_keeps_dtype": lambda m: m.zeros(3, out=m.zeros(2, dtype=m.int64)),
    "ones_requires_grad": lambda m: m.ones(2, requires_grad=True),
    "ones_bool": lambda m: m.ones(2, 2, dtype=m.bool),
    "full_bool": lambda m: m.full((2,), True),
    "full_int": lambda m: m.full((2,), 3),
    "full_float": lambda m: m.full((2,), 3.0),
    "full_numpy_float": lambda m: m.full((2,), np.float64(3.5)),
    "full_numpy_int": lambda m: m.full((2,), np.int32(3)),
    "full_tensor_int": lambda m: m.full((2,), m.tensor(3)),
    "full_tensor_double": lambda m: m.full((2,), m.tensor(3.5, dtype=m.float64)),
    "full_scalar": lambda m: m.full([], 3.0),
    "full_truncates": lambda m: m.full((2,), 3.5, dtype=m.int64),
    "full_negative_uint8_wraps": lambda m: m.full((2,), -1, dtype=m.uint8),
    "full_bool_from_float": lambda m: m.full((2,), 2.5, dtype=m.bool),
    "full_out": lambda m: m.full((2,), 1.5, out=m.empty(0, dtype=m.int64)),
    "full_inf": lambda m: m.full((2,), float("inf")),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, 3, dtype=m.int32)),
    "ones_like_dtype": lambda m: m.ones_like(m.ones(2), dtype=m.int64),
    "full_like": lambda m: m.full_like(m.ones(2, dtype=m.int64), 2.7),
    "full_like_wraps": lambda m: m.full_like(m.ones(2, dtype=m.uint8), -1),
    "full_like_requires_grad": lambda m: m.full_like(m.ones(2), 2.0, requires_grad=True),
    "new_full": lambda m: m.ones(2, dtype=m.int64).new_full((3,), 2.5),
    "new_zeros": lambda m: m.ones(2, dtype=m.int64).new_zeros(2, 3),
    "new_ones_dtype": lambda m: m.ones(2).new_ones((2,), dtype=m.float64),
    "new_tensor": lambda m: m.ones(2, dtype=m.int64).new_tensor([1.5]),
    # tensor(): inference and checks
    "tensor_floats": lambda m: m.tensor([1.5, 2.0]),
    "tensor_ints": lambda m: m.tensor([[1, 2], [3, 4]]),
    "tensor_bools": lambda m: m.tensor([True, False]),
    "tensor_mixed_int_float": lambda m: m.tensor([1, 2.5]),
    "tensor_mixed_bool_int": lambda m: m.tensor([True, 1]),
    "tensor_mixed_bool_float": lambda m: m.tensor([True, 1.0]),
    "tensor_scalar_float": lambda m: m.tensor(1.5),
    "tensor_scalar_int": lambda m: m.tensor(-2 ** 63),
    "tensor_empty": lambda m: m.tensor([]),
    "tensor_empty_nested": lambda m: m.tensor([[]]),
    "tensor_tuple": lambda m: m.tensor((1, 2)),
    "tensor_range": lambda m: m.tensor(range(3)),
    "tensor_big_float": lambda m: m.tensor(1e300),
    "tensor_numpy_scalar64": lambda m: m.tensor(np.float64(1.0)),
    "tensor_numpy_scalar32": lambda m: m.tensor(np.float32(1.0)),
    "tensor_numpy_int32": lambda m: m.tensor(np.int32(1)),
    "tensor_list_numpy_scalars": lambda m: m.tensor([np.int32(1), np.int32(2)]),
    "tensor_list_numpy_half": lambda m: m.tensor([np.float16(1.0), 2]),
    "tensor_list_numpy_f32_float": lambda m: m.tensor([np.float32(1.0), 2.5]),
    "tensor_list_0d_tensors": lambda m: m.tensor([m.tensor(1.0), m.tensor(2.0)]),
    "tensor_list_int32_tensors": lambda m: m.tensor([m.tensor(1, dtype=m.int32), m.tensor(2, dtype=m.int32)]),
    "tensor_list_int32_tensor_int": lambda m: m.tensor([m.tensor(1, dtype=m.int32), 2]),
    "tensor_list_int32_tensor_bool": lambda m: m.tensor([m.tensor(1, dtype=m.int32), True]),
    "tensor_list_int32_tensor_float": lambda m: m.tensor([m.tensor(1, dtype=m.int32), 2.5]),
    "tensor_list_double_tensor_float": lambda m: m.tensor([m.tensor(1.0, dtype=m.float64), 2.5]),
    "tensor_list_one_element_tensors": lambda m: m.tensor([m.tensor([1.0]), m.tensor([2.0])]),
    "tensor_nested_0d_tensors": lambda m: m.tensor([[m.tensor(1.0)], [m.tensor(2.0)]]),
    "tensor_list_of_arrays": lambda m: m.tensor([np.array([1, 2], dtype=np.int32)] * 2),
    "tensor_numpy_array_int32": lambda m: m.tensor(np.array([1, 2], dtype=np.int32)),
    "tensor_numpy_float64": lambda m: m.tensor(np.array([1.0, 2.0])),
    "tensor_numpy_strided": lambda m: m.tensor(np.arange(10.0)[::3]),
    "tensor_numpy_negative_strides": lambda m: m.tensor(np.arange(5)[::-1]),
    "tensor_numpy_byteorder": lambda m: m.tensor(np.array([1, 2], dtype=">i4")),
    "tensor_numpy_wraps": lambda m: m.tensor(np.array([300]), dtype=m.uint8),
    "tensor_float_to_int": lambda m: m.tensor([1.5, 2.7], dtype=m.int64),
    "tensor_float_to_uint8_ok": lambda m: m.tensor([2.9], dtype=m.uint8),
    "tensor_negative_float_uint8": lambda m: m.tensor([-0.5], dtype=m.uint8),
    "tensor_float_uint8_overflow": lambda m: m.tensor([255.9], dtype=m.uint8),
    "tensor_negative_int_uint8_wraps": lambda m: m.tensor([-1], dtype=m.uint8),
    "tensor_int8_overflow": lambda m: m.tensor([-129], dtype=m.int8),
    "tensor_int32_overflow": lambda m: m.tensor([1e10], dtype=m.int32),
    "tensor_int_to_bool": lambda m: m.tensor([1, 2, 0], dtype=m.bool),
    "tensor_half_overflow_is_inf": lambda m: m.tensor([1e10], dtype=m.float16),
    "tensor_of_tensor": lambda m: m.tensor(m.tensor([1, 2]).detach().clone()),
    "tensor_requires_grad": lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    "tensor_mixed_overflow": lambda m: m.tensor([-1, 2 ** 63]),
    "tensor_huge_int": lambda m: m.tensor([2 ** 64]),
    "as_tensor_list": lambda m: m.as_tensor([1, 2.0]),
    "as_tensor_numpy_dtype": lambda m: m.as_tensor(np.array([1, 2]), dtype=m.float32),
    "as_tensor_tensor_dtype": lambda m: m.as_tensor(m.ones(2), dtype=m.float64),
    "asarray_list": lambda m: m.asarray([1, 2.0]),
    "asarray_scalar": lambda m: m.asarray(3.5),
    "asarray_numpy_copy": lambda m: m.asarray(np.array([1, 2]), copy=True),
    "asarray_numpy_dtype": lambda m: m.asarray(np.array([1, 2]), dtype=m.int32),
    "asarray_numpy_alias_dtype": lambda m: m.asarray(np.array([1, 2]), dtype=m.int32, copy=False),
    "asarray_tensors_in_list": lambda m: m.asarray([m.tensor(1.0), 2]),
    "from_numpy_strided": lambda m: m.from_numpy(np.arange(5.0)[::2]),
    "from_numpy_scalar": lambda m: m.from_numpy(np.array(5.0)),
    "from_numpy_negative_strides": lambda m: m.from_numpy(np.arange(5)[::-1]),
    "from_numpy_byteorder": lambda m: m.from_numpy(np.array([1, 2], dtype=">i4")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    _check(CASES[name])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn", [
    ("linspace", lambda m, d: m.linspace(-3, 10, 6, dtype=d)),
    ("linspace_frac", lambda m, d: m.linspace(0.2, 7.7, 9, dtype=d)),
    ("linspace_down", lambda m, d: m.linspace(10, 0, 7, dtype=d)),
    ("linspace_long", lambda m, d: m.linspace(0, 100, 50, dtype=d)),
    ("logspace", lambda m, d: m.logspace(0, 2, 5, dtype=d)),
    ("logspace_base", lambda m, d: m.logspace(-1, 3, 5, base=2, dtype=d)),
    ("arange", lambda m, d: m.arange(0, 7, dtype=d)),
    ("arange_step", lambda m, d: m.arange(1, 20, 3, dtype=d)),
    ("arange_float_step", lambda m, d: m.arange(0, 3, 0.25, dtype=d)),
    ("eye", lambda m, d: m.eye(3, 4, dtype=d)),
    ("zeros", lambda m, d: m.zeros(2, 3, dtype=d)),
    ("ones", lambda m, d: m.ones(4, dtype=d)),
    ("full", lambda m, d: m.full((2, 2), 1, dtype=d)),
    ("tensor", lambda m, d: m.tensor([[0, 1], [1, 0]], dtype=d)),
    ("tensor_floats", lambda m, d: m.tensor([0.0, 1.0, 2.5], dtype=d)),
    ("zeros_like", lambda m, d: m.zeros_like(m.ones(2, 3), dtype=d)),
    ("tril_indices", lambda m, d: m.tril_indices(4, 3, dtype=d)),
])
def test_dtypes(name, fn, dtype):
    _check(lambda m: fn(m, _dt(m, dtype)))


@pytest.mark.parametrize("name,fn", [
    ("empty", lambda m: m.empty(2, 3)),
    ("empty_dtype", lambda m: m.empty((0, 4), dtype=m.int16)),
    ("empty_like", lambda m: m.empty_like(m.ones(2, 3, dtype=m.float64))),
    ("empty_strided", lambda m: m.empty_strided((2, 3), (1, 2))),
    ("empty_strided_zero", lambda m: m.empty_strided((2, 3), (0, 1), dtype=m.int64)),
    ("new_empty", lambda m: m.ones(2, dtype=m.int64).new_empty((2, 3))),
])
def test_uninitialised(name, fn):
    _check(fn, values=False)
    got, want = fn(ember), fn(torch)
    assert got.stride() == want.stride()


@pytest.mark.parametrize("fn", [ember.zeros_like, ember.ones_like, ember.empty_like, ember.rand_like,
                                lambda x: ember.full_like(x, 2.0)])
def test_like_keeps_strides(fn):
    x = ember.ones(3, 4).t()
    assert fn(x).stride() == torch.ones(3, 4).t().stride() == (1, 4)


def test_empty_strided_shares_storage_like_torch():
    t = ember.empty_strided((2, 3), (0, 1))
    t[0] = ember.tensor([1.0, 2.0, 3.0])
    assert t.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_arange_float_values_bitwise():
    """torch computes float32 ranges in double and rounds once: the values agree to the last bit."""
    for args in [(0, 1, 0.1), (-3, 7, 0.7), (0.5, 2.5, 0.3)]:
        got = ember.arange(*args).numpy()
        want = torch.arange(*args).numpy()
        assert got.shape == want.shape and (got == want).all(), args


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6.0).reshape(2, 3)
    t = ember.from_numpy(a)
    a[0, 0] = 100.0
    assert t[0, 0].item() == 100.0
    t[1, 2] = -1.0
    assert a[1, 2] == -1.0
    assert t.dtype is ember.float64


@pytest.mark.parametrize("make", [lambda a: ember.as_tensor(a), lambda a: ember.asarray(a),
                                  lambda a: ember.as_tensor(a, dtype=ember.int32)])
def test_as_tensor_shares_memory(make):
    a = np.array([1, 2, 3], dtype=np.int32)
    t = make(a)
    a[0] = 7
    t[2] = 9
    assert t.tolist() == [7, 2, 9] and a.tolist() == [7, 2, 9]


@pytest.mark.parametrize("make", [lambda a: ember.tensor(a), lambda a: ember.as_tensor(a, dtype=ember.float32),
                                  lambda a: ember.asarray(a, copy=True)])
def test_copies_do_not_share(make):
    a = np.array([1, 2, 3], dtype=np.int32)
    t = make(a)
    a[0] = 7
    assert t.tolist()[0] == 1


def test_as_tensor_returns_same_tensor():
    x = ember.ones(3)
    assert ember.as_tensor(x) is x and ember.asarray(x) is x


def test_asarray_requires_grad_follows_torch():
    x = ember.tensor([1.0, 2.0])
    r = ember.asarray(x, requires_grad=True)
    tx = torch.tensor([1.0, 2.0])
    tr = torch.asarray(tx, requires_grad=True)
    assert (r is x) == (tr is tx) and r.requires_grad == tr.requires_grad and x.requires_grad == tx.requires_grad


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_set_default_dtype(default):
    fns = [lambda m: m.tensor([1.5]), lambda m: m.tensor(2.0), lambda m: m.zeros(2), lambda m: m.ones(1),
           lambda m: m.empty(1), lambda m: m.full((1,), 1.0), lambda m: m.arange(0.0, 2.0),
           lambda m: m.linspace(0, 1, 3), lambda m: m.logspace(0, 1, 3), lambda m: m.eye(2),
           lambda m: m.rand(2), lambda m: m.randn(2), lambda m: m.tensor([1, 2]) * 1.5,
           lambda m: m.tensor([m.tensor(1.0, dtype=m.float32)]), lambda m: m.tensor(np.float32(1)),
           lambda m: m.full((1,), 1), lambda m: m.arange(3), lambda m: m.normal(0.0, 1.0, (2,))]
    try:
        ember.set_default_dtype(getattr(ember, default))
        torch.set_default_dtype(getattr(torch, default))
        for fn in fns:
            got, want = fn(ember), fn(torch)
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)
