"""OpInfo rows: the fused ops of ember/ops/nn_norm.py (linear, native_layer_norm, native_batch_norm, native_dropout,
embedding), through their nn.functional forms and torch-level names."""
from tests.oracle.core import FLOATS, ErrorInput, OpInfo, T


def _f(m):
    return m.nn.functional


# (input, weight, bias): leading dims, 1-D input, no bias, a 1-D weight (0-d bias), a bias with batch dims, empty
LINEAR = [((2, 3), (4, 3), (4,)), ((2, 2, 3), (4, 3), (4,)), ((3,), (2, 3), (2,)), ((2, 3), (4, 3), None),
          ((2, 3), (3,), None), ((2, 3), (4, 3), (2, 4)), ((0, 3), (4, 3), (4,)), ((2, 0), (4, 0), (4,))]
# (input, normalized_shape, weight, bias)
LAYER = [((2, 3, 4), [4], (4,), (4,)), ((2, 3, 4), [3, 4], (3, 4), (3, 4)), ((3, 4), [4], None, None),
         ((2, 4), [4], (4,), None), ((4,), [4], None, (4,)), ((0, 4), [4], (4,), (4,)),
         ((2, 3, 4), [2, 3, 4], None, None)]
# (input, running_mean, running_var, weight, bias, training)
STATS = T((3,), low=0.5, high=1.5, grad=False)
BATCH = [((4, 3), STATS, STATS, (3,), (3,), True), ((2, 3, 2), STATS, STATS, (3,), (3,), True),
         ((2, 3, 2, 2), None, None, None, None, True), ((4, 3), STATS, STATS, (3,), (3,), False),
         ((2, 3, 2), STATS, STATS, None, (3,), False), ((2, 3, 2, 1, 2), STATS, STATS, (3,), None, True)]
IDX = T((2, 3), "int64", low=0, high=5, grad=False)
IDX32 = T((4,), "int32", low=0, high=5, grad=False)


def _seeded_dropout(m, x, p, train):
    m.manual_seed(0)  # the same mask on every call, so gradcheck sees one function
    return m.native_dropout(x, p, train)


OPS = [
    OpInfo("linear", lambda m, x, w, b: _f(m).linear(x, w, b), LINEAR, dtypes=FLOATS + ("int64",), order=2),
    OpInfo("layer_norm", lambda m, x, s, w, b: _f(m).layer_norm(x, s, w, b), LAYER, order=2,
           covers=("native_layer_norm",)),
    OpInfo("layer_norm_eps", lambda m, x: m.layer_norm(x, [4], None, None, 0.5), [((3, 4),)], order=2,
           covers=("native_layer_norm",)),
    OpInfo("batch_norm", lambda m, x, rm, rv, w, b, tr: _f(m).batch_norm(x, rm, rv, w, b, tr, 0.3, 1e-3),
           BATCH, order=2, covers=("native_batch_norm",)),
    # the running statistics after the call: the in-place update (momentum, unbiased variance) in every dtype
    OpInfo("batch_norm_running",
           lambda m, x, rm, rv, w, b, tr: (_f(m).batch_norm(x, rm, rv, w, b, tr, 0.3, 1e-3), rm, rv), BATCH,
           order=0, covers=("native_batch_norm",)),
    OpInfo("batch_norm_top", lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
           [((3, 2, 2), (2,), (2,))], order=2, covers=("native_batch_norm",)),
    OpInfo("native_dropout", _seeded_dropout, [((3, 4), 0.5, True), ((2, 3, 2), 0.2, True)],
           nondeterministic_values=True),
    # torch gives an empty input a float mask; ember's mask is always bool
    OpInfo("native_dropout_empty", lambda m, x: m.native_dropout(x, 0.5, True)[0], [((0, 2),)],
           covers=("native_dropout",)),
    OpInfo("native_dropout_fixed", lambda m, x, p, t: m.native_dropout(x, p, t),
           [((3, 4), 0.5, False), ((3, 4), 1.0, True), ((3, 4), 0.0, True)], covers=("native_dropout",)),
    OpInfo("embedding", lambda m, w, i: m.embedding(w, i), [((5, 3), IDX), ((5, 2), IDX32), ((5, 3), T((), "int64",
           low=0, high=5, grad=False)), ((5, 3), T((0,), "int64", grad=False))], dtypes=FLOATS + ("int64",), order=2,
           covers=("embedding_dense_backward",)),
    OpInfo("embedding_options", lambda m, w, i, pad, freq: _f(m).embedding(i, w, pad, scale_grad_by_freq=freq),
           [((5, 3), T((3, 4), "int64", low=0, high=5, grad=False), 2, False),
            ((5, 3), T((3, 4), "int64", low=0, high=5, grad=False), -1, True),
            ((5, 3), T((8,), "int64", low=0, high=3, grad=False), None, True)],
           # no float64: padding_idx and scale_grad_by_freq change the gradient on purpose, so gradcheck (which
           # compares with the forward's finite differences) cannot pass, in torch either; gradients match torch's
           dtypes=("float32", "float16", "bfloat16"), covers=("embedding", "embedding_dense_backward")),
]

ERRORS = [
    ErrorInput("linear_shapes", lambda m: _f(m).linear(m.ones(2, 3), m.ones(4, 5))),
    ErrorInput("linear_dtypes", lambda m: _f(m).linear(m.ones(2, 3), m.ones(4, 3, dtype=m.float64))),
    ErrorInput("linear_bias_dtype", lambda m: _f(m).linear(m.ones(2, 3), m.ones(4, 3), m.ones(4, dtype=m.float64))),
    ErrorInput("linear_bias_size", lambda m: _f(m).linear(m.ones(2, 3), m.ones(4, 3), m.ones(5))),
    ErrorInput("linear_0d", lambda m: _f(m).linear(m.tensor(3.0), m.ones(3))),
    ErrorInput("linear_1d_weight_bias", lambda m: _f(m).linear(m.ones(2, 3), m.ones(3), m.tensor(1.0))),
    ErrorInput("linear_3d_weight", lambda m: _f(m).linear(m.ones(2, 5, 3), m.ones(2, 4, 3))),
    ErrorInput("layer_norm_shape", lambda m: _f(m).layer_norm(m.ones(2, 3, 4), (3,))),
    ErrorInput("layer_norm_weight", lambda m: _f(m).layer_norm(m.ones(2, 3, 4), (4,), m.ones(3))),
    ErrorInput("layer_norm_empty_shape", lambda m: _f(m).layer_norm(m.ones(2, 3, 4), ())),
    ErrorInput("layer_norm_int_shape", lambda m: _f(m).layer_norm(m.ones(2, 3, 4), 4)),
    ErrorInput("layer_norm_long", lambda m: _f(m).layer_norm(m.ones(2, 4, dtype=m.long), (4,))),
    ErrorInput("layer_norm_mixed", lambda m: _f(m).layer_norm(m.ones(2, 4), (4,), m.ones(4, dtype=m.float64))),
    ErrorInput("batch_norm_stats", lambda m: _f(m).batch_norm(m.ones(4, 3), m.zeros(4), m.ones(3))),
    ErrorInput("batch_norm_weight", lambda m: _f(m).batch_norm(m.ones(4, 3), m.zeros(3), m.ones(3), m.ones(4))),
    ErrorInput("batch_norm_one_value", lambda m: _f(m).batch_norm(m.ones(1, 3), None, None, training=True)),
    ErrorInput("batch_norm_eval_no_stats", lambda m: _f(m).batch_norm(m.ones(2, 3), None, None, training=False)),
    ErrorInput("batch_norm_long", lambda m: _f(m).batch_norm(m.ones(4, 3, dtype=m.long), None, None, training=True)),
    ErrorInput("batch_norm_eps", lambda m: _f(m).batch_norm(m.ones(4, 3), None, None, training=True, eps=0.0)),
    ErrorInput("dropout_p", lambda m: _f(m).dropout(m.ones(3), 1.5)),
    ErrorInput("dropout_long", lambda m: _f(m).dropout(m.ones(3, dtype=m.long), 0.5)),
    ErrorInput("embedding_range", lambda m: _f(m).embedding(m.tensor([1, 5]), m.ones(5, 3))),
    ErrorInput("embedding_negative", lambda m: _f(m).embedding(m.tensor([1, -1]), m.ones(5, 3))),
    ErrorInput("embedding_float_index", lambda m: _f(m).embedding(m.tensor([1.0]), m.ones(5, 3))),
    ErrorInput("embedding_short_index", lambda m: _f(m).embedding(m.tensor([1], dtype=m.int16), m.ones(5, 3))),
    ErrorInput("embedding_padding", lambda m: _f(m).embedding(m.tensor([1]), m.ones(5, 3), padding_idx=5)),
    ErrorInput("embedding_1d_weight", lambda m: _f(m).embedding(m.tensor([1]), m.ones(5))),
]
