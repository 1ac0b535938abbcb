"""dtype objects, promotion, casting and limits, compared with torch."""
import copy
import itertools
import pickle

import pytest
import torch

import ember

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))


def E(name):
    return getattr(ember, name)


def T(name):
    return getattr(torch, name)


def same(e, t) -> bool:
    return repr(e) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types(a, b):
    assert same(ember.promote_types(E(a), E(b)), torch.promote_types(T(a), T(b)))


@pytest.mark.parametrize("a,b", PAIRS)
def test_can_cast(a, b):
    assert ember.can_cast(E(a), E(b)) == torch.can_cast(T(a), T(b))


def _operands(m, name):
    """A dim tensor, a zero-dim tensor of dtype `name`; the torch version needs the same values."""
    dt = getattr(m, name)
    return [("dim", m.ones(2, dtype=dt)), ("zero", m.ones((), dtype=dt))]


SCALARS = [("bool", True), ("int", 2), ("float", 1.5)]


def _cases():
    for a, b in PAIRS:
        for (ka, _), (kb, _) in itertools.product(_operands(ember, a), _operands(ember, b)):
            yield f"{ka}-{a}-{kb}-{b}"
    for a in NAMES:
        for ka in ("dim", "zero"):
            for ks, _ in SCALARS:
                yield f"{ka}-{a}-py-{ks}"


def _build(m, case):
    ka, a, kb, b = case.split("-")
    x = dict(_operands(m, a))[ka]
    y = dict(SCALARS)[b] if kb == "py" else dict(_operands(m, b))[kb]
    return x, y


@pytest.mark.parametrize("case", list(_cases()))
def test_result_type_and_add(case):
    ex, ey = _build(ember, case)
    tx, ty = _build(torch, case)
    assert same(ember.result_type(ex, ey), torch.result_type(tx, ty))
    assert same(ember.result_type(ey, ex), torch.result_type(ty, tx))
    assert same(ember.add(ex, ey).dtype, torch.add(tx, ty).dtype)
    assert same((ex * ey).dtype, (tx * ty).dtype)
    assert same((ey * ex).dtype, (ty * tx).dtype)


@pytest.mark.parametrize("a", NAMES)
def test_true_division_and_comparisons(a):
    ex, tx = ember.ones(3, dtype=E(a)), torch.ones(3, dtype=T(a))
    assert same((ex / ex).dtype, (tx / tx).dtype)
    assert same((ex / 2).dtype, (tx / 2).dtype)
    for op in (lambda x: x < x, lambda x: x == 1, lambda x: x >= 0.5, lambda x: x != x[0]):
        assert op(ex).dtype is ember.bool and same(op(ex).dtype, op(tx).dtype)


def test_int_division_is_float():
    assert (ember.tensor([3]) / ember.tensor([2])).tolist() == [1.5]
    assert (ember.tensor([3]) / 2).dtype is ember.float32


FIELDS_F = ["eps", "max", "min", "tiny", "bits", "resolution", "smallest_normal"]


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo(name):
    e, t = ember.finfo(E(name)), torch.finfo(T(name))
    for f in FIELDS_F:
        assert getattr(e, f) == getattr(t, f), f
    assert e.dtype == t.dtype
    assert repr(e) == repr(t)


def test_finfo_default_and_errors():
    assert ember.finfo().eps == torch.finfo().eps
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    if name == "bool":
        with pytest.raises(TypeError):
            torch.iinfo(torch.bool)
        with pytest.raises(TypeError):
            ember.iinfo(ember.bool)
        return
    e, t = ember.iinfo(E(name)), torch.iinfo(T(name))
    for f in ("bits", "max", "min", "dtype"):
        assert getattr(e, f) == getattr(t, f), f
    assert repr(e) == repr(t)


@pytest.mark.parametrize("d", ["float64", "float16", "bfloat16"])
def test_default_dtype_changes_float_promotion(d):
    try:
        ember.set_default_dtype(E(d))
        torch.set_default_dtype(T(d)) if d != "bfloat16" else None
        assert ember.get_default_dtype() is E(d)
        assert (ember.ones(2, dtype=ember.int32) * 1.5).dtype is E(d)
        assert ember.tensor([1.5]).dtype is E(d)
        assert ember.ones(2).dtype is E(d)
        # a float32 tensor stays float32 with a Python float
        assert (ember.ones(2, dtype=ember.float32) * 1.5).dtype is ember.float32
        if d != "bfloat16":
            assert same((ember.tensor([1, 2]) / 2).dtype, (torch.tensor([1, 2]) / 2).dtype)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)
    assert (ember.ones(2, dtype=ember.int32) * 1.5).dtype is ember.float32


def test_set_default_dtype_rejects_ints():
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


ALIASES = ["float", "double", "half", "long", "int", "short", "bool", "uint8", "int8", "bfloat16"]


@pytest.mark.parametrize("alias", ALIASES)
def test_aliases(alias):
    assert same(getattr(ember, alias), getattr(torch, alias))


@pytest.mark.parametrize("name", NAMES)
def test_dtype_object(name):
    d, t = E(name), T(name)
    assert d == E(name) and d != (ember.float64 if name != "float64" else ember.float32)
    assert hash(d) == hash(E(name))
    assert {d: 1}[E(name)] == 1
    assert pickle.loads(pickle.dumps(d)) is d
    assert copy.deepcopy(d) is d and copy.copy(d) is d
    assert repr(d) == f"ember.{name}" == str(d)  # documented difference: torch prints torch.float32
    assert d.is_floating_point == t.is_floating_point
    assert d.is_signed == t.is_signed
    assert d.itemsize == t.itemsize
    assert d.is_complex == t.is_complex
    assert isinstance(d, ember.dtype)
