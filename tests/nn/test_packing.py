"""nn.utils.rnn (PackedSequence, packing and padding) and recurrent layers on packed input, against torch."""
import itertools

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import compare, OpInfo, raised_messages, to_ember, to_torch

RNG = np.random.default_rng(1)
SORTED, UNSORTED = [5, 4, 4, 2, 1], [2, 5, 1, 4, 3]
INFO = OpInfo("packing", None, [])


def arr(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def lib(t):
    return ember if isinstance(t, ember.Tensor) else torch


def both(fn, *arrays, grad=True):
    """fn(m, *tensors) in ember and torch: compare values, then the gradients of the float inputs."""
    e_in = [to_ember(a, grad and a.dtype.kind == "f") for a in arrays]
    t_in = [to_torch(a, grad and a.dtype.kind == "f") for a in arrays]
    e_out, t_out = fn(ember, *e_in), fn(torch, *t_in)
    compare(e_out, t_out, "float32", INFO)
    if grad:
        e_flat = [o for o in _tensors(e_out) if o.requires_grad]
        t_flat = [o for o in _tensors(t_out) if o.requires_grad]
        cots = [arr(*o.shape) for o in t_flat]
        ember.autograd.backward(e_flat, [to_ember(c) for c in cots])
        torch.autograd.backward(t_flat, [to_torch(c) for c in cots])
        for e, t in zip(e_in, t_in):
            if t.requires_grad:
                compare(e.grad, t.grad, "float32", INFO, what="input gradient")
    return e_out, t_out


def _tensors(x):
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in _tensors(item)]
    return [x] if x is not None else []


@pytest.mark.parametrize("lengths,batch_first", itertools.product((SORTED, UNSORTED), (False, True)))
def test_pack_pad_roundtrip(lengths, batch_first):
    x = arr(len(lengths), 5, 3) if batch_first else arr(5, len(lengths), 3)
    sort = lengths == SORTED

    def fn(m, x):
        packed = m.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sort)
        padded = m.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=-7.0,
                                                    total_length=6)
        return packed, padded
    both(fn, x)


def test_pack_lengths_as_tensor():
    both(lambda m, x: m.nn.utils.rnn.pack_padded_sequence(x, m.tensor(UNSORTED, dtype=m.int32),
                                                          enforce_sorted=False), arr(5, 5, 2))


@pytest.mark.parametrize("side,batch_first", itertools.product(("right", "left"), (False, True)))
def test_pad_sequence(side, batch_first):
    seqs = [arr(n, 2) for n in UNSORTED]
    both(lambda m, *s: m.nn.utils.rnn.pad_sequence(list(s), batch_first=batch_first, padding_value=3.0,
                                                   padding_side=side), *seqs)


def test_pack_unpack_sequence():
    seqs = [arr(n, 3) for n in UNSORTED]
    both(lambda m, *s: m.nn.utils.rnn.unpack_sequence(m.nn.utils.rnn.pack_sequence(list(s), enforce_sorted=False)),
         *seqs)
    both(lambda m, *s: m.nn.utils.rnn.pack_sequence(list(s)), *[arr(n, 3) for n in SORTED])


@pytest.mark.parametrize("batch_first", (False, True))
def test_unpad_sequence(batch_first):
    x = arr(5, 4, 2) if batch_first else arr(4, 5, 2)
    both(lambda m, x: m.nn.utils.rnn.unpad_sequence(x.clone(), m.tensor([2, 4, 1, 3, 4]), batch_first), x)


def test_packed_sequence_methods():
    packed = ember.nn.utils.rnn.pack_sequence([ember.randn(3, 2), ember.randn(1, 2)], enforce_sorted=False)
    assert packed.to(ember.float32) is packed
    double = packed.double()
    assert double.data.dtype is ember.float64 and double.batch_sizes is packed.batch_sizes
    assert double.sorted_indices is not None and not packed.is_cuda
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert batch_sizes.tolist() == [2, 1, 1] and batch_sizes.dtype is ember.int64
    assert unsorted_indices.tolist() == ember.nn.utils.rnn.invert_permutation(sorted_indices).tolist()
    assert ember.nn.utils.rnn.PackedSequence(data, batch_sizes).unsorted_indices is None


ERRORS = {
    "unsorted": lambda m: m.nn.utils.rnn.pack_padded_sequence(m.randn(4, 3, 2), [2, 3, 1]),
    "zero_length": lambda m: m.nn.utils.rnn.pack_padded_sequence(m.randn(4, 3, 2), [2, 0, 1], enforce_sorted=False),
    "count": lambda m: m.nn.utils.rnn.pack_padded_sequence(m.randn(4, 3, 2), [3, 2]),
    "empty": lambda m: m.nn.utils.rnn.pad_sequence([]),
    "trailing": lambda m: m.nn.utils.rnn.pad_sequence([m.randn(2, 3), m.randn(2, 4)]),
    "side": lambda m: m.nn.utils.rnn.pad_sequence([m.randn(2)], padding_side="middle"),
    "total_length": lambda m: m.nn.utils.rnn.pad_packed_sequence(m.nn.utils.rnn.pack_sequence([m.randn(3)]),
                                                                 total_length=2),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case):
    t, e = raised_messages(ERRORS[case])
    if case not in ("trailing",):  # torch's message there comes from a broadcasting copy
        assert e == t


def test_length_beyond_padding_raises():
    with pytest.raises(RuntimeError, match="exceeds the padded length"):
        ember.nn.utils.rnn.pack_padded_sequence(ember.randn(4, 3, 2), [5, 2, 1])


KINDS = {"rnn": lambda m, **kw: m.nn.RNN(3, 4, nonlinearity="relu", **kw), "gru": lambda m, **kw: m.nn.GRU(3, 4, **kw),
         "lstm": lambda m, **kw: m.nn.LSTM(3, 4, **kw), "lstm_proj": lambda m, **kw: m.nn.LSTM(3, 4, proj_size=2, **kw)}


def _packed_call(lengths, sort, batch_first):
    def call(mod, x, *states):
        m = lib(x)
        packed = m.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sort)
        out, hidden = mod(packed, (tuple(states) if len(states) == 2 else states[0]) if states else None)
        return out, hidden, m.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first)
    return call


@pytest.mark.parametrize("kind,sort,bidirectional,with_h0",
                         itertools.product(KINDS, (True, False), (False, True), (False, True)))
def test_layer_on_packed_input(kind, sort, bidirectional, with_h0):
    lengths = SORTED if sort else UNSORTED
    nd = 2 * (2 if bidirectional else 1)
    states = []
    if with_h0:
        states = [arr(nd, 5, 2 if kind == "lstm_proj" else 4)] + ([arr(nd, 5, 4)] if kind.startswith("lstm") else [])
    batch_first = bidirectional  # both layouts, without doubling the cases
    x = arr(5, 5, 3)
    check_module(lambda m: KINDS[kind](m, num_layers=2, bidirectional=bidirectional, batch_first=batch_first),
                 [x] + states, call=_packed_call(lengths, sort, batch_first))


def test_packed_final_state_is_each_sequence_last_step():
    """h_n of a packed batch equals h_n of each sequence run alone."""
    mod = ember.nn.GRU(3, 4, bidirectional=True)
    seqs = [ember.randn(n, 3) for n in UNSORTED]
    _, h_n = mod(ember.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False))
    for b, s in enumerate(seqs):
        _, h_alone = mod(s)
        np.testing.assert_allclose(h_n[:, b].detach().numpy(), h_alone.detach().numpy(), rtol=1e-5, atol=1e-6)
