"""nn.functional: embedding (the fused op of ember/ops/nn_norm.py), embedding_bag (composed on it) and one_hot."""
from __future__ import annotations

import warnings

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import creation
from ...ops._registry import export
from ...ops.join import cat
from ...ops.nn_norm import embedding as _embedding

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _padding_idx(padding_idx: int | None, num: int) -> int:
    """torch's check and normalisation: a negative padding_idx counts from the end; None is -1 (no padding)."""
    if padding_idx is None:
        return -1
    if padding_idx >= num or padding_idx < -num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


@export(method=False)
def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> Tensor:
    """Rescale, in place, the rows of input at indices whose norm_type-norm exceeds max_norm to norm max_norm
    (torch.embedding_renorm_)."""
    with no_grad():
        rows = indices.reshape(-1).unique()
        sel = input[rows]
        norms = sel.norm(norm_type, 1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).where(norms > max_norm, 1.0)
        input[rows] = sel * scale.to(sel.dtype)
    return input


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of weight at the indices in input (torch.nn.functional.embedding).

    With max_norm, the looked-up rows of weight are first renormalised in place, as in torch. sparse=True raises
    NotImplementedError: ember has no sparse tensors.
    """
    padding_idx = _padding_idx(padding_idx, weight.size(0))
    if max_norm is not None:
        embedding_renorm_(weight, input.contiguous(), max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


def _bag_layout(input: Tensor, offsets: Tensor, include_last_offset: bool):
    """For 1-D input with offsets: (positions (B, W) into input, valid mask (B, W)), W the longest bag."""
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    n = input.numel()
    starts = offsets.long()
    if include_last_offset:
        ends, starts = starts[1:], starts[:-1]
    else:
        ends = starts[1:].new_full((min(starts.numel(), 1),), n)
        ends = cat([starts[1:], ends]) if starts.numel() else ends
    if starts.numel():
        if int(starts[0]) != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {int(starts[0])}")
        if int(offsets[-1]) > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                               f"{int(offsets[-1])}")
    lengths = (ends - starts).clamp_min(0)
    width = int(lengths.max()) if lengths.numel() else 0
    pos = creation.arange(width, device=input.device)
    valid = pos < lengths.unsqueeze(1)
    return (starts.unsqueeze(1) + pos).clamp(0, max(n - 1, 0)), valid


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of the embedding rows of each bag (torch.nn.functional.embedding_bag).

    Bags are the rows of a 2-D input, or the runs of a 1-D input that start at offsets. Empty bags give zeros;
    padding_idx entries are left out of their bag (and of the mean's count). Composed on the fused embedding op: the
    bags are laid out as a padded (bags, longest bag) matrix, so there is no Python loop over bags.
    """
    if weight.dtype == D.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must "
                         f"have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    num = weight.size(0)
    pad = _padding_idx(padding_idx, num)
    flat = input.reshape(-1)
    if flat.is_floating_point() or flat.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {flat.type()} instead (while checking arguments for embedding_bag)")
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= num):
        bad = int(flat.max()) if int(flat.max()) >= num else int(flat.min())
        raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {bad}")
    rows = _embedding(weight, flat, -1, scale_grad_by_freq, sparse)  # the op sees each index once: true frequencies
    psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    if input.dim() == 2:
        b, w = input.shape
        rows, idx, valid = rows.reshape(b, w, -1), input, None
        psw = None if psw is None else psw.reshape(b, w)
    else:
        at, valid = _bag_layout(input, offsets, include_last_offset)
        b, w = at.shape
        rows, idx = rows[at], flat[at]
        psw = None if psw is None else psw[at]
    if pad >= 0:
        keep = idx != pad
        valid = keep if valid is None else valid & keep
    if psw is not None:
        rows = rows * psw.unsqueeze(-1)
    if mode == "max":
        if w == 0:
            return rows.sum(1)  # zeros, still a function of weight
        if valid is None:
            return rows.max(1).values
        out = rows.masked_fill(~valid.unsqueeze(-1), float("-inf")).max(1).values
        return out.where(valid.any(1, keepdim=True), 0.0)
    if valid is not None:
        rows = rows * valid.unsqueeze(-1).to(rows.dtype)
    out = rows.sum(1)
    if mode == "mean":
        count = valid.sum(1, keepdim=True) if valid is not None else w
        out = out / (count.clamp_min(1).to(out.dtype) if valid is not None else max(count, 1))
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor with a trailing dim of num_classes, 1 at each value (torch.nn.functional.one_hot).
    num_classes=-1 uses the largest value + 1."""
    if tensor.dtype != D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.numel():
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == creation.arange(num_classes, device=tensor.device)).long()
