"""nn.functional losses (torch.nn.functional). cross_entropy, nll_loss and ctc_loss are fused ops
(ember/ops/nn_loss.py); the rest are composed from ember ops.

Every loss takes reduction='none'|'mean'|'sum' and accepts the legacy size_average/reduce arguments, with torch's
deprecation warning.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops as _ops
from ..._tensor import Tensor
from ...ops import nn_loss as _fused
from .activation import logsigmoid

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
           "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
           "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "ctc_loss"]

_E = _ops.EXPORTS
where, logaddexp = _E["where"], _E["logaddexp"]
_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce) -> str:
    """torch's _Reduction.legacy_get_string, with its warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=3)
    return ret


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _floats(kernel: str, *tensors) -> None:
    """torch's NotImplementedError for a loss kernel given integer inputs."""
    for t in tensors:
        if isinstance(t, Tensor) and not t.dtype.is_floating_point:
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(t)}\'')


def _torch_name(t: Tensor) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(str(t.dtype).split(".")[-1], str(t.dtype))


def _size_warning(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({_size(target)}) that is different to the input size ({_size(input)}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def _size(t: Tensor) -> str:
    return f"torch.Size({list(t.shape)})"


def _pointwise(diff_fn, input, target, reduction, weight=None, weighted_mean: bool = True):
    """diff_fn(input - target) broadcast, weighted and reduced (mse, l1, smooth_l1, huber)."""
    _size_warning(input, target)
    loss = diff_fn(input - target)
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------------------------
# classification


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities, in one fused op (F.cross_entropy).

    Class dim 1 for (N, C, d1, ...) inputs; weight, ignore_index and label_smoothing as torch, and reduction='mean'
    divides by the summed weights of the targets (for probability targets, by the number of them).
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _fused.cross_entropy_loss(input, target, weight, reduction, ignore_index, label_smoothing)[0]


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices given log-probabilities (F.nll_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    return _fused.nll_loss(input, target, weight, reduction, ignore_index)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)), each log clamped at -100 as torch does (F.binary_cross_entropy)."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({_size(target)}) that is different to the input size "
                         f"({_size(input)}) is deprecated. Please ensure they have the same size.")
    _floats("binary_cross_entropy", input, target)
    x = input.detach()
    if bool(((x < 0) | (x > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight.expand(np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) computed stably from logits; pos_weight weighs the positive
    term (F.binary_cross_entropy_with_logits)."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({_size(target)}) must be the same as input size ({_size(input)})")
    _floats("log_sigmoid_cpu", input)
    softplus_neg = logaddexp(input.new_zeros(()), -input)  # -log(sigmoid(input))
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------------------------
# regression


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error (F.mse_loss); weight= gives a weighted mean."""
    reduction = _reduction(reduction, size_average, reduce)
    _floats("mse_cpu", input, target)
    return _pointwise(lambda d: d * d, input, target, reduction, weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error (F.l1_loss); weight= gives a weighted mean."""
    reduction = _reduction(reduction, size_average, reduce)
    return _pointwise(lambda d: d.abs(), input, target, reduction, weight)


def _smooth_l1(d: Tensor, beta: float) -> Tensor:
    a = d.abs()
    return where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta) if beta else a


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - beta / 2 elsewhere (F.smooth_l1_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    _floats("smooth_l1_cpu", input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise(lambda d: _smooth_l1(d, beta), input, target, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - delta / 2) elsewhere (F.huber_loss)."""
    reduction = _reduction(reduction)
    _floats("huber_cpu", input, target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, but got {delta}")
    return _pointwise(lambda d: _smooth_l1(d, delta) * delta, input, target, reduction, weight, weighted_mean=False)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of target from exp(input) (F.kl_div); reduction='batchmean' divides the sum by
    the batch size (the mathematical KL), 'mean' by the element count, with torch's warning."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    loss = target.exp() * (target - input) if log_target else _E["xlogy"](target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return _reduce(loss, _reduction(reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log likelihood; full=True adds Stirling's term where target > 1 (F.poisson_nll_loss)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not a valid value for reduction")
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = where(big, target, 1.0)  # log of targets <= 1 is never taken, nor differentiated
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log likelihood with predicted variance var (F.gaussian_nll_loss).

    var may be a float, the input's shape, one dim short of it, or broadcastable with one mismatched dim.
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _E["ones_like"](input) * var
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    v = var.detach()
    var = var + (v.clamp(min=eps) - v)  # clamped values, identity gradient: torch clamps a clone under no_grad
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------------------------
# margins and embeddings


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1 (F.cosine_embedding_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.dim() not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.shape != input2.shape:
        raise RuntimeError(f"the size of tensor input1 ({list(input1.shape)}) must match the size of tensor input2 "
                           f"({list(input2.shape)})")
    if input1.dim() != target.dim() + 1:
        raise RuntimeError(f"{target.dim()}D target tensor expects {target.dim() + 1}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    dim = input1.dim() - 1
    eps = 1e-12  # torch's EPSILON, added to each squared magnitude
    prod = (input1 * input2).sum(dim)
    denom = (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    cos = prod / denom
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin) (F.margin_ranking_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where it is -1 (F.hinge_embedding_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    loss = where(target != 1, (margin - input).clamp(min=0), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)) (F.soft_margin_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_torch_name(input)}")
    z = -target * input
    return _reduce(logaddexp(z.new_zeros(()), z), reduction)


def _margin_input(input: Tensor, kernel: str) -> Tensor:
    """input as (N, C) for the multi-class margin losses (a vector is one sample)."""
    _floats(kernel, input)
    if input.dim() > 2:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    return input.reshape((1, -1)) if input.dim() <= 1 else input


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """sum over j != y of max(0, margin - x[y] + x[j]) ** p / C, scaled by weight[y] (F.multi_margin_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x = _margin_input(input, "multi_margin_loss_cpu_kernel")
    n, c = x.shape
    t = target.reshape((-1,))
    if t.numel() != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got {list(target.shape)}")
    bad = (t < 0) | (t >= c)
    if bool(bad.any()):
        raise RuntimeError("target out of range")
    idx = t.unsqueeze(1)
    picked = x.gather(1, idx)
    z = (x - picked + margin).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    other = _E["ones_like"](x).scatter(1, idx, 0.0)  # the target's own column does not count
    loss = (z * other).sum(1) / c
    if input.dim() <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over target labels j and non-target k of max(0, 1 - (x[j] - x[k])) / C; the labels are target's
    entries up to the first -1 (F.multilabel_margin_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    x = _margin_input(input, "multilabel_margin_loss_forward_out_frame")
    n, c = x.shape
    if tuple(target.reshape((n, -1)).shape) != (n, c) or target.dim() != input.dim():
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    t = target.reshape((n, c)).numpy()
    if ((t < -1) | (t >= c)).any():
        raise RuntimeError("target out of range")
    valid = np.cumprod(t != -1, axis=1).astype(bool)  # labels before the first -1
    counts = np.zeros((n, c))
    rows = np.broadcast_to(np.arange(n)[:, None], t.shape)
    np.add.at(counts, (rows[valid], t[valid]), 1.0)  # a repeated label counts twice, as in torch's kernel
    is_target = counts > 0
    pair = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)  # [n, j, k] = max(0, 1 - x[j] + x[k])
    mask = _ops.EXPORTS["tensor"](counts[:, :, None] * ~is_target[:, None, :], dtype=x.dtype)
    loss = (pair * mask).sum((1, 2)) / c
    if input.dim() <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Per-class logistic loss averaged over classes (F.multilabel_soft_margin_loss)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _floats("log_sigmoid_cpu", input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    return _E["norm"](x1 - x2 + eps, p, -1)


def _triplet(anchor, positive, negative, dist, margin: float, swap: bool, reduction: str) -> Tensor:
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _E["minimum"](d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm pairwise distance (F.triplet_margin_loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    return _triplet(anchor, positive, negative, lambda x, y: _pairwise_distance(x, y, p, eps), margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any distance function, pairwise_distance by default
    (F.triplet_margin_with_distance_loss)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dist = distance_function or (lambda x, y: _pairwise_distance(x, y, 2.0, 1e-6))
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def _lengths(x) -> tuple:
    if isinstance(x, Tensor):
        return tuple(int(v) for v in x.reshape((-1,)).tolist())
    if isinstance(x, int):
        return (x,)
    return tuple(int(v) for v in x)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss of (T, N, C) log-probabilities (F.ctc_loss).

    targets are padded (N, S) or concatenated (sum(target_lengths),); reduction='mean' divides each loss by its
    target length, then averages over the batch. The gradient is torch's (see ember.ops.nn_loss.ctc_loss).
    """
    reduction = _reduction(reduction)
    unbatched = log_probs.dim() == 2
    if unbatched:  # (T, C) with targets (S,): one sample
        log_probs, targets = log_probs.unsqueeze(1), targets.unsqueeze(0)
    il, tl = _lengths(input_lengths), _lengths(target_lengths)
    loss = _fused.ctc_loss(log_probs, targets, il, tl, blank, zero_infinity)
    if reduction == "mean":
        lengths = _E["tensor"]([max(k, 1) for k in tl], dtype=loss.dtype)
        return (loss / lengths).mean()
    if unbatched and reduction == "none":
        return loss.reshape(())
    return _reduce(loss, reduction)
