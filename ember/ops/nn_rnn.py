"""Recurrent layers as ops: the fused LSTM and GRU cells, the cell functions and the multi-layer time loops
(torch.lstm_cell, torch.gru_cell, torch.rnn_tanh_cell, torch.rnn_relu_cell, torch.lstm, torch.gru, torch.rnn_tanh,
torch.rnn_relu).

NOTE [ RNN time loop ]
Per layer and direction, the inputs of all time steps are projected with ONE GEMM (x @ W_ih.T + bias) and split
into steps by one node (split: its backward writes all steps' gradients into one array). Each step is
then one node: the fused cell op does h @ W_hh.T for all gates and the pointwise gate math; its hand-written backward
is written with ember ops, so double backward works. W_hh's gradient is not formed per step: each cell sends its
hidden-gate gradient through a zero "sink" input to one RecurrentWeightBackward node per layer and direction, which
does one GEMM over all steps (recurrence()). Both biases of an LSTM or an Elman RNN enter the input
projection (b_ih + b_hh once per layer); GRU's b_hh stays in the cell, where r multiplies W_hn h + b_hn.
Packed sequences run the same loop over the shrinking batch_sizes: a sequence's final state is taken at its own last
step (forward direction), and the reverse direction starts each sequence from h0 at its own last step.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd import graph
from ..autograd.grad_mode import STATE
from ._registry import export, op
from ._util import LOW
from .creation import empty_like, zeros, zeros_like
from .join import cat, stack
from .shape import split

_SIGMOID_TANH: dict = {}  # (gates, numpy dtype) -> (scale, offset) vectors of the fused LSTM activation


# ---------------------------------------------------------------------------------------------------------------
# the recurrent weight's node (one output per time step)


class RecurrentWeightBackward(graph.Node):
    """W_hh's (and b_hh's) gradient for every step at once: one GEMM of all the steps' hidden-gate gradients with
    the hidden states they multiplied, instead of one small GEMM plus one full-size accumulation per step."""

    __slots__ = ("n_outputs", "sizes", "width", "hs")

    def apply(self, grads):
        if self.hs is None:
            raise RuntimeError(f"{graph.FREED_MESSAGE} (node {self.name()})")
        dt = D.FROM_NP[self._meta[0][1]]
        dev = next(g for g in grads if g is not None).device
        g = cat([g if g is not None else zeros((n, self.width), dtype=dt, device=dev)
                 for g, n in zip(grads, self.sizes)], 0)  # the steps' gradients (zeros where none came)
        return g.mT.matmul(cat(self.hs, 0)), (g.sum(0) if self.next_functions[1][0] is not None else None)

    def release(self):
        self._released = True
        self.hs = None


def recurrence(w_hh: Tensor, b_hh: Tensor | None, sizes: list):
    """(node, sinks): sinks[t] is the input through which step t's cell sends its hidden-gate gradient (zeros, never
    read); the node turns them into W_hh's and b_hh's gradients. Set node.hs to the steps' hidden inputs after the
    loop. (None, [None, ...]) when neither needs a gradient."""
    if not (STATE.grad_enabled and (w_hh._requires_grad or b_hh is not None and b_hh._requires_grad)):
        return None, [None] * len(sizes)
    zero = w_hh._device.xp.zeros((), dtype=w_hh._data.dtype)
    gates = w_hh.shape[0]
    sinks = [Tensor._make(w_hh._device.xp.broadcast_to(zero, (n, gates)), w_hh._device) for n in sizes]
    node = RecurrentWeightBackward.__new__(RecurrentWeightBackward)
    node._init(tuple(graph.edge_of(t) if t is not None else (None, 0) for t in (w_hh, b_hh)),
               tuple(None if t is None else (t._data.shape, t._data.dtype) for t in (w_hh, b_hh)), 3)
    node.n_outputs, node.sizes, node.width = len(sizes), tuple(sizes), gates
    for k, o in enumerate(sinks):
        o.grad_fn, o._output_nr, o._requires_grad = node, k, True
    return node, sinks


# ---------------------------------------------------------------------------------------------------------------
# fused cells


def _widen(*arrays):
    """float16/bfloat16 arrays as float32 (matmuls and transcendental math compute in float32), and the dtype."""
    dt = arrays[0].dtype
    if dt in LOW:
        return [None if a is None else a.astype(np.float32) for a in arrays], dt
    return list(arrays), dt


def _lstm_activation(n: int, dt, xp):
    """(scale, offset) with sigmoid(x) = 0.5 tanh(0.5 x) + 0.5 on the i, f, o blocks and tanh on g: one tanh pass."""
    key = (n, dt, xp)
    vecs = _SIGMOID_TANH.get(key)
    if vecs is None:
        scale = xp.full(n, 0.5, dtype=dt)
        scale[n // 2:3 * n // 4] = 1
        vecs = _SIGMOID_TANH[key] = (scale, 1 - scale)
    return vecs


def _plus_hidden(add, h, w_hh, xp):
    """add + h @ w_hh.T (add: None, the gates' input part or a bias) as a fresh C-order array. For a small batch
    OpenBLAS multiplies faster with the weight on the left (measured, one thread: batch 20, hidden 256: 129 us
    instead of 176 us; batch 16, hidden 1024: 1.8 ms instead of 2.9 ms); from a batch of ~64 the plain product wins."""
    if h.shape[0] > 48:
        r = h @ w_hh.T
        if add is not None:
            r += add
        return r
    prod = (w_hh @ h.T).T
    if add is None:
        return xp.ascontiguousarray(prod)
    return xp.add(add, prod, out=xp.empty(prod.shape, xp.result_type(add, prod)))


@op(dtype="promote", method=False, export=False, outputs=3)
def _lstm_cell(gates_x, h, c, sink, w_hh: Tensor, *, xp):
    """One LSTM step: gates = gates_x + h @ w_hh.T in torch's order (i, f, g, o); returns (h', c', activated gates).

    gates_x holds the input projection and both biases. W_hh's gradient leaves through sink (see recurrence()).
    The activated gates are the node's third output, what its backward needs (they are differentiable too, so
    double backward through them is exact).
    """
    (gates_x, h, c, w_hh), dt = _widen(gates_x, h, c, w_hh._data)
    act = _plus_hidden(gates_x, h, w_hh, xp)
    scale, offset = _lstm_activation(act.shape[1], act.dtype, xp)
    act *= scale
    xp.tanh(act, out=act)
    act *= scale
    act += offset
    n = c.shape[1]
    c_new = act[:, n:2 * n] * c
    c_new += act[:, :n] * act[:, 2 * n:3 * n]
    h_new = xp.tanh(c_new)
    h_new *= act[:, 3 * n:]
    if dt in LOW:
        return h_new.astype(dt), c_new.astype(dt), act.astype(dt)
    return h_new, c_new, act


@_lstm_cell.derivative
def _(grads, c, w_hh, out, needs):
    gh, gc, gact = grads
    _, c_new, act = out
    if not STATE.grad_enabled and gact is None and act._data.dtype not in LOW:
        return _lstm_cell_backward_arrays(gh, gc, c, w_hh, c_new, act, needs)
    i, f, g, o = act.chunk(4, 1)
    tc = c_new.tanh()
    if gh is None:
        gh = zeros_like(tc)
    dc = gh * o * (1 - tc * tc)
    if gc is not None:
        dc = dc + gc
    dact = [dc * g, dc * c, dc * i, gh * tc]
    if gact is not None:
        dact = [d + a for d, a in zip(dact, gact.chunk(4, 1))]
    dgates = cat([dact[0] * (i - i * i), dact[1] * (f - f * f), dact[2] * (1 - g * g), dact[3] * (o - o * o)], 1)
    return dgates, dgates.matmul(w_hh) if needs[1] else None, dc * f if needs[2] else None, dgates


def _lstm_cell_backward_arrays(gh, gc, c, w_hh, c_new, act, needs):
    """The derivative above on arrays, for first-order backward (no graph to build): a dozen passes, not ~25 ops."""
    a, dev = act._data, act._device
    xp = dev.xp
    n = a.shape[1] // 4
    i, f, g, o = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
    tc = xp.tanh(c_new._data)
    dc = tc * tc
    xp.subtract(1, dc, out=dc)
    dgates = xp.empty_like(a)
    if gh is None:
        dc[...] = 0
        dgates[:, 3 * n:] = 0
    else:
        dc *= gh._data
        dc *= o
        xp.multiply(gh._data, tc, out=dgates[:, 3 * n:])
    if gc is not None:
        dc += gc._data
    for block, left in enumerate((g, c._data, i)):
        xp.multiply(dc, left, out=dgates[:, block * n:(block + 1) * n])
    deriv = a * a  # the gates' derivatives from their values: s - s^2 (sigmoid), 1 - g^2 (tanh)
    xp.subtract(a, deriv, out=deriv)
    xp.subtract(1, g * g, out=deriv[:, 2 * n:3 * n])
    dgates *= deriv
    wrapped = Tensor._make(dgates, dev)
    return (wrapped, Tensor._make(dgates @ w_hh._data, dev) if needs[1] else None,
            Tensor._make(dc * f, dev) if needs[2] else None, wrapped)


@op(dtype="promote", method=False, export=False, outputs=2)
def _gru_cell(gates_x, h, sink, w_hh: Tensor, b_hh: Tensor | None, *, xp):
    """One GRU step in torch's order (r, z, n), n = tanh(x_n + r * (W_hn h + b_hn)); returns (h', [r, z, n, hn]).

    gates_x holds the input projection and b_ih; W_hh's and b_hh's gradients leave through sink (see
    recurrence()). The second output keeps what the backward needs.
    """
    (gates_x, h, w_hh, b_hh), dt = _widen(gates_x, h, w_hh._data, None if b_hh is None else b_hh._data)
    hg = _plus_hidden(b_hh, h, w_hh, xp)
    n = h.shape[1]
    aux = xp.empty((h.shape[0], 4 * n), dtype=hg.dtype)
    rz = aux[:, :2 * n]
    xp.add(gates_x[:, :2 * n], hg[:, :2 * n], out=rz)
    rz *= 0.5  # sigmoid(x) = 0.5 tanh(0.5 x) + 0.5: one pass of tanh
    xp.tanh(rz, out=rz)
    rz *= 0.5
    rz += 0.5
    new = aux[:, 2 * n:3 * n]
    xp.multiply(aux[:, :n], hg[:, 2 * n:], out=new)
    new += gates_x[:, 2 * n:]
    xp.tanh(new, out=new)
    aux[:, 3 * n:] = hg[:, 2 * n:]
    h_new = h - new
    h_new *= aux[:, n:2 * n]
    h_new += new
    if dt in LOW:
        return h_new.astype(dt), aux.astype(dt)
    return h_new, aux


@_gru_cell.derivative
def _(grads, h, w_hh, out, needs):
    gh, gaux = grads
    r, z, n, hn = out[1].chunk(4, 1)
    if gh is None:
        gh = zeros_like(z)
    dn, dz = gh - gh * z, gh * (h - n)
    ga = (None,) * 4 if gaux is None else gaux.chunk(4, 1)
    if gaux is not None:
        dn, dz = dn + ga[2], dz + ga[1]
    dn = dn * (1 - n * n)
    dr, dhn = dn * hn, dn * r
    if gaux is not None:
        dr, dhn = dr + ga[0], dhn + ga[3]
    dr, dz = dr * (r - r * r), dz * (z - z * z)
    dhg = cat([dr, dz, dhn], 1)
    return cat([dr, dz, dn], 1) if needs[0] else None, gh * z + dhg.matmul(w_hh) if needs[1] else None, dhg


# ---------------------------------------------------------------------------------------------------------------
# cell functions (torch.lstm_cell ...)


def _check_cell(input: Tensor, hiddens, w_ih: Tensor) -> None:
    """torch's checks of a cell's input and hidden states (sizes against the weights, batch sizes)."""
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}")
    for k, (hx, size) in enumerate(hiddens):
        if hx.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size {hx.shape[0]}")
        if hx.shape[1] != size:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {hx.shape[1]}, expected {size}")


def _project(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """x @ w.T + b: one GEMM for every row of x."""
    y = x.matmul(w.t())
    return y if b is None else y + b


def _both_biases(b_ih, b_hh):
    if b_ih is None:
        return b_hh
    return b_ih if b_hh is None else b_ih + b_hh


def lstm_step(gates_x: Tensor, h: Tensor, c: Tensor, w_hh: Tensor) -> tuple:
    """A single fused LSTM step with its own recurrence node: (h', c', activated gates)."""
    node, (sink,) = recurrence(w_hh, None, [h.shape[0]])
    out = _lstm_cell(gates_x, h, c, sink, w_hh)
    if node is not None:
        node.hs = [h]
    return out


def gru_step(gates_x: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
    """A single fused GRU step with its own recurrence node: (h', [r, z, n, hn])."""
    node, (sink,) = recurrence(w_hh, b_hh, [h.shape[0]])
    out = _gru_cell(gates_x, h, sink, w_hh, b_hh)
    if node is not None:
        node.hs = [h]
    return out


@export(method=False)
def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple:
    """One LSTM step on a (batch, input_size) input; hx = (h, c); returns (h', c') (torch.lstm_cell)."""
    h, c = hx
    _check_cell(input, ((h, w_hh.shape[1]), (c, w_hh.shape[0] // 4)), w_ih)
    return lstm_step(_project(input, w_ih, _both_biases(b_ih, b_hh)), h, c, w_hh)[:2]


@export(method=False)
def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step on a (batch, input_size) input (torch.gru_cell)."""
    _check_cell(input, ((hx, w_hh.shape[1]),), w_ih)
    return gru_step(_project(input, w_ih, b_ih), hx, w_hh, b_hh)[0]


def _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, relu: bool) -> Tensor:
    _check_cell(input, ((hx, w_hh.shape[1]),), w_ih)
    pre = _project(input, w_ih, _both_biases(b_ih, b_hh)) + hx.matmul(w_hh.t())
    return pre.relu() if relu else pre.tanh()


@export(method=False)
def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman RNN step, tanh(x W_ih.T + b_ih + h W_hh.T + b_hh) (torch.rnn_tanh_cell)."""
    return _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, False)


@export(method=False)
def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman RNN step with ReLU (torch.rnn_relu_cell)."""
    return _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, True)


# ---------------------------------------------------------------------------------------------------------------
# multi-layer time loops (torch.lstm ...)


def _scan(step, T: int, state: tuple, batch_sizes, reverse: bool):
    """Run state = step(t, state) over T steps; the per-step outputs (state[0]) in time order and each sequence's
    final state. batch_sizes (packed input) shrink over time: see NOTE [ RNN time loop ]."""
    outs = [None] * T
    if batch_sizes is None:
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            state = step(t, state)
            outs[t] = state[0]
        return outs, state
    if reverse:
        full, cur = state, batch_sizes[-1]
        state = tuple(s[:cur] for s in full)
        for t in range(T - 1, -1, -1):
            bs = batch_sizes[t]
            if bs > cur:  # longer sequences start here, from their own h0
                state = tuple(cat([s, f[cur:bs]], 0) for s, f in zip(state, full))
                cur = bs
            state = step(t, state)
            outs[t] = state[0]
        return outs, state
    ended, cur = [], batch_sizes[0]
    for t in range(T):
        bs = batch_sizes[t]
        if bs < cur:  # the shortest sequences ended at the previous step
            ended.append(tuple(s[bs:cur] for s in state))
            state = tuple(s[:bs] for s in state)
            cur = bs
        state = step(t, state)
        outs[t] = state[0]
    ended.append(state)
    final = tuple(cat([e[k] for e in reversed(ended)], 0) for k in range(len(state)))
    return outs, final


def _direction(mode: str, x: Tensor, sizes: list, batch_sizes, state: tuple, p: list, has_biases: bool,
               reverse: bool):
    """One layer in one direction over x (rows of all steps): (outputs as rows, final state)."""
    w_ih, w_hh = p[0], p[1]
    b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
    xs = split(_project(x, w_ih, b_ih if mode == "gru" else _both_biases(b_ih, b_hh)), sizes)
    node, sinks = recurrence(w_hh, b_hh if mode == "gru" else None, sizes) if mode in ("lstm", "gru") else (None, 0)
    hs = [None] * len(sizes)
    if mode == "lstm":
        w_hr_t = p[-1].t() if len(p) in (3, 5) else None

        def step(t, s):
            hs[t] = s[0]
            h, c, _ = _lstm_cell(xs[t], s[0], s[1], sinks[t], w_hh)
            return (h if w_hr_t is None else h.matmul(w_hr_t), c)
    elif mode == "gru":
        def step(t, s):
            hs[t] = s[0]
            return (_gru_cell(xs[t], s[0], sinks[t], w_hh, b_hh)[0],)
    else:
        w_hh_t = w_hh.t()

        def step(t, s):
            pre = xs[t] + s[0].matmul(w_hh_t)
            return (pre.relu() if mode == "rnn_relu" else pre.tanh(),)
    outs, final = _scan(step, len(sizes), state, batch_sizes, reverse)
    if node is not None:
        node.hs = hs
    return cat(outs, 0), final


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout between layers (training only)."""
    if p >= 1:
        return x * 0
    mask = empty_like(x).bernoulli_(1 - p)
    return x * mask.mul_(1 / (1 - p))


def _run(mode: str, x: Tensor, batch_sizes, hx: tuple, params, has_biases: bool, num_layers: int, dropout: float,
         train: bool, bidirectional: bool, batch_first: bool) -> tuple:
    """The multi-layer, optionally bidirectional recurrence over a padded or packed input: (output, *final states)."""
    nd = 2 if bidirectional else 1
    group = len(params) // (num_layers * nd)
    if batch_sizes is None:
        if batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[0], x.shape[1]
        layer_in = x.reshape(steps * batch, x.shape[2])
        sizes = [batch] * steps
    else:
        batch_sizes = [int(b) for b in batch_sizes.tolist()]
        layer_in, sizes = x, batch_sizes
    initial = [s.unbind(0) for s in hx]
    finals = []
    for layer in range(num_layers):
        if layer and dropout and train:
            layer_in = _dropout(layer_in, dropout)
        outs = []
        for d in range(nd):
            k = layer * nd + d
            out, final = _direction(mode, layer_in, sizes, batch_sizes, tuple(s[k] for s in initial),
                                    list(params[k * group:(k + 1) * group]), has_biases, d == 1)
            outs.append(out)
            finals.append(final)
        layer_in = outs[0] if nd == 1 else cat(outs, 1)
    output = layer_in
    if batch_sizes is None:
        output = output.reshape(steps, batch, output.shape[1])
        if batch_first:
            output = output.transpose(0, 1)
    return (output,) + tuple(stack([f[k] for f in finals], 0) for k in range(len(hx)))


def _layers(mode: str, args: tuple, nstates: int) -> tuple:
    """Dispatch torch's two overloads: (input, hx, params, has_biases, ..., batch_first) and
    (data, batch_sizes, hx, params, has_biases, ...) for packed input."""
    if isinstance(args[3], bool):
        input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
        batch_sizes = None
    else:
        input, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
    hx = tuple(hx) if nstates == 2 else (hx,)
    return _run(mode, input, batch_sizes, hx, params, has_biases, num_layers, float(dropout), train, bidirectional,
                batch_first)


@export(method=False)
def lstm(*args) -> tuple:
    """Multi-layer LSTM (torch.lstm): (input, (h0, c0), params, has_biases, num_layers, dropout, train,
    bidirectional, batch_first) or (data, batch_sizes, (h0, c0), params, ...); returns (output, h_n, c_n).
    params per layer and direction: w_ih, w_hh[, b_ih, b_hh][, w_hr]."""
    return _layers("lstm", args, 2)


@export(method=False)
def gru(*args) -> tuple:
    """Multi-layer GRU (torch.gru), arguments as lstm with a single h0; returns (output, h_n)."""
    return _layers("gru", args, 1)


@export(method=False)
def rnn_tanh(*args) -> tuple:
    """Multi-layer Elman RNN with tanh (torch.rnn_tanh), arguments as gru."""
    return _layers("rnn_tanh", args, 1)


@export(method=False)
def rnn_relu(*args) -> tuple:
    """Multi-layer Elman RNN with ReLU (torch.rnn_relu), arguments as gru."""
    return _layers("rnn_relu", args, 1)
