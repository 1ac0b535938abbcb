"""RNN, LSTM, GRU and the cells against torch: outputs and gradients of inputs, initial states and every parameter
(weights copied from torch), options, dropout between layers, init, repr and errors."""
import itertools
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raised_messages

T, B, I, H, P = 4, 3, 5, 6, 3  # steps, batch, input size, hidden size, LSTM projection size
RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


KINDS = {  # name -> (constructor for m, extra kwargs, LSTM?)
    "rnn_tanh": (lambda m: m.nn.RNN, {}, False),
    "rnn_relu": (lambda m: m.nn.RNN, {"nonlinearity": "relu"}, False),
    "gru": (lambda m: m.nn.GRU, {}, False),
    "lstm": (lambda m: m.nn.LSTM, {}, True),
    "lstm_proj": (lambda m: m.nn.LSTM, {"proj_size": P}, True),
}


def build(kind, **kw):
    cls, extra, _ = KINDS[kind]
    return lambda m: cls(m)(I, H, **extra, **kw)


def hidden_arrays(kind, layers, bidirectional, batch=(B,)):
    nd = layers * (2 if bidirectional else 1)
    out = P if kind == "lstm_proj" else H
    if KINDS[kind][2]:
        return [arr(nd, *batch, out), arr(nd, *batch, H)]
    return [arr(nd, *batch, out)]


def run_with_state(mod, x, *states):
    return mod(x, tuple(states) if len(states) == 2 else states[0])


@pytest.mark.parametrize("kind,layers,bidirectional,batch_first,with_h0",
                         list(itertools.product(KINDS, (1, 2), (False, True), (False, True), (False, True))))
def test_layer_matches_torch(kind, layers, bidirectional, batch_first, with_h0):
    x = arr(B, T, I) if batch_first else arr(T, B, I)
    states = hidden_arrays(kind, layers, bidirectional) if with_h0 else []
    make = build(kind, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    check_module(make, [x] + states, call=run_with_state if with_h0 else None)


@pytest.mark.parametrize("kind", KINDS)
def test_no_bias(kind):
    emod, tmod = check_module(build(kind, num_layers=2, bias=False, bidirectional=True), [arr(T, B, I)])
    assert not any("bias" in n for n, _ in emod.named_parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_large_batch(kind):
    # from a batch of 49 the cells multiply h @ W_hh.T directly (below it, W_hh @ h.T transposed): both must agree
    check_module(build(kind, num_layers=1, bias=True), [arr(2, 64, I)])


@pytest.mark.parametrize("kind,with_h0", itertools.product(KINDS, (False, True)))
def test_unbatched(kind, with_h0):
    states = hidden_arrays(kind, 2, True, batch=()) if with_h0 else []
    check_module(build(kind, num_layers=2, bidirectional=True, batch_first=True), [arr(T, I)] + states,
                 call=run_with_state if with_h0 else None)


@pytest.mark.parametrize("kind", ["gru", "lstm_proj"])
def test_float64(kind):
    check_module(build(kind, num_layers=2, bidirectional=True), [arr(T, B, I).astype(np.float64)], dtype="float64",
                 atol=1e-10, rtol=1e-8)


def test_dropout_eval_is_deterministic():
    check_module(build("lstm", num_layers=3, dropout=0.5), [arr(T, B, I)], train=False)


def _identity_relu_rnn(p):
    """A 2-layer ReLU RNN whose layers pass positive inputs through unchanged: the output is dropout(x)."""
    mod = ember.nn.RNN(4, 4, num_layers=2, nonlinearity="relu", dropout=p)
    with ember.no_grad():
        for name, w in mod.named_parameters():
            w.copy_(ember.eye(4) if name.startswith("weight_ih") else ember.zeros(w.shape))
    return mod


def test_dropout_train_statistics():
    mod = _identity_relu_rnn(0.3)
    x = ember.tensor(RNG.uniform(0.5, 1.5, (50, 40, 4)).astype(np.float32), requires_grad=True)
    out, _ = mod(x)
    ratio = (out / x).detach().numpy()
    kept = ratio > 0
    assert np.allclose(ratio[kept], 1 / 0.7, rtol=1e-5)  # survivors scaled by 1 / (1 - p)
    assert abs(1 - kept.mean() - 0.3) < 0.02  # 8000 draws: 0.3 +- 5 standard deviations
    out.sum().backward()
    assert np.allclose(x.grad.numpy(), np.where(kept, 1 / 0.7, 0), rtol=1e-5)  # gradient through the same mask
    again, _ = mod(x)
    assert not np.array_equal((again > 0).numpy(), kept)  # a fresh mask per call
    mod.eval()
    assert np.allclose(mod(x)[0].detach().numpy(), x.detach().numpy())  # no dropout in eval mode


def test_no_dropout_after_last_layer():
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer"):
        mod = ember.nn.GRU(I, H, dropout=0.5)
    x = ember.tensor(arr(T, B, I))
    np.testing.assert_array_equal(mod(x)[0].detach().numpy(), mod(x)[0].detach().numpy())


def _call_cell(mod, x, *states):
    if not states:
        return mod(x)
    return mod(x, tuple(states) if len(states) == 2 else states[0])


CELLS = {"rnn_tanh": (lambda m: m.nn.RNNCell, {}, 1), "rnn_relu": (lambda m: m.nn.RNNCell, {"nonlinearity": "relu"}, 1),
         "gru": (lambda m: m.nn.GRUCell, {}, 1), "lstm": (lambda m: m.nn.LSTMCell, {}, 2)}


@pytest.mark.parametrize("kind,bias,with_h,batched", itertools.product(CELLS, (True, False), (False, True),
                                                                         (True, False)))
def test_cell_matches_torch(kind, bias, with_h, batched):
    cls, extra, nstates = CELLS[kind]
    batch = (B,) if batched else ()
    states = [arr(*batch, H) for _ in range(nstates)] if with_h else []
    check_module(lambda m: cls(m)(I, H, bias=bias, **extra), [arr(*batch, I)] + states, call=_call_cell)


def test_cell_sequence_matches_layer():
    """An LSTMCell stepped by hand gives the LSTM layer's output for the same weights."""
    layer, cell = ember.nn.LSTM(I, H), ember.nn.LSTMCell(I, H)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = ember.tensor(arr(T, B, I))
    h = c = ember.zeros(B, H)
    outs = []
    for t in range(T):
        h, c = cell(x[t], (h, c))
        outs.append(h)
    out, (h_n, c_n) = layer(x)
    np.testing.assert_allclose(ember.stack(outs).detach().numpy(), out.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_double_backward_through_layer():
    x = ember.tensor(arr(3, 2, 2).astype(np.float64), requires_grad=True)
    for mod in (ember.nn.LSTM(2, 2).double(), ember.nn.GRU(2, 2).double()):
        ember.autograd.gradgradcheck(lambda x: mod(x)[0], (x,), eps=1e-6, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.LSTM(3, 4, 2, dropout=0.5, bidirectional=True, proj_size=2, batch_first=True, bias=False),
    lambda m: m.nn.RNN(3, 4, nonlinearity="relu"), lambda m: m.nn.RNN(3, 4, 3, "relu", False),
    lambda m: m.nn.GRU(3, 4, num_layers=2), lambda m: m.nn.RNNCell(3, 4, nonlinearity="relu", bias=False),
    lambda m: m.nn.LSTMCell(3, 4), lambda m: m.nn.GRUCell(3, 4, bias=False)])
def test_repr_and_parameters_match_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emod, tmod = make(ember), make(torch)
    assert repr(emod) == repr(tmod)
    assert [(n, tuple(p.shape)) for n, p in emod.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tmod.named_parameters()]
    if hasattr(tmod, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in emod.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in tmod.all_weights]
        assert emod._flat_weights_names == tmod._flat_weights_names
        emod.flatten_parameters()


@pytest.mark.parametrize("make", [lambda: ember.nn.LSTM(16, 64, 2, proj_size=8, bidirectional=True),
                                  lambda: ember.nn.GRU(16, 64), lambda: ember.nn.GRUCell(16, 64)])
def test_default_init(make):
    ember.manual_seed(0)
    mod = make()
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in mod.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.mean()) < 0.05 * bound
    assert abs(values.var() / (bound ** 2 / 3) - 1) < 0.05  # uniform(-b, b) has variance b^2 / 3


def test_dtype_and_device_arguments():
    mod = ember.nn.LSTM(3, 4, dtype=ember.float64)
    assert all(p.dtype is ember.float64 for p in mod.parameters())
    out, (h, c) = mod(ember.randn(2, 1, 3, dtype=ember.float64))
    assert out.dtype is ember.float64 and h.shape == (1, 1, 4)


def _errors(m):
    lstm, gru = m.nn.LSTM(10, 5, batch_first=True), m.nn.GRU(10, 5)
    x = m.randn(3, 4, 10)
    return {
        "input_size": lambda: lstm(m.randn(3, 4, 7)),
        "rank": lambda: gru(m.randn(2, 3, 4, 10)),
        "h0_shape": lambda: gru(x, m.randn(1, 3, 5)),
        "h0_rank": lambda: gru(x, m.randn(4, 5)),
        "lstm_h0_shape": lambda: lstm(x, (m.randn(1, 3, 5), m.randn(1, 4, 5))),
        "lstm_c0_shape": lambda: lstm(x, (m.randn(1, 3, 5), m.randn(1, 3, 6))),
        "lstm_unbatched_hx_rank": lambda: lstm(m.randn(4, 10), (m.randn(1, 1, 5), m.randn(1, 1, 5))),
        "dtype": lambda: gru(x.double()),
        "int_input": lambda: gru(m.ones(3, 4, 10, dtype=m.int64)),
        "cell_input_size": lambda: m.nn.LSTMCell(10, 5)(m.randn(3, 7)),
        "cell_batch": lambda: m.nn.GRUCell(10, 5)(m.randn(3, 10), m.randn(2, 5)),
        "cell_rank": lambda: m.nn.RNNCell(10, 5)(m.randn(1, 3, 10)),
        "proj_gru": lambda: m.nn.GRU(3, 4, proj_size=2),
        "proj_too_big": lambda: m.nn.LSTM(3, 4, proj_size=4),
        "nonlinearity": lambda: m.nn.RNN(3, 4, nonlinearity="gelu"),
        "dropout_range": lambda: m.nn.LSTM(3, 4, dropout=1.5),
        "hidden_type": lambda: m.nn.LSTM(3, 4.0),
        "num_layers": lambda: m.nn.LSTM(3, 4, 0),
    }


@pytest.mark.parametrize("case", list(_errors(torch)))
def test_errors_match_torch(case):
    t, e = raised_messages(lambda m: _errors(m)[case]())
    t_msg = t.replace("torch.", "ember.")
    assert e.startswith(t_msg.split("\n")[0][:60]), (e, t_msg)


def test_error_names_the_layer():
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 10, got 7") as e:
        ember.nn.LSTM(10, 5)(ember.randn(4, 3, 7))
    assert "LSTM(10, 5)" in str(e.value)
