"""MultiheadAttention and scaled_dot_product_attention against torch (the fused op's rows are in
tests/oracle/opdb_nn_attn.py): outputs and gradients over the options, masks, init, repr, errors, dropout."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raises_like_torch

RNG = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 4, 5, 3


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _mask(*shape, p=0.3):
    m = RNG.random(shape) < p
    m[..., 0] = False  # every row keeps a position (rows with none are tested on their own)
    return m


def _float(mask):
    return np.where(mask, -np.inf, RNG.uniform(-1, 1, mask.shape)).astype(np.float32)


def _mha(m, **kw):
    return m.nn.MultiheadAttention(E, H, **kw)


# (constructor options, batch_first input shapes)
CONFIGS = [
    ({}, "self"), ({"batch_first": True}, "self"), ({"batch_first": True}, "cross"), ({}, "cross"),
    ({"kdim": 6, "vdim": 3}, "kv"), ({"kdim": 6, "vdim": 3, "batch_first": True}, "kv"),
    ({"add_bias_kv": True}, "cross"), ({"add_zero_attn": True}, "self"),
    ({"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}, "cross"), ({"bias": False}, "self"),
    ({"bias": False, "kdim": 6, "vdim": 3}, "kv"),
]


def _inputs(kind, batch_first):
    q = arr(N, L, E) if batch_first else arr(L, N, E)
    if kind == "self":
        return [q]
    kd, vd = (6, 3) if kind == "kv" else (E, E)
    k = arr(N, S, kd) if batch_first else arr(S, N, kd)
    v = arr(*k.shape[:2], vd)
    return [q, k] if kind == "cross" else [q, k, v]


def _qkv(xs):
    return (xs[0], xs[0], xs[0]) if len(xs) == 1 else (xs[0], xs[1], xs[1]) if len(xs) == 2 else tuple(xs)


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("kw,kind", CONFIGS, ids=[f"{k}-{v}" for k, v in CONFIGS])
def test_mha_matches_torch(kw, kind, need_weights, average):
    xs = _inputs(kind, kw.get("batch_first", False))
    check_module(lambda m: _mha(m, **kw), xs,
                 call=lambda mod, *t: mod(*_qkv(t), need_weights=need_weights, average_attn_weights=average))


SRC = S  # key length in the mask tests (cross-attention)
MASKS = {
    "kpm_bool": lambda: {"key_padding_mask": _mask(N, SRC)},
    "kpm_float": lambda: {"key_padding_mask": _float(_mask(N, SRC))},
    "attn2d_bool": lambda: {"attn_mask": _mask(L, SRC)},
    "attn2d_float": lambda: {"attn_mask": _float(_mask(L, SRC))},
    "attn3d_bool": lambda: {"attn_mask": _mask(N * H, L, SRC)},
    "attn3d_float": lambda: {"attn_mask": _float(_mask(N * H, L, SRC))},
    "both_bool": lambda: {"attn_mask": _mask(L, SRC), "key_padding_mask": _mask(N, SRC)},
    "both_float": lambda: {"attn_mask": _float(_mask(N * H, L, SRC)), "key_padding_mask": _float(_mask(N, SRC))},
}


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("extra", [{}, {"add_bias_kv": True, "add_zero_attn": True}], ids=["plain", "bias_zero"])
@pytest.mark.parametrize("name", list(MASKS))
def test_mha_masks(name, extra, need_weights):
    masks = MASKS[name]()
    names = list(masks)
    xs = [arr(N, L, E), arr(N, SRC, E)] + [masks[n] for n in names]
    call = lambda mod, q, k, *ms: mod(q, k, k, need_weights=need_weights, **dict(zip(names, ms)))
    check_module(lambda m: _mha(m, batch_first=True, **extra), xs, call=call)


def test_mha_mixed_mask_types_warn_as_torch():
    xs = [arr(N, L, E), _mask(N, L), _float(_mask(L, L))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_module(lambda m: _mha(m, batch_first=True), xs,
                     call=lambda mod, q, kpm, am: mod(q, q, q, key_padding_mask=kpm, attn_mask=am))
    msgs = [str(w.message) for w in caught if "mismatched key_padding_mask" in str(w.message)]
    assert len(msgs) == 2  # one from torch, one from ember


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_causal(need_weights):
    causal = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    check_module(lambda m: _mha(m, batch_first=True), [arr(N, L, E), causal],
                 call=lambda mod, q, am: mod(q, q, q, attn_mask=am, is_causal=True, need_weights=need_weights))


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched(need_weights):
    kpm = _mask(S)
    am = _float(_mask(H, L, S))
    check_module(lambda m: _mha(m, add_bias_kv=True), [arr(L, E), arr(S, E), kpm, am],
                 call=lambda mod, q, k, kpm, am: mod(q, k, k, key_padding_mask=kpm, attn_mask=am,
                                                      need_weights=need_weights, average_attn_weights=False))


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_rows_with_no_position(need_weights):
    """Every key padded in one batch: NaN with need_weights (plain softmax), zeros without (as torch)."""
    kpm = np.zeros((N, S), bool)
    kpm[1] = True
    check_module(lambda m: _mha(m, batch_first=True), [arr(N, L, E), arr(N, S, E), kpm],
                 call=lambda mod, q, k, kpm: mod(q, k, k, key_padding_mask=kpm, need_weights=need_weights))


@pytest.mark.parametrize("train", [True, False])
def test_mha_modes_and_float64(train):
    check_module(lambda m: _mha(m, batch_first=True).double(), [arr(N, L, E, dtype=np.float64)], train=train,
                 call=lambda mod, x: mod(x, x, x), atol=1e-10, rtol=1e-8)
    with torch.no_grad(), ember.no_grad():  # torch's eval inference path (native MHA) gives the same numbers
        check_module(lambda m: _mha(m, batch_first=True), [arr(N, L, E), _mask(N, L)], train=train, grad=False,
                     call=lambda mod, x, kpm: mod(x, x, x, key_padding_mask=kpm))


def test_mha_parameters_and_repr():
    for kw in ({}, {"kdim": 6, "vdim": 3, "add_bias_kv": True}, {"bias": False}):
        t, e = _mha(torch, **kw), _mha(ember, **kw)
        assert list(e.state_dict()) == list(t.state_dict())
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert repr(e) == repr(t)
        assert type(e.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
        assert isinstance(e.out_proj, ember.nn.Linear)
        assert (e.head_dim, e._qkv_same_embed_dim, e.kdim, e.vdim) == (t.head_dim, t._qkv_same_embed_dim, t.kdim,
                                                                         t.vdim)


def test_mha_init():
    d = 64
    mha = ember.nn.MultiheadAttention(d, 4, add_bias_kv=True)
    w = mha.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (d + 3 * d))  # xavier_uniform_ on (3d, d)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.1 * bound ** 2 / 3
    assert not mha.in_proj_bias.detach().numpy().any() and not mha.out_proj.bias.detach().numpy().any()
    bk = np.concatenate([ember.nn.MultiheadAttention(d, 4, add_bias_kv=True).bias_k.detach().numpy().ravel()
                         for _ in range(20)])
    assert abs(bk.std() - math.sqrt(2 / (d + d))) < 0.1 * math.sqrt(2 / (d + d))  # xavier_normal_ on (1, 1, d)
    sep = ember.nn.MultiheadAttention(d, 4, kdim=32, vdim=16)
    kb = math.sqrt(6 / (d + 32))
    assert np.abs(sep.k_proj_weight.detach().numpy()).max() <= kb


ERRORS = [
    ("ctor_heads", lambda m: m.nn.MultiheadAttention(8, 3)),
    ("ctor_zero", lambda m: m.nn.MultiheadAttention(0, 2)),
    ("query_4d", lambda m: _mha(m)(m.randn(2, 3, 4, E), m.randn(2, 3, 4, E), m.randn(2, 3, 4, E))),
    ("key_rank", lambda m: _mha(m)(m.randn(3, 2, E), m.randn(3, E), m.randn(3, E))),
    ("embed_dim", lambda m: _mha(m)(m.randn(3, 2, 6), m.randn(3, 2, 6), m.randn(3, 2, 6))),
    ("kpm_rank", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, key_padding_mask=m.zeros(3, dtype=m.bool))),
    ("kpm_shape", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, key_padding_mask=m.zeros(2, 4, dtype=m.bool))),
    ("kpm_int", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, key_padding_mask=m.zeros(2, 3, dtype=m.int64))),
    ("attn_rank", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, attn_mask=m.zeros(3))),
    ("attn_2d_shape", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, attn_mask=m.zeros(3, 4))),
    ("attn_3d_shape", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, attn_mask=m.zeros(2, 3, 3))),
    ("unbatched_3d_mask", lambda m: _mha(m)(*[m.randn(3, E)] * 3, attn_mask=m.zeros(3, 3, 3))),
    ("causal_no_mask", lambda m: _mha(m)(*[m.randn(3, 2, E)] * 3, is_causal=True)),
    ("key_value_shapes", lambda m: _mha(m)(m.randn(3, 2, E), m.randn(4, 2, E), m.randn(5, 2, E))),
    ("kdim_wrong", lambda m: _mha(m, kdim=6, vdim=6)(m.randn(3, 2, E), m.randn(4, 2, 5), m.randn(4, 2, 6))),
    ("int_input", lambda m: _mha(m)(*[m.ones(3, 2, E, dtype=m.int64)] * 3)),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[n for n, _ in ERRORS])
def test_mha_errors(name, fn):
    t, e = raises_like_torch(fn, runtime_errors_alike=True)
    if not name.startswith("ctor"):
        assert "MultiheadAttention" in str(e), str(e)  # the error names the layer


def test_sdpa_dropout():
    ember.manual_seed(0)
    q, k, v = (ember.randn(2, 3, 6, 4, requires_grad=True) for _ in range(3))
    plain = ember.nn.functional.scaled_dot_product_attention(q, k, v)
    draws = [ember.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.3).detach().numpy()
             for _ in range(400)]
    assert not np.allclose(draws[0], draws[1])
    gap = np.abs(np.mean(draws, 0) - plain.detach().numpy())  # unbiased: kept weights are scaled by 1/(1-p)
    assert gap.max() < 0.15 and gap.mean() < 0.03, (gap.max(), gap.mean())

    def seeded(q, k, v):  # one dropout mask for every call, so gradcheck sees a function
        ember.manual_seed(3)
        return ember.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    small = [ember.randn(1, 3, 2, dtype=ember.float64, requires_grad=True) for _ in range(3)]
    assert ember.autograd.gradcheck(seeded, small)
    assert ember.autograd.gradgradcheck(seeded, small)


def test_mha_dropout_weights():
    ember.manual_seed(0)
    mha = ember.nn.MultiheadAttention(E, H, dropout=0.5, batch_first=True)
    x = ember.randn(4, 16, E)
    _, w = mha(x, x, x, average_attn_weights=False)
    w = w.detach().numpy()
    assert 0.4 < (w == 0).mean() < 0.6
    np.testing.assert_allclose(w.sum(-1).mean(), 1.0, atol=0.1)  # kept weights are scaled by 1/(1-p)
    mha.eval()
    _, w = mha(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1.0, atol=1e-5)
