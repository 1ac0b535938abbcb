"""Fused loss ops with a hand-written backward: cross_entropy (log_softmax and nll in one node), nll_loss, ctc_loss.
The other losses are composed from ember ops in ember/nn/functional/loss.py.

Class-index targets follow torch's semantics: per-element weight ``weight[target]``, zero where the target equals
ignore_index, and reduction='mean' divides by the sum of those weights (NaN when every target is ignored).
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import KEEP, op
from ._util import LOW
from .nn_act import log_softmax_array
from .pointwise import supports
from .reduce import const

_TARGET_DTYPES = (np.dtype(np.int64), np.dtype(np.uint8))
_TORCH_NAMES = {np.dtype(np.int32): "Int", np.dtype(np.int16): "Short", np.dtype(np.int8): "Char",
                np.dtype(np.float32): "Float", np.dtype(np.float64): "Double", np.dtype(np.float16): "Half",
                np.dtype(np.bool_): "Bool", D.bfloat16.np: "BFloat16"}


def _acc(x):
    return x.astype(np.float32) if x.dtype in LOW else x


def _class_dim(input) -> int:
    return 1 if input.ndim >= 2 else 0


def class_targets(input, target, weight, ignore_index: int, xp, name: str):
    """Checked class-index targets: (target indices expanded along the class dim, per-element weights, mask).

    The weights are weight[target] (ones without weight) and 0 where target == ignore_index.
    """
    if target.dtype not in _TARGET_DTYPES:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_TORCH_NAMES.get(target.dtype, target.dtype)}")
    if input.ndim == 0:
        raise RuntimeError("input tensor should be 1D or 2D")
    cdim = _class_dim(input)
    n_classes = input.shape[cdim]
    want = input.shape[:1] + input.shape[2:] if cdim else ()
    if target.shape != want:
        if input.ndim <= 2 and target.ndim == len(want) and target.shape[:1] != want[:1]:
            err = ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).\n  (in ember.{name} with input {list(input.shape)} and target "
                             f"{list(target.shape)})")
            err._ember_context = True  # the registry re-raises it as it is: torch raises ValueError here
            raise err
        if input.ndim <= 2:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(f"Expected target size {list(want)}, got {list(target.shape)}")
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    mask = target != ignore_index
    idx = xp.where(mask, target, 0).astype(np.int64)
    bad = (idx < 0) | (idx >= n_classes)
    if bad.any():
        raise IndexError(f"Target {int(target[bad].ravel()[0])} is out of bounds.")
    dt = _acc(input).dtype
    w = weight.astype(dt)[idx] * mask if weight is not None else mask.astype(dt)
    return xp.expand_dims(idx, cdim), w, mask


def _reduce(elem, reduction: str, denom):
    if reduction == "none":
        return elem
    total = elem.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / denom


def _scale(grad, reduction: str, cdim: int, denom):
    """The incoming gradient, shaped to broadcast against the input (divided by the mean's denominator)."""
    if reduction == "none":
        return grad.unsqueeze(cdim) if grad.ndim else grad
    if reduction == "mean":  # no weight at all (every target ignored): torch's gradient is 0, not NaN
        return grad / float(denom) if denom else grad * 0.0
    return grad


def _class_weights_b(weight, ndim: int, cdim: int, dt):
    """weight reshaped to broadcast along the class dim."""
    return weight.astype(dt).reshape((-1,) + (1,) * (ndim - cdim - 1))


def _prob_targets(input, target):
    """Probability targets must match the input's shape and be floating point."""
    if target.dtype.kind != "f" and target.dtype != D.bfloat16.np:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_TORCH_NAMES.get(target.dtype, 'Long')}")


def _is_prob(input, target) -> bool:
    return input.shape == target.shape and input.ndim > 0


# ---------------------------------------------------------------------------------------------------------------
# cross_entropy: log_softmax + nll (or soft targets) in one node


@op(dtype=KEEP, method=False, export=False, outputs=2)
def cross_entropy_loss(input, target, weight, reduction: str = "mean", ignore_index: int = -100,
                       label_smoothing: float = 0.0, *, xp):
    """Cross entropy between logits and class indices or class probabilities (F.cross_entropy's kernel).

    Returns (loss, log_softmax(input)): the second output is kept for the backward and never shown to the user.
    """
    supports("log_softmax_lastdim_kernel_impl", input, "f")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x = _acc(input)
    cdim = _class_dim(x)
    logp = log_softmax_array(x, cdim, xp) if x.ndim else x
    n_classes = x.shape[cdim] if x.ndim else 1
    eps = label_smoothing
    if _is_prob(input, target) and target.dtype.kind != "i" and target.dtype.kind != "u":
        _prob_targets(input, target)
        q = target.astype(x.dtype)
        if eps:
            q = q * (1 - eps) + eps / n_classes
        if weight is not None:
            q = q * _class_weights_b(weight, x.ndim, cdim, x.dtype)
        elem = -(logp * q).sum(axis=cdim)
        denom = elem.size
    else:
        if _is_prob(input, target):
            _prob_targets(input, target)
        idx, w, mask = class_targets(x, target, weight, ignore_index, xp, "cross_entropy")
        elem = -xp.take_along_axis(logp, idx, axis=cdim).squeeze(cdim) * w
        if eps:
            wb = 1 if weight is None else _class_weights_b(weight, x.ndim, cdim, x.dtype)
            smooth = -(logp * wb).sum(axis=cdim) * mask
            elem = elem * (1 - eps) + smooth * (eps / n_classes)
        denom = w.sum()
    loss = _reduce(elem, reduction, denom)
    dt = input.dtype
    return xp.asarray(loss).astype(dt, copy=False), logp.astype(dt, copy=False)


@cross_entropy_loss.derivative
def _(grads, target, weight, out, reduction, ignore_index, label_smoothing, needs):
    g, g_logp = grads
    logp = out[1]
    p = logp.exp()
    cdim = _class_dim(logp)
    n_classes = logp.shape[cdim] if logp.ndim else 1
    eps = label_smoothing
    g_in = g_target = None
    if g is not None:
        x, xp = logp._data, logp._device.xp
        wb = None if weight is None else const(_class_weights_b(weight._data, x.ndim, cdim, x.dtype), logp)
        if isinstance(target, Tensor) and _is_prob(x, target._data) and target._data.dtype.kind == "f":
            scale = _scale(g, reduction, cdim, x.size // max(n_classes, 1) if x.size else 0)
            q = target * (1 - eps) + eps / n_classes if eps else target
            if wb is not None:
                q = q * wb
            g_in = (p * q.sum(cdim, keepdim=True) - q) * scale
            if needs[1]:
                g_target = -(logp if wb is None else logp * wb) * (scale * (1 - eps))
        else:
            idx, w, mask = class_targets(x, target._data, None if weight is None else weight._data, ignore_index, xp,
                                         "cross_entropy")
            scale = _scale(g, reduction, cdim, w.sum())
            w_b = xp.expand_dims(w, cdim)
            if not eps and not STATE.grad_enabled:  # first order on arrays: p * c, less c at the targets
                c = w_b * scale._data
                r = p._data * c
                at = xp.take_along_axis(r, idx, axis=cdim)
                at -= c
                xp.put_along_axis(r, idx, at, axis=cdim)
                g_in = Tensor._make(r, logp._device)
            elif not eps:  # q = w * onehot sums to w: the gradient is w * (p - onehot), two full-size ops
                onehot = xp.zeros(x.shape, x.dtype)
                xp.put_along_axis(onehot, idx, 1, axis=cdim)
                g_in = (p - const(onehot, logp)) * (const(w_b, logp) * scale)
            else:
                q = xp.zeros(x.shape, x.dtype)
                xp.put_along_axis(q, idx, w_b * (1 - eps), axis=cdim)
                q += (eps / n_classes) * (1 if weight is None else wb._data) * xp.expand_dims(mask, cdim)
                g_in = (p * const(q.sum(axis=cdim, keepdims=True), logp) - const(q, logp)) * scale
    if g_logp is not None:  # only in double backward: the kept log_softmax is differentiable too
        d = g_logp - p * g_logp.sum(cdim, keepdim=True)
        g_in = d if g_in is None else g_in + d
    return g_in, g_target, None


# ---------------------------------------------------------------------------------------------------------------
# nll_loss


@op(dtype=KEEP, method=False, export=False)
def nll_loss(input, target, weight, reduction: str = "mean", ignore_index: int = -100, *, xp):
    """Negative log likelihood of class-index targets given log-probabilities (F.nll_loss's kernel)."""
    supports("nll_loss_out_frame", input, "f")
    x = _acc(input)
    idx, w, _ = class_targets(x, target, weight, ignore_index, xp, "nll_loss")
    cdim = _class_dim(x)
    elem = -xp.take_along_axis(x, idx, axis=cdim).squeeze(cdim) * w
    return xp.asarray(_reduce(elem, reduction, w.sum())).astype(input.dtype, copy=False)


@nll_loss.derivative
def _(grad, input, target, weight, reduction, ignore_index):
    x, xp = input._data, input._device.xp
    idx, w, _ = class_targets(x, target._data, None if weight is None else weight._data, ignore_index, xp,
                              "nll_loss")
    cdim = _class_dim(x)
    q = xp.zeros(x.shape, _acc(x).dtype)
    xp.put_along_axis(q, idx, xp.expand_dims(-w, cdim), axis=cdim)
    return const(q, grad) * _scale(grad, reduction, cdim, w.sum()), None, None


# ---------------------------------------------------------------------------------------------------------------
# ctc_loss: the forward-backward algorithm in log space, vectorised over the batch (one step per time frame)


def _extended(targets, target_lengths, blank: int, xp):
    """Padded targets with blanks interleaved, (N, 2 * S + 1), and whether each position may skip back two."""
    n = len(target_lengths)
    s_max = int(max(target_lengths, default=0))
    if targets.ndim == 1:  # concatenated targets: pad them
        padded = xp.full((n, s_max), blank, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(target_lengths)])
        for i, k in enumerate(target_lengths):
            padded[i, :k] = targets[offsets[i]:offsets[i] + k]
    else:
        padded = targets[:, :s_max].astype(np.int64)
        padded = xp.where(xp.arange(s_max) < xp.asarray(target_lengths)[:, None], padded, blank)  # ignore padding
    ext = xp.full((n, 2 * s_max + 1), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    skip = xp.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _lse3(a, b, c, xp):
    m = xp.maximum(xp.maximum(a, b), c)
    safe = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(a - safe) + xp.exp(b - safe) + xp.exp(c - safe)) + safe


def _ctc_alpha(lp, ext, skip, xp):
    """log alpha (T, N, S') and the per-sample negative log likelihood."""
    t_max, n, _ = lp.shape
    s = ext.shape[1]
    lpe = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (t_max, n, s)), axis=2)  # lp at each extended label
    neg = -np.inf
    alpha = xp.full((t_max, n, s), neg)
    alpha[0, :, 0] = lpe[0, :, 0]
    if s > 1:
        alpha[0, :, 1] = lpe[0, :, 1]
    pad = xp.full((n, 2), neg)
    for t in range(1, t_max):
        prev = xp.concatenate([pad, alpha[t - 1]], axis=1)
        two = xp.where(skip, prev[:, :-2], neg)
        alpha[t] = _lse3(prev[:, 2:], prev[:, 1:-1], two, xp) + lpe[t]
    return alpha, lpe


def _ctc_nll(alpha, input_lengths, target_lengths, xp):
    rows = xp.arange(alpha.shape[1])
    last = alpha[xp.asarray(input_lengths) - 1, rows]  # (N, S')
    end = 2 * xp.asarray(target_lengths)
    a = last[rows, end]
    b = xp.where(end > 0, last[rows, xp.maximum(end - 1, 0)], -np.inf)
    return -xp.logaddexp(a, b)


def _ctc_checks(lp, targets, input_lengths, target_lengths):
    supports("ctc_loss_cpu", lp, "f")
    t_max = lp.shape[0]
    for k in input_lengths:
        if k > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {k}")
    if targets.ndim == 2 and len(target_lengths) and max(target_lengths) > targets.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {max(target_lengths)} at dimension 1, but got "
                           f"size {targets.shape[1]} for argument #2 'targets'")


@op(dtype=KEEP, method=False, export=False)
def ctc_loss(log_probs, targets, input_lengths: tuple, target_lengths: tuple, blank: int = 0,
             zero_infinity: bool = False, *, xp):
    """Per-sample CTC negative log likelihood of (T, N, C) log-probabilities (F.ctc_loss with reduction='none').

    The gradient is torch's: exp(log_probs) - occupation, the gradient through a log_softmax that produced log_probs.
    """
    _ctc_checks(log_probs, targets, input_lengths, target_lengths)
    lp = log_probs.astype(np.float64)
    ext, skip = _extended(targets, target_lengths, blank, xp)
    alpha, _ = _ctc_alpha(lp, ext, skip, xp)
    nll = _ctc_nll(alpha, input_lengths, target_lengths, xp)
    if zero_infinity:
        nll = xp.where(xp.isinf(nll), 0.0, nll)
    return nll.astype(log_probs.dtype)


@ctc_loss.derivative
def _(grad, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
    xp = log_probs._device.xp
    lp = log_probs._data.astype(np.float64)
    t_max, n, c = lp.shape
    ext, skip = _extended(targets._data, target_lengths, blank, xp)
    alpha, lpe = _ctc_alpha(lp, ext, skip, xp)
    nll = _ctc_nll(alpha, input_lengths, target_lengths, xp)
    s = ext.shape[1]
    tl = xp.asarray(input_lengths)
    end = 2 * xp.asarray(target_lengths)
    cols = xp.arange(s)
    neg = -np.inf
    beta = xp.full((t_max, n, s), neg)
    skip_next = xp.concatenate([skip[:, 2:], xp.zeros((n, 2), dtype=bool)], axis=1)  # may s jump to s + 2
    pad = xp.full((n, 2), neg)
    init = xp.where((cols == end[:, None]) | (cols == end[:, None] - 1), 0.0, neg)
    for t in range(t_max - 1, -1, -1):
        if t < t_max - 1:
            nxt = xp.concatenate([beta[t + 1], pad], axis=1)
            rec = _lse3(nxt[:, :-2], nxt[:, 1:-1], xp.where(skip_next, nxt[:, 2:], neg), xp)
        else:
            rec = xp.full((n, s), neg)
        beta[t] = xp.where((t == tl - 1)[:, None], init, xp.where((t < tl - 1)[:, None], rec, neg)) + lpe[t]
    # occupation probability of each (t, n, s) divided by y_t(label s): exp(alpha + beta - lp + nll)
    with np.errstate(invalid="ignore", over="ignore"):
        occ = xp.exp(alpha + beta - lpe + nll[None, :, None])
    occ = xp.where(xp.isfinite(occ), occ, 0.0)
    onehot = xp.arange(c) == ext[:, :, None]  # (N, S', C)
    gamma = xp.einsum("tns,nsc->tnc", occ, onehot.astype(np.float64))
    valid = (xp.arange(t_max)[:, None] < tl[None, :])[:, :, None]
    g = xp.where(valid, xp.exp(lp) - gamma, 0.0)
    if zero_infinity:
        g = xp.where(xp.isfinite(nll)[None, :, None], g, 0.0)
    return const(g, log_probs) * grad.reshape((1, n, 1)), None
