"""Transformer layers, stacks and the full model against torch: outputs and gradients with weights copied through
state_dict, over norm_first, activations, batch_first, masks and causal hints; names, repr, init and errors."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raises_like_torch

RNG = np.random.default_rng(0)
D, NH, FF, N, S, T = 8, 2, 16, 3, 5, 4
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _pad(n, s):
    m = np.zeros((n, s), bool)
    m[0, -2:] = True  # left-aligned padding (what torch's nested-tensor path checks for)
    return m


def causal(n):
    return np.triu(np.full((n, n), -np.inf, np.float32), 1)


def _act(m, name):
    return {"relu": "relu", "gelu": "gelu", "fn": m.nn.functional.gelu, "module": m.nn.GELU(), "tanh": m.tanh}[name]


LAYER_OPTS = [(nf, act, bf) for nf in (False, True) for act in ("relu", "gelu", "fn", "tanh") for bf in (False, True)]


@pytest.mark.parametrize("norm_first,act,batch_first", LAYER_OPTS)
def test_encoder_layer(norm_first, act, batch_first):
    x = arr(N, S, D) if batch_first else arr(S, N, D)
    check_module(lambda m: m.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, activation=_act(m, act),
                                                        batch_first=batch_first, norm_first=norm_first), [x])


@pytest.mark.parametrize("norm_first,act,batch_first", LAYER_OPTS)
def test_decoder_layer(norm_first, act, batch_first):
    tgt, mem = (arr(N, T, D), arr(N, S, D)) if batch_first else (arr(T, N, D), arr(S, N, D))
    check_module(lambda m: m.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, activation=_act(m, act),
                                                        batch_first=batch_first, norm_first=norm_first), [tgt, mem])


@pytest.mark.parametrize("train", [True, False])
def test_layers_with_masks(train):
    x, kpm = arr(N, S, D), _pad(N, S)
    check_module(lambda m: m.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=True, bias=False), [
        x, causal(S), kpm], train=train, call=lambda mod, x, am, kpm: mod(x, src_mask=am, src_key_padding_mask=kpm))
    tgt, mem = arr(N, T, D), arr(N, S, D)
    check_module(lambda m: m.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, batch_first=True, norm_first=True),
                 [tgt, mem, causal(T), _pad(N, T), _pad(N, S), arr(T, S)], train=train,
                 call=lambda mod, t, mm, tm, tk, mk, mm2: mod(t, mm, tgt_mask=tm, tgt_key_padding_mask=tk,
                                                              memory_key_padding_mask=mk, memory_mask=mm2,
                                                              tgt_is_causal=True))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("is_causal", [None, True, False])
def test_encoder_stack(batch_first, is_causal):
    x = arr(N, S, D) if batch_first else arr(S, N, D)
    make = lambda m: m.nn.TransformerEncoder(  # noqa: E731
        m.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=batch_first), 2, norm=m.nn.LayerNorm(D))
    check_module(make, [x, causal(S), _pad(N, S)],
                 call=lambda mod, x, am, kpm: mod(x, mask=am, src_key_padding_mask=kpm, is_causal=is_causal))
    check_module(make, [x, (np.random.default_rng(1).random((S, S)) < 0.3)],
                 call=lambda mod, x, am: mod(x, mask=am))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_stack(norm_first):
    make = lambda m: m.nn.TransformerDecoder(  # noqa: E731
        m.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, norm_first=norm_first, activation="gelu"), 2,
        norm=None if norm_first else m.nn.LayerNorm(D))
    check_module(make, [arr(T, N, D), arr(S, N, D), causal(T), _pad(N, S)],
                 call=lambda mod, t, mm, tm, mk: mod(t, mm, tgt_mask=tm, memory_key_padding_mask=mk))


def test_encoder_inference_zeros_padding_as_torch():
    """eval + no_grad + batch_first + left-aligned padding: torch's nested-tensor path gives zeros at the padding."""
    make = lambda m: m.nn.TransformerEncoder(  # noqa: E731
        m.nn.TransformerEncoderLayer(D, NH, FF, batch_first=True), 2, norm=m.nn.LayerNorm(D))
    with torch.no_grad(), ember.no_grad():
        check_module(make, [arr(N, S, D), _pad(N, S)], train=False, grad=False,
                     call=lambda mod, x, kpm: mod(x, src_key_padding_mask=kpm))
        check_module(make, [arr(N, S, D), _pad(N, S)], train=True, grad=False,
                     call=lambda mod, x, kpm: mod(x, src_key_padding_mask=kpm) * 0)  # train: dropout, shapes only


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_end_to_end(batch_first):
    src, tgt = (arr(N, S, D), arr(N, T, D)) if batch_first else (arr(S, N, D), arr(T, N, D))
    make = lambda m: m.nn.Transformer(D, NH, 2, 2, FF, dropout=0.0, batch_first=batch_first)  # noqa: E731
    check_module(make, [src, tgt, causal(T), _pad(N, S)],
                 call=lambda mod, s, t, tm, sk: mod(s, t, tgt_mask=tm, src_key_padding_mask=sk,
                                                    memory_key_padding_mask=sk))
    check_module(make, [src, tgt], train=False, call=lambda mod, s, t: mod(s, t))


def test_transformer_unbatched_and_float64():
    check_module(lambda m: m.nn.Transformer(D, NH, 1, 1, FF, dropout=0.0).double(),
                 [arr(S, D).astype(np.float64), arr(T, D).astype(np.float64)], atol=1e-10, rtol=1e-8)


def test_names_repr_and_state_dict():
    for make in (lambda m: m.nn.Transformer(D, NH, 2, 1, FF),
                 lambda m: m.nn.TransformerEncoderLayer(D, NH, FF, activation="gelu", bias=False),
                 lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(D, NH, FF), 2, m.nn.LayerNorm(D))):
        t, e = make(torch), make(ember)
        assert repr(e) == repr(t)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert list(e.state_dict()) == list(t.state_dict())
    enc = ember.nn.TransformerEncoderLayer(D, NH, FF)
    assert enc.activation is ember.nn.functional.relu and enc.activation_relu_or_gelu == 1
    assert ember.nn.TransformerEncoderLayer(D, NH, activation="gelu").activation_relu_or_gelu == 2
    assert ember.nn.TransformerEncoderLayer(D, NH, activation=ember.tanh).activation_relu_or_gelu == 0


def test_clones_are_independent():
    layer = ember.nn.TransformerEncoderLayer(D, NH, FF)
    enc = ember.nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    ws = [enc.layers[i].linear1.weight for i in range(3)]
    assert ws[0] is not ws[1] and ws[0] is not layer.linear1.weight
    np.testing.assert_array_equal(ws[0].detach().numpy(), ws[2].detach().numpy())  # copies of one layer
    with ember.no_grad():
        ws[0].add_(1.0)
    assert not np.array_equal(ws[0].detach().numpy(), ws[1].detach().numpy())


def test_transformer_init():
    model = ember.nn.Transformer(32, 4, 1, 1, 64)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()  # (64, 32): xavier_uniform_ over every matrix
    bound = math.sqrt(6 / (32 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    ipw = model.decoder.layers[0].multihead_attn.in_proj_weight.detach().numpy()
    assert np.abs(ipw).max() <= math.sqrt(6 / (32 + 96))
    assert not model.encoder.layers[0].self_attn.in_proj_bias.detach().numpy().any()


def test_square_subsequent_mask():
    for sz in (1, 4):
        e = ember.nn.Transformer.generate_square_subsequent_mask(sz)
        t = torch.nn.Transformer.generate_square_subsequent_mask(sz)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.dtype is ember.float32
    assert ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64).dtype is ember.float64


def test_nested_tensor_warning_as_torch():
    for m in (torch, ember):
        with pytest.warns(UserWarning, match="norm_first was True"):
            m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(D, NH, norm_first=True, batch_first=True), 1)


ERRORS = [
    ("activation", lambda m: m.nn.TransformerEncoderLayer(D, NH, activation="tanh")),
    ("decoder_activation", lambda m: m.nn.TransformerDecoderLayer(D, NH, activation="swish")),
    ("heads", lambda m: m.nn.TransformerEncoderLayer(D, 3)),
    ("batch", lambda m: m.nn.Transformer(D, NH, 1, 1, FF)(m.randn(S, 2, D), m.randn(T, 3, D))),
    ("d_model", lambda m: m.nn.Transformer(D, NH, 1, 1, FF)(m.randn(S, 2, D), m.randn(T, 2, 4))),
    ("layer_width", lambda m: m.nn.TransformerEncoderLayer(D, NH, FF)(m.randn(S, 2, 6))),
    ("mask_shape", lambda m: m.nn.TransformerEncoderLayer(D, NH, FF)(m.randn(S, 2, D), src_mask=m.zeros(3, 3))),
    ("kpm_int", lambda m: m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(D, NH, FF), 1,
                                                  enable_nested_tensor=False)(
        m.randn(S, 2, D), src_key_padding_mask=m.zeros(2, S, dtype=m.int64))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[n for n, _ in ERRORS])
def test_errors(name, fn):
    t, e = raises_like_torch(fn, runtime_errors_alike=True)
