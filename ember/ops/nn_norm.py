"""Fused nn ops with a hand-written backward: linear, native_layer_norm, native_batch_norm, native_dropout,
embedding. The rest of normalisation, dropout and embedding (group/instance/rms norm, feature and alpha dropout,
embedding_bag) is composed from ember ops in ember/nn/functional.

Low-precision inputs compute in float32 and round once, as torch does on the CPU.
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..random import bits
from ..autograd.grad_mode import STATE
from ._registry import KEEP, op
from ._util import LOW, add_rows
from .linalg import _matmul_arrays, dtype_name, einsum

# ---------------------------------------------------------------------------------------------------------------
# linear


def _check_linear(input, weight, bias) -> None:
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
                           f"{weight.ndim}D")
    if weight.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.ndim}D")
    if weight.ndim == 1 and bias is not None:  # torch's addmm path
        raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {dtype_name(input)} and "
                           f"{dtype_name(weight)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {dtype_name(bias)} and "
                           f"{dtype_name(input)}")
    k = input.shape[-1]
    if weight.shape[-1] != k:
        rows = int(np.prod(input.shape[:-1]))
        n = weight.shape[0] if weight.ndim == 2 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {weight.shape[-1]}x{n})")


@op(dtype=KEEP, method=False, export=False)
def linear(input, weight, bias=None, *, xp):
    """input @ weight.T + bias, one GEMM for any leading dims (torch.nn.functional.linear).

    A 1-D weight gives a result without the feature dim, as in torch. No type promotion: mixed dtypes raise.
    """
    _check_linear(input, weight, bias)
    lead = input.shape[:-1]
    # reshape to 2-D: one BLAS call, where NumPy's stacked matmul would loop over the leading dims
    r = _matmul_arrays(input.reshape(math.prod(lead), input.shape[-1]), weight.T, xp)
    r = r.reshape(lead + weight.shape[:-1])
    if bias is not None:
        if r.dtype in LOW:
            return (r.astype(np.float32) + bias).astype(r.dtype)
        if np.broadcast_shapes(r.shape, bias.shape) != r.shape:
            raise RuntimeError(f"The expanded size of the tensor ({r.shape[-1] if r.ndim else 1}) must match the "
                               f"existing size ({bias.shape[-1]}) at non-singleton dimension {r.ndim - 1}.  Target "
                               f"sizes: {list(r.shape)}.  Tensor sizes: {list(bias.shape)}")
        r += bias
    return r


@linear.derivative
def _(grad, input, weight, needs):
    rows = math.prod(input.shape[:-1])
    w2 = weight if weight.ndim == 2 else weight.unsqueeze(0)
    g2 = grad.reshape(rows, w2.shape[0])
    gi = (g2 @ w2).reshape(input.shape) if needs[0] else None
    gw = (g2.mT @ input.reshape(rows, input.shape[-1])).reshape(weight.shape) if needs[1] else None
    return gi, gw, (grad if needs[2] else None)  # the engine sums the bias gradient over the leading dims


# ---------------------------------------------------------------------------------------------------------------
# layer norm and batch norm: the forward returns (out, mean, rstd) so the backward reuses the statistics.
# NOTE [ Saved statistics ]
# mean and rstd are outputs 1 and 2 of the node (torch's native_* ops return them too). Their gradients are
# honoured (they are functions of the input), which is what makes double backward right: a derivative computed with
# create_graph=True reads them through the node, so the second backward sends gradients back to them.


def _compute(x, xp):
    return x.astype(xp.float32) if x.dtype in LOW else x


def _same_param_dtype(input, params) -> None:
    for p in params:
        if p is not None and p.dtype != input.dtype and not (input.dtype in LOW and p.dtype == np.float32):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")


def _float_kernel(input, kernel: str) -> None:
    if input.dtype.kind != "f" and input.dtype not in LOW:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(input)}\'')


def _check_layer_norm(input, weight, bias, normalized_shape: tuple) -> None:
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.shape != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(p.shape)} and normalized_shape = {list(normalized_shape)}")
    k = len(normalized_shape)
    if input.ndim < k or input.shape[input.ndim - k:] != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}")
    _float_kernel(input, "LayerNormKernelImpl")
    _same_param_dtype(input, (weight, bias))


@op(dtype=KEEP, method=False, export=False, outputs=3)
def native_layer_norm(input, weight, bias, normalized_shape: tuple, eps: float, *, xp):
    """(out, mean, rstd) of layer normalisation over the trailing normalized_shape dims (torch.native_layer_norm)."""
    _check_layer_norm(input, weight, bias, normalized_shape)
    lead = input.shape[:input.ndim - len(normalized_shape)]
    n = math.prod(normalized_shape)
    x = _compute(input, xp).reshape(math.prod(lead), n)  # rows: the reductions run along contiguous memory
    mean = (x @ xp.full(n, 1 / max(n, 1), x.dtype))[:, None]  # BLAS: faster than a strided mean
    y = x - mean
    var = xp.einsum("ij,ij->i", y, y)[:, None]  # no squared temporary
    var *= 1 / max(n, 1)
    var += eps
    rstd = xp.sqrt(var, out=var)
    xp.divide(1, rstd, out=rstd)
    y *= rstd
    if weight is not None:
        y *= weight.reshape(n)
    if bias is not None:
        y += bias.reshape(n)
    stat_shape = lead + (1,) * len(normalized_shape)
    stat = input.dtype if input.dtype == np.float16 else x.dtype  # torch keeps float16 statistics, bf16 as float32
    return (y.reshape(input.shape).astype(input.dtype, copy=False), mean.reshape(stat_shape).astype(stat, copy=False),
            rstd.reshape(stat_shape).astype(stat, copy=False))


@native_layer_norm.derivative
def _(grads, input, weight, out, normalized_shape, needs):
    g, g_mean, g_rstd = grads
    _, mean, rstd = out
    if not STATE.grad_enabled and g is not None and g_mean is None and g_rstd is None:
        return _layer_norm_backward(g, input, weight, mean, rstd, normalized_shape, needs)
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    n = math.prod(normalized_shape)
    xhat = (input - mean) * rstd
    gi = gw = gb = None
    if g is not None:
        if needs[0]:
            gx = g if weight is None else g * weight
            # the two terms remove the gradient's components along the mean and along xhat
            gi = rstd * (gx - gx.sum(dims, keepdim=True) / n - xhat * ((gx * xhat).sum(dims, keepdim=True) / n))
        gw = g * xhat if needs[1] else None  # the engine sums weight's and bias's gradients over the leading dims
        gb = g if needs[2] else None
    gi = _stat_grads(gi, g_mean, g_rstd, rstd, xhat, n)
    return gi, gw, gb


def _layer_norm_backward(g, input, weight, mean, rstd, normalized_shape, needs):
    """First-order layer norm gradients on arrays, in place on fresh temporaries: no graph is being built (the
    composed formula above serves double backward)."""
    xp, dev = input._device.xp, input._device
    rows, n = mean._data.size, math.prod(normalized_shape)
    x = _compute(input._data, xp).reshape(rows, n)
    gy = _compute(g._data, xp).reshape(rows, n)
    r = _compute(rstd._data, xp).reshape(rows, 1)
    xhat = x - _compute(mean._data, xp).reshape(rows, 1)
    xhat *= r
    gi = gw = gb = None
    if needs[1]:
        gw = Tensor._make(xp.einsum("ij,ij->j", gy, xhat).reshape(normalized_shape), dev)
    if needs[2]:  # sums as matrix-vector products: BLAS beats NumPy's strided reductions
        gb = Tensor._make((xp.ones(rows, gy.dtype) @ gy).reshape(normalized_shape), dev)
    if needs[0]:
        gx = gy if weight is None else gy * _compute(weight._data, xp).reshape(n)
        # rstd * (gx - mean(gx) - xhat * mean(gx * xhat)), both means per row
        proj = xp.einsum("ij,ij->i", gx, xhat)[:, None]
        proj *= 1 / n
        xhat *= proj
        gi = gx - (gx @ xp.full(n, 1 / n, gx.dtype))[:, None]
        gi -= xhat
        gi *= r
        gi = Tensor._make(gi.reshape(input.shape), dev)
    return gi, gw, gb


def _stat_grads(gi, g_mean, g_rstd, rstd, xhat, n):
    """Add the gradients that reach the input through the saved mean and rstd (NOTE [ Saved statistics ])."""
    if g_mean is not None:
        gi = g_mean / n if gi is None else gi + g_mean / n
    if g_rstd is not None:
        extra = -(g_rstd * rstd * rstd / n) * xhat  # d rstd / dx = -rstd^3 (x - mean) / n
        gi = extra if gi is None else gi + extra
    return gi


def _check_batch_norm(input, weight, bias, running_mean, running_var, training: bool) -> None:
    c = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.size}")
        if t is None and not training and name.startswith("running"):
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    _float_kernel(input, "batch_norm")
    _same_param_dtype(input, (weight, bias, running_mean, running_var))


@op(dtype=KEEP, method=False, export=False, outputs=3)
def native_batch_norm(input, weight, bias, running_mean, running_var, training: bool, momentum: float, eps: float,
                      *, xp):
    """(out, mean, invstd) of batch normalisation over every dim but 1 (torch.native_batch_norm).

    In training the batch statistics are used and the running ones updated in place (running_var with the unbiased
    variance); otherwise the running statistics are used, and returned as mean and invstd.
    """
    _check_batch_norm(input, weight, bias, running_mean, running_var, training)
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    x = _compute(input, xp)
    n = x.size // c if c else 0
    if training:
        mean = _channel_sums(x, None, xp) / max(n, 1)
        y = x - mean.reshape(shape)
        var = _channel_sums(y, y, xp) / max(n, 1)
        invstd = 1 / xp.sqrt(var + eps)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * var * (n / (n - 1) if n > 1 else math.inf)).astype(running_var.dtype)
    else:
        mean = running_mean.astype(x.dtype)
        invstd = 1 / xp.sqrt(running_var.astype(x.dtype) + eps)
        y = x - mean.reshape(shape)
    scale = invstd if weight is None else invstd * weight
    y *= scale.reshape(shape).astype(y.dtype, copy=False)  # in place: each full-size temporary costs a pass
    if bias is not None:
        y += bias.reshape(shape)
    return y.astype(input.dtype, copy=False), mean, invstd


def _channel_sums(a, b, xp):
    """Per-channel (dim 1) sums of a, or of a * b, as one einsum over an (N, C, L) view: no temporary."""
    shape = (a.shape[0], a.shape[1], math.prod(a.shape[2:]))
    if b is None:
        return xp.einsum("ncl->c", a.reshape(shape))
    return xp.einsum("ncl,ncl->c", a.reshape(shape), b.reshape(shape))


@native_batch_norm.derivative
def _(grads, input, weight, out, training):
    g, g_mean, g_invstd = grads
    _, mean, invstd = out
    if not STATE.grad_enabled and g is not None and g_mean is None and g_invstd is None:
        return _batch_norm_backward(g, input, weight, mean, invstd, training)
    shape = (1, -1) + (1,) * (input.dim() - 2)
    n = input.numel() // max(input.shape[1], 1)
    k = invstd if weight is None else invstd * weight
    gi = gw = gb = None
    if g is not None:
        gb = _channel_total(g)
        gw = invstd * (_channel_total(g, input) - mean * gb)  # sum of g * xhat, without forming xhat
        if training:
            # k * (g - mean(g) - xhat * mean(g * xhat)), written as g * k - x * a + c with per-channel a and c
            a = k * invstd * gw / n
            gi = g * k.reshape(shape) - input * a.reshape(shape) + (mean * a - k * gb / n).reshape(shape)
        else:
            gi = g * k.reshape(shape)
    if training and (g_mean is not None or g_invstd is not None):  # in eval the statistics are constants
        s = invstd.reshape(shape)
        gi = _stat_grads(gi, None if g_mean is None else g_mean.reshape(shape),
                         None if g_invstd is None else g_invstd.reshape(shape), s,
                         (input - mean.reshape(shape)) * s, n)
    return gi, gw, gb, None, None


def _batch_norm_backward(g, input, weight, mean, invstd, training):
    """First-order batch norm gradients on arrays (the formula above without a graph): two full-size temporaries
    instead of four, the per-channel sums as single einsums."""
    xp, dev = input._device.xp, input._device
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.dim() - 2)
    x, gy = _compute(input._data, xp), _compute(g._data, xp)
    m, s = mean._data.astype(x.dtype, copy=False), invstd._data.astype(x.dtype, copy=False)
    n = x.size // max(c, 1)
    k = s if weight is None else s * _compute(weight._data, xp)
    gb = _channel_sums(gy, None, xp)
    gw = s * (_channel_sums(gy, x, xp) - m * gb)
    gi = gy * k.reshape(shape)
    if training:  # g k - x a + (mean a - k mean(g)), per-channel a = k invstd mean(g xhat)
        a = k * s * gw / n
        gi -= xp.multiply(x, a.reshape(shape), out=xp.empty_like(gi))
        gi += (m * a - k * gb / n).reshape(shape)
    dt = input._data.dtype
    return (Tensor._make(gi.astype(dt, copy=False), dev), Tensor._make(gw.astype(dt, copy=False), dev),
            Tensor._make(gb.astype(dt, copy=False), dev), None, None)


def _channel_total(a: Tensor, b: Tensor | None = None) -> Tensor:
    """Per-channel sums of a (or a * b) with ember ops, one einsum: the differentiable twin of _channel_sums."""
    shape = (a.shape[0], a.shape[1], math.prod(a.shape[2:]))
    if b is None:
        return einsum("ncl->c", a.reshape(shape))
    return einsum("ncl,ncl->c", a.reshape(shape), b.reshape(shape))


# ---------------------------------------------------------------------------------------------------------------
# dropout


@op(dtype=KEEP, method=False, outputs=2)
def native_dropout(input, p: float, train: bool | None, *, xp):
    """(out, mask): input's elements zeroed with probability p and the rest scaled by 1 / (1 - p), with the bool
    mask of kept elements (torch.native_dropout). Draws from ember's default generator (ember.manual_seed)."""
    if not train or p == 0:
        return input.copy(), xp.ones(input.shape, dtype=bool)
    if input.dtype.kind != "f" and input.dtype not in LOW:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {dtype_name(input)}")
    mask = bits(None).random(input.shape, dtype=np.float32) >= p
    if xp is not np:
        mask = xp.asarray(mask)
    y = input * mask
    y *= _keep_scale(p)
    return y, mask


def _keep_scale(p: float) -> float:
    return 0.0 if p == 1 else 1 / (1 - p)


@native_dropout.derivative
def _(grads, out, p, train):
    mask = out[1].detach()
    return grads[0] * mask * (_keep_scale(p) if train else 1.0)


# ---------------------------------------------------------------------------------------------------------------
# embedding


@op(dtype=KEEP, method=False)
def embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False, sparse: bool = False, *, xp):
    """The rows of weight at indices (torch.embedding); padding_idx's row gets no gradient.

    sparse=True raises NotImplementedError: ember has no sparse tensors.
    """
    if sparse:
        raise NotImplementedError("ember has no sparse tensors: embedding with sparse=True is not supported; "
                                  "use sparse=False")
    if indices.dtype != np.int64 and indices.dtype != np.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{dtype_name(indices)}Tensor instead (while checking arguments "
                           "for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return xp.take(weight, indices, axis=0)


@embedding.derivative
def _(grad, indices, weight_shape, padding_idx, scale_grad_by_freq):
    return embedding_dense_backward(grad, indices, weight_shape[0], padding_idx, scale_grad_by_freq), None


@op(dtype=KEEP, method=False, export=False)
def embedding_dense_backward(grad, indices, num_weights: int, padding_idx: int, scale_grad_by_freq: bool, *, xp):
    """The gradient of embedding's weight: grad's rows summed into the rows at indices (padding_idx's stays 0)."""
    idx = indices.reshape(-1)
    g = _compute(grad, xp).reshape(idx.size, grad.shape[-1] if grad.ndim else 1)
    if scale_grad_by_freq:
        g = g / xp.bincount(idx, minlength=num_weights)[idx, None]
    out = xp.zeros((num_weights, g.shape[1]), dtype=g.dtype)
    add_rows(out, idx, g, xp)
    if padding_idx >= 0:
        out[padding_idx] = 0
    return out.astype(grad.dtype, copy=False)


@embedding_dense_backward.derivative
def _(grad, indices, padding_idx):
    # no 1 / frequency here (torch's embedding_dense_double_backward): the embedding's own backward applies it
    # again on the way back to the weight, and once is what makes this the derivative of the first gradient
    gg = embedding(grad, indices)
    if padding_idx >= 0:
        gg = gg * (indices != padding_idx).unsqueeze(-1).to(gg.dtype)
    return gg, None
