"""Fused attention: softmax(query @ key^T * scale + mask) @ value with a hand-written backward.

NOTE [ Attention weights ]
The op returns (output, weights), weights being the softmax before dropout; the node keeps them (as its output), so
backward needs no recomputation. Dropout arrives as ``keep``, a mask already scaled by 1/(1-p) that the caller draws:
the node keeps it as an input, and the weights after dropout are ``weights * keep`` (what MultiheadAttention returns
with need_weights=True). ``safe=True`` gives rows whose every position is masked zero weights and a zero output, as
torch's scaled_dot_product_attention does; ``safe=False`` gives NaN there, as a plain softmax (MultiheadAttention's
need_weights path) does.
"""
from __future__ import annotations

import numpy as np

from ._registry import KEEP, op
from ._util import LOW

_TORCH_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                "uint8": "unsigned char", "bool": "bool"}


def _name(a) -> str:
    return _TORCH_NAMES.get(np.dtype(a.dtype).name, str(a.dtype))


def _check(query, key, value, attn_mask) -> None:
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_name(query)} key.dtype: {_name(key)} and value.dtype: {_name(value)} instead.")
    if query.dtype.kind != "f" and query.dtype not in LOW:
        raise RuntimeError(f"expected scalar type Float but found {_name(query)}")
    if attn_mask is not None and attn_mask.dtype not in (np.bool_, np.float32, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_name(attn_mask)} and  query.dtype: {_name(query)} instead.")
    if key.shape[-1] != query.shape[-1] or value.shape[-2] != key.shape[-2]:
        raise RuntimeError(f"attention: query {list(query.shape)}, key {list(key.shape)} and value "
                           f"{list(value.shape)} do not fit: query and key need the same last dim, key and value "
                           "the same sequence length")


# NOTE [ Attention softmax ]
# Softmax subtracts a maximum before exp. NumPy reduces short rows slowly (a max over 64 values costs ~80 ns of loop
# set-up per row), so the shift is one maximum per (L, S) matrix instead, a reduction over long rows. Rows whose every
# score lies far below that shift (their sum under exp(-20)) would lose precision or vanish, and rows with no
# position are -inf throughout: those few rows are recomputed with their own maximum.
_TINY = float(np.exp(-20.0))


def _mask_out(scores, allowed, xp) -> None:
    """-inf where allowed is False, in place (adding a 0/-inf bias is far faster than boolean indexing)."""
    t = scores.dtype.type
    scores += xp.where(allowed, t(0), t(-np.inf))


def _softmax(s, safe: bool, xp):
    """softmax over the last dim of s (which it leaves as is); see NOTE [ Attention softmax ]."""
    if not s.size:
        return s
    top = s.reshape(s.shape[:-2] + (-1,)).max(-1)[..., None, None]
    top[top == -np.inf] = 0  # a matrix with no position at all: every row is recomputed below
    w = s - top
    xp.exp(w, out=w)
    total = xp.matmul(w, xp.ones((w.shape[-1], 1), w.dtype))  # BLAS sums short rows far faster than a reduction
    low = total < _TINY
    if low.any():
        rows = low[..., 0]
        exact = s[rows]
        top = exact.max(-1, keepdims=True)
        if safe:
            top[top == -np.inf] = 0
        with np.errstate(invalid="ignore"):  # -inf - -inf: a row with no position is NaN, as torch's softmax
            exact = xp.exp(exact - top)
        w[rows] = exact
        total[rows] = exact.sum(-1, keepdims=True)
    if safe:
        total[total == 0] = 1
    w /= total
    return w


@op(dtype=KEEP, method=False, export=False, outputs=2, name="_attention")
def attention(query, key, value, attn_mask, keep, scale: float, is_causal: bool, safe: bool, *, xp):
    """(softmax(query @ key^T * scale + mask) * keep @ value, softmax weights); batch dims broadcast.

    attn_mask: None, bool (True takes part) or float (added); keep: None or the scaled dropout mask. See NOTE
    [ Attention weights ]. float16/bfloat16 compute in float32.
    """
    _check(query, key, value, attn_mask)
    dt = query.dtype
    if dt in LOW:
        query, key, value = (a.astype(np.float32) for a in (query, key, value))
    s = xp.matmul(query * scale, xp.swapaxes(key, -1, -2))  # scaling query: L x E values, not L x S
    if is_causal:
        _mask_out(s, xp.tri(*s.shape[-2:], dtype=bool), xp)
    if attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            _mask_out(s, attn_mask, xp)
        else:
            s += attn_mask  # in place: as in torch, a mask may not broadcast the scores to a bigger shape
    s = _softmax(s, safe, xp)
    out = xp.matmul(s if keep is None else s * keep, value)
    return out.astype(dt, copy=False), s.astype(dt, copy=False)


@attention.derivative
def _(grad, query, key, value, keep, out, scale, needs):
    g_out, g_weights = grad
    output, weights = out
    if weights._data.dtype in LOW:  # as the forward: float32 products, rounded once (by the engine)
        query, key, value, output, weights, g_out, g_weights, keep = (
            None if t is None else t.float() for t in (query, key, value, output, weights, g_out, g_weights, keep))
    g_value = g_scores = None
    if g_out is not None:
        if needs[2]:
            g_value = (weights if keep is None else weights * keep).mT @ g_out
        if not (needs[0] or needs[1] or needs[3]):
            return None, None, g_value, None, None
        g_scores = g_out @ value.mT
        if keep is not None:
            g_scores = g_scores * keep
        # softmax's backward needs rowsum(g_scores * weights); with output = (weights * keep) @ value that is
        # rowsum(g_out * output), an L x Ev product instead of an L x S one (FlashAttention's trick)
        row = (g_out * output).sum(-1, keepdim=True)
        if g_weights is not None:
            g_scores = g_scores + g_weights
            row = row + (g_weights * weights).sum(-1, keepdim=True)
    elif g_weights is not None:
        g_scores = g_weights
        row = (g_weights * weights).sum(-1, keepdim=True)
    if g_scores is None or not (needs[0] or needs[1] or needs[3]):
        return None, None, g_value, None, None
    g_scores = weights * (g_scores - row)
    g_query = (g_scores @ key) * scale if needs[0] else None
    g_key = (g_scores.mT @ query) * scale if needs[1] else None
    return g_query, g_key, g_value, (g_scores if needs[3] else None), None
