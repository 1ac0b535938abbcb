"""OpInfo rows: the fused LSTM and GRU cell ops (against torch's cell math, with gradgradcheck) and the cell
functions torch.lstm_cell, torch.gru_cell, torch.rnn_tanh_cell, torch.rnn_relu_cell."""
import ember
from ember.ops import nn_rnn
from tests.oracle.core import FLOATS, ErrorInput, OpInfo


def lstm_step(m, xg, h, c, w):
    """ember's fused _lstm_cell (one step with its W_hh gradient node), or the same step composed from torch ops:
    (h', c', activated gates)."""
    if m is ember:
        return nn_rnn.lstm_step(xg, h, c, w)
    i, f, g, o = (xg + h @ w.T).chunk(4, 1)
    act = m.cat([i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()], 1)
    i, f, g, o = act.chunk(4, 1)
    c_new = f * c + i * g
    return o * c_new.tanh(), c_new, act


def gru_step(m, xg, h, w, b):
    """ember's fused _gru_cell (one step with its W_hh, b_hh gradient node), or the same step composed from torch
    ops: (h', [r, z, n, W_hn h + b_hn])."""
    if m is ember:
        return nn_rnn.gru_step(xg, h, w, b)
    xr, xz, xn = xg.chunk(3, 1)
    hr, hz, hn = (h @ w.T + b).chunk(3, 1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * h, m.cat([r, z, n, hn], 1)


LSTM_CELL = [((2, 8), (2, 2), (2, 2), (8, 2)), ((3, 12), (3, 2), (3, 3), (12, 2)), ((0, 8), (0, 2), (0, 2), (8, 2))]
GRU_CELL = [((2, 6), (2, 2), (6, 2), (6,)), ((3, 9), (3, 3), (9, 3), (9,))]
CELL = [((2, 3), (2, 2), (2, 3), (2, 2), (2,), (2,))]

OPS = [
    OpInfo("_lstm_cell", lstm_step, LSTM_CELL, dtypes=FLOATS, order=2),
    OpInfo("_gru_cell", gru_step, GRU_CELL, dtypes=FLOATS, order=2),
    OpInfo("_gru_cell_no_bias", lambda m, xg, h, w: gru_step(m, xg, h, w, None if m is ember else 0),
           [((2, 6), (2, 2), (6, 2))], dtypes=("float32", "float64"), order=2, covers=("_gru_cell",)),
    OpInfo("lstm_cell", lambda m, x, h, c, wi, wh, bi, bh: m.lstm_cell(x, (h, c), wi, wh, bi, bh),
           [((2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,), (8,))], dtypes=("float32", "float64")),
    OpInfo("lstm_cell_no_bias", lambda m, x, h, c, wi, wh: m.lstm_cell(x, (h, c), wi, wh),
           [((2, 3), (2, 2), (2, 2), (8, 3), (8, 2))], dtypes=("float32", "float64")),
    OpInfo("gru_cell", lambda m, x, h, wi, wh, bi, bh: m.gru_cell(x, h, wi, wh, bi, bh),
           [((2, 3), (2, 2), (6, 3), (6, 2), (6,), (6,))], dtypes=("float32", "float64")),
    OpInfo("rnn_tanh_cell", lambda m, x, h, wi, wh, bi, bh: m.rnn_tanh_cell(x, h, wi, wh, bi, bh), CELL,
           dtypes=("float32", "float64"), order=2),
    OpInfo("rnn_relu_cell", lambda m, x, h, wi, wh, bi, bh: m.rnn_relu_cell(x, h, wi, wh, bi, bh), CELL,
           dtypes=("float32", "float64")),
]


def _cell_error(m, x, h, w_ih, w_hh):
    r = m.randn
    return m.gru_cell(r(*x), r(*h), r(*w_ih), r(*w_hh))


ERRORS = [
    ErrorInput("gru_cell_input_size", lambda m: _cell_error(m, (3, 7), (3, 5), (15, 10), (15, 5))),
    ErrorInput("gru_cell_batch", lambda m: _cell_error(m, (3, 10), (2, 5), (15, 10), (15, 5))),
    ErrorInput("gru_cell_hidden_size", lambda m: _cell_error(m, (3, 10), (3, 4), (15, 10), (15, 5))),
    ErrorInput("lstm_cell_cell_size", lambda m: m.lstm_cell(m.randn(3, 10), (m.randn(3, 5), m.randn(3, 4)),
                                                            m.randn(20, 10), m.randn(20, 5))),
]

UNTESTED = {}
