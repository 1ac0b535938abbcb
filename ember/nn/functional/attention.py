"""nn.functional: attention (torch.nn.functional.scaled_dot_product_attention, multi_head_attention_forward)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as D
from ..._tensor import Size, Tensor
from ...ops._util import wrap_dim
from ...ops.creation import zeros
from ...ops.join import cat
from ...ops.random import rand
from ...ops.nn_attn import attention
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _keep_mask(shape: tuple, p: float, like: Tensor) -> Tensor:
    """Dropout's keep mask, scaled by 1/(1-p), in like's dtype and device (NOTE [ Attention weights ])."""
    if p >= 1:
        return zeros(shape, dtype=like.dtype, device=like.device)
    return rand(shape, dtype=like.dtype, device=like.device).ge_(p).mul_(1.0 / (1.0 - p))


def _score_shape(query: Tensor, key: Tensor) -> tuple:
    return tuple(np.broadcast_shapes(query.shape[:-2], key.shape[:-2])) + (query.shape[-2], key.shape[-2])


def _repeat_heads(query: Tensor, kv: Tensor) -> Tensor:
    """Key or value heads repeated to the query's head count (enable_gqa), head h of query using h // group."""
    hq, hkv = query.size(-3), kv.size(-3)
    if hq % hkv:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
    return kv if hq == hkv else kv.repeat_interleave(hq // hkv, dim=-3)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value over the last two dims, with dropout on the weights
    (torch.nn.functional.scaled_dot_product_attention).

    A bool attn_mask marks the positions that take part; a float one is added to the scores. Rows with no position
    left give zeros, as torch's. Leading dims broadcast. One fused op with a hand-written backward.
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if attn_mask is not None and attn_mask.ndim < 2:
        wrap_dim(-2, attn_mask.ndim)  # torch reads the mask's dim -2: IndexError
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa:
        key, value = _repeat_heads(query, key), _repeat_heads(query, value)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    keep = _keep_mask(_score_shape(query, key), dropout_p, query) if dropout_p > 0 else None
    return attention(query, key, value, attn_mask, keep, scale, is_causal, True)[0]


def _canonical_mask(mask: Tensor | None, name: str, target: D.dtype, other: Tensor | None = None,
                    other_name: str = "") -> Tensor | None:
    """A bool mask (True = masked out) becomes a float one with -inf where True (torch's _canonical_mask); torch's
    deprecation warning when other (the second mask of the call) has another dtype."""
    if mask is None:
        return None
    if mask.dtype is not D.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other.dtype is not mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=2)
    if mask.dtype is D.bool:
        return zeros(mask.shape, dtype=target, device=mask.device).masked_fill_(mask, float("-inf"))
    return mask


def _pad_last(t: Tensor | None) -> Tensor | None:
    """A zero column after the last one (for the position that add_bias_kv or add_zero_attn appends)."""
    if t is None:
        return None
    return cat([t, zeros(t.shape[:-1] + (1,), dtype=t.dtype, device=t.device)], -1)


def _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched; torch's AssertionErrors for ranks that do not fit (_mha_shape_check)."""
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                             "tensor")
    batched = query.ndim == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {query.ndim}-D but found "
                             f"{key.ndim}-D and {value.ndim}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {query.ndim - 1}-D "
                             f"but found {key_padding_mask.ndim}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.ndim}-D tensor instead")
        if not batched and attn_mask.ndim == 3:
            want = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != want:
                raise AssertionError(f"Expected `attn_mask` shape to be {want} but got {attn_mask.shape}")
    return batched


def _project(query, key, value, w, b, separate) -> tuple:
    """The q, k, v input projections, from the packed in_proj_weight or from three weights."""
    e = query.shape[-1]
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b.chunk(3)
    if separate:
        wq, wk, wv = w
        for name, wt, x in (("query", wq, query), ("key", wk, key), ("value", wv, value)):
            if tuple(wt.shape) != (e, x.shape[-1]):
                raise AssertionError(f"expecting {name} weights shape of {(e, x.shape[-1])}, but got {wt.shape}")
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    if key is value and query is key:  # self-attention: one GEMM for all three
        return linear(query, w, b).unflatten(-1, (3, e)).unbind(-2)
    wq, wk, wv = w.chunk(3)
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on (L, N, E) / (L, E) inputs (torch.nn.functional.multi_head_attention_forward).

    Bool masks mark the positions left out (True = masked), float masks are added. With need_weights the attention
    weights (after dropout) come back averaged over heads or per head; rows with every position masked give NaN
    there, as in torch, and zeros without need_weights.
    """
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype, attn_mask, "attn_mask")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the mask: the fused op masks by position
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        q, k, v = _project(query, key, value, (q_proj_weight, k_proj_weight, v_proj_weight), in_proj_bias, True)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, False)
    src_len = key.shape[0]
    if attn_mask is not None:
        want = (tgt_len, src_len) if attn_mask.ndim == 2 else (bsz * num_heads, tgt_len, src_len)
        if tuple(attn_mask.shape) != want:
            raise RuntimeError(f"The shape of the {attn_mask.ndim}D attn_mask is {attn_mask.shape}, but should be "
                               f"{Size(want)}.")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static {'key' if static_k is not None else 'value'}.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError(f"bias_{'k' if bias_k is not None else 'v'} is set but "
                             f"bias_{'v' if bias_k is not None else 'k'} is None")
    # (seq, batch, heads * head_dim) -> (batch, heads, seq, head_dim)
    q = q.reshape(tgt_len, bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "v")
    if add_zero_attn:
        k = cat([k, zeros(k.shape[:2] + (1, head_dim), dtype=k.dtype, device=k.device)], 2)
        v = cat([v, zeros(v.shape[:2] + (1, head_dim), dtype=v.dtype, device=v.device)], 2)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    src_len = k.shape[2]
    if attn_mask is not None:  # (L, S) or (N * heads, L, S) -> broadcastable to (N, heads, L, S)
        attn_mask = attn_mask.reshape(((1, 1) if attn_mask.ndim == 2 else (bsz, num_heads)) + (tgt_len, src_len))
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            i, want = (0, bsz) if key_padding_mask.shape[0] != bsz else (1, src_len)
            raise AssertionError(f"Expected key_padded_mask.shape[{i}] to be {want}, but got "
                                 f"{key_padding_mask.shape[i]}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    p = dropout_p if training else 0.0
    keep = _keep_mask((bsz, num_heads, tgt_len, src_len), p, q) if p > 0 else None
    out, weights = attention(q, k, v, attn_mask, keep, 1.0 / math.sqrt(head_dim), is_causal and attn_mask is None,
                             not need_weights)
    out = linear(out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim), out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not need_weights:
        return (out if batched else out.squeeze(1)), None
    if keep is not None:
        weights = weights * keep
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights


def _heads(t: Tensor, static: Tensor | None, bsz: int, num_heads: int, head_dim: int, name: str) -> Tensor:
    """(S, N, E) -> (N, heads, S, head_dim), or static_k/static_v given as (N * heads, S, head_dim)."""
    if static is None:
        return t.reshape(t.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting static_{name}.size(0) of {bsz * num_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static.reshape(bsz, num_heads, static.shape[1], head_dim)
