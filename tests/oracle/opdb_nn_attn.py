"""OpInfo rows: the fused attention op (_attention), through nn.functional.scaled_dot_product_attention."""
from math import inf

from tests.oracle.core import FLOATS, ErrorInput, OpInfo, T

SDPA = "nn.functional.scaled_dot_product_attention"


def _sdpa(m, *args, **kwargs):
    return m.nn.functional.scaled_dot_product_attention(*args, **kwargs)


# (query, key, value): the first of each list is small enough for gradgradcheck; 2-D, broadcast batch dims, empty
QKV = [((2, 3, 2), (2, 4, 2), (2, 4, 3)), ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3)), ((4, 3), (5, 3), (5, 2)),
       ((3, 1, 4, 2), (1, 2, 5, 2), (2, 5, 3)), ((2, 0, 3), (2, 4, 3), (2, 4, 2)), ((2, 3, 3), (2, 0, 3), (2, 0, 2))]
MASKED = [((2, 3, 2), (2, 4, 2), (2, 4, 3), T((3, 4), "bool", grad=False)),
          ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), T((2, 1, 5, 6), "bool", grad=False)),
          ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), T((6,), "bool", grad=False))]
ROWS_OUT = [[True, True, True, True], [False, False, False, False], [True, False, True, False]]  # row 1: none
FAR_BELOW = [[0.0, 1.0, 0.0, -1.0], [-1000.0, -999.0, -1001.0, -998.0], [2.0, 0.0, 1.0, 0.0]]
FLOAT_MASKED = [((2, 3, 2), (2, 4, 2), (2, 4, 3), (3, 4)), ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), (2, 1, 5, 6)),
                ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), T((2, 1, 5, 6), "float32"))]

OPS = [
    OpInfo("scaled_dot_product_attention", lambda m, q, k, v: _sdpa(m, q, k, v), QKV, dtypes=FLOATS, order=2,
           covers=("_attention",)),
    OpInfo("sdpa_bool_mask", lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask), MASKED, dtypes=FLOATS,
           order=2, covers=("_attention",)),
    OpInfo("sdpa_float_mask", lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask), FLOAT_MASKED,
           dtypes=FLOATS, order=2, covers=("_attention",)),
    # a float mask with -inf: rows with every position left out give zeros and zero gradients, as torch's
    OpInfo("sdpa_inf_mask", lambda m, q, k, v, mask, keep: _sdpa(m, q, k, v, attn_mask=mask.masked_fill(~keep, -inf)),
           [((2, 3, 2), (2, 4, 2), (2, 4, 3), (3, 4), T((3, 4), "bool", grad=False))], dtypes=FLOATS, order=2,
           covers=("_attention",)),
    # rows with no position, and a row far below the others (the softmax recomputes both with their own maximum)
    OpInfo("sdpa_rows_out", lambda m, q, k, v: (_sdpa(m, q, k, v, attn_mask=m.tensor(ROWS_OUT)),
                                                _sdpa(m, q, k, v, attn_mask=m.zeros(3, 4).masked_fill(
                                                    ~m.tensor(ROWS_OUT), -inf).to(q.dtype)),
                                                _sdpa(m, q, k, v, attn_mask=m.tensor(FAR_BELOW).to(q.dtype))),
           [((2, 3, 2), (2, 4, 2), (2, 4, 3))], dtypes=FLOATS, order=2, covers=("_attention",)),
    OpInfo("sdpa_causal_scale", lambda m, q, k, v, c, s: _sdpa(m, q, k, v, is_causal=c, scale=s),
           [((2, 3, 2), (2, 4, 2), (2, 4, 3), True, None), ((2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3), True, 0.3),
            ((2, 4, 3), (2, 3, 3), (2, 3, 2), True, None), ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), False, 2.0)],
           dtypes=FLOATS, order=2, covers=("_attention",)),
    OpInfo("sdpa_gqa", lambda m, q, k, v: _sdpa(m, q, k, v, enable_gqa=True),
           [((4, 2, 2), (2, 3, 2), (1, 3, 2)), ((2, 6, 3, 4), (2, 3, 5, 4), (2, 2, 5, 3)),
            ((2, 4, 3, 4), (2, 4, 5, 4), (2, 4, 5, 3))],
           dtypes=FLOATS, order=2, covers=("_attention",)),
    # dropout: random, so only shapes and dtypes compare; p=1 drops everything (exact zeros)
    OpInfo("sdpa_dropout", lambda m, q, k, v, p: _sdpa(m, q, k, v, dropout_p=p),
           [((2, 3, 4), (2, 5, 4), (2, 5, 3), 0.5)], dtypes=FLOATS, order=0, covers=("_attention",),
           nondeterministic_values=True),
    OpInfo("sdpa_dropout_all", lambda m, q, k, v: _sdpa(m, q, k, v, dropout_p=1.0),
           [((2, 3, 4), (2, 5, 4), (2, 5, 3))], dtypes=("float32",), order=0, covers=("_attention",)),
]


def _qkv(m, q=(2, 3, 4), k=(2, 5, 4), v=(2, 5, 3), dtypes=("float32",) * 3):
    return [m.randn(s, dtype=getattr(m, d)) for s, d in zip((q, k, v), dtypes)]


ERRORS = [
    ErrorInput("sdpa_dtype_mismatch", lambda m: _sdpa(m, *_qkv(m, dtypes=("float32", "float64", "float32")))),
    ErrorInput("sdpa_int", lambda m: _sdpa(m, *[x.long() for x in _qkv(m)])),
    ErrorInput("sdpa_mask_int", lambda m: _sdpa(m, *_qkv(m), attn_mask=m.ones(3, 5, dtype=m.int32))),
    ErrorInput("sdpa_mask_float64", lambda m: _sdpa(m, *_qkv(m, dtypes=("float16",) * 3),
                                                    attn_mask=m.zeros(3, 5, dtype=m.float64))),
    ErrorInput("sdpa_mask_shape", lambda m: _sdpa(m, *_qkv(m), attn_mask=m.ones(4, 5, dtype=m.bool))),
    ErrorInput("sdpa_mask_broadcasts_up", lambda m: _sdpa(m, *_qkv(m), attn_mask=m.ones(2, 2, 3, 5))),
    ErrorInput("sdpa_mask_and_causal", lambda m: _sdpa(m, *_qkv(m), attn_mask=m.ones(3, 5), is_causal=True)),
    ErrorInput("sdpa_1d", lambda m: _sdpa(m, m.randn(4), m.randn(4), m.randn(4))),
    ErrorInput("sdpa_key_dim", lambda m: _sdpa(m, *_qkv(m, k=(2, 5, 3)))),
    ErrorInput("sdpa_value_len", lambda m: _sdpa(m, *_qkv(m, v=(2, 4, 3)))),
    ErrorInput("sdpa_heads", lambda m: _sdpa(m, *_qkv(m, q=(4, 3, 4)))),
    ErrorInput("sdpa_gqa_divide", lambda m: _sdpa(m, *_qkv(m, q=(5, 3, 4)), enable_gqa=True)),
    ErrorInput("sdpa_gqa_2d", lambda m: _sdpa(m, *_qkv(m, q=(3, 4)), enable_gqa=True)),
    ErrorInput("sdpa_dropout_p", lambda m: _sdpa(m, *_qkv(m), dropout_p=1.5)),
]

UNTESTED = {}
