"""nn.functional activations (torch.nn.functional). softmax, log_softmax and gelu are fused ops
(ember/ops/nn_act.py); the rest are composed from ember ops, so their gradients come from those ops.

An ``inplace=True`` form writes the result into the input with ``copy_``, computed from a clone when autograd
needs the input's old value (the nodes that keep it must not see it change).
"""
from __future__ import annotations

import warnings

from ... import ops as _ops
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE
from ...ops.nn_act import gelu as _gelu

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "elu", "elu_", "selu",
           "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "glu", "gelu",
           "logsigmoid", "hardshrink", "tanhshrink", "softsign", "softplus", "softmin", "softmax", "log_softmax",
           "softshrink", "gumbel_softmax", "tanh", "sigmoid", "hardsigmoid", "silu", "mish", "hardswish"]

_E = _ops.EXPORTS
where, logaddexp = _E["where"], _E["logaddexp"]
tanh, sigmoid = _E["tanh"], _E["sigmoid"]
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _apply(fn, input: Tensor, inplace: bool, *args) -> Tensor:
    """fn(input, *args), or, with inplace, that result written into input (torch's in-place variants)."""
    if not inplace:
        return fn(input, *args)
    src = input.clone() if STATE.grad_enabled and input.requires_grad else input
    return input.copy_(fn(src, *args))


def _threshold(input, threshold, value):
    return where(input > threshold, input, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where input <= threshold, else input (F.threshold)."""
    return _apply(_threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _apply(_threshold, input, True, threshold, value)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) (F.relu)."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return input.relu_()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """input clamped to [min_val, max_val] (F.hardtanh)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6) (F.relu6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _elu(input, alpha, scale=1.0, input_scale=1.0):
    # expm1 of the clamped input: the branch where() drops must not overflow (its zero gradient times inf is NaN)
    neg = (input.clamp(max=0) * input_scale).expm1() * alpha
    out = where(input > 0, input, neg)
    return out if scale == 1.0 else out * scale


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where > 0, else alpha * (exp(input) - 1) (F.elu)."""
    return _apply(_elu, input, inplace, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return _apply(_elu, input, True, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants (F.selu)."""
    return _apply(_elu, input, inplace, _SELU_ALPHA, _SELU_SCALE)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (F.celu)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _apply(_elu, input, inplace, alpha, 1.0, 1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, True)


def _leaky(input, slope):
    return where(input > 0, input, input * slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where > 0, else negative_slope * input (F.leaky_relu)."""
    return _apply(_leaky, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return _apply(_leaky, input, True, negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dim 1), or one slope for all (F.prelu)."""
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_type_name(input)} and {_type_name(weight)}")
    n = weight.numel()
    if n != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                               f"and channel size = {channels}.")
        if input.dim() >= 2:
            weight = weight.reshape((n,) + (1,) * (input.dim() - 2))
    elif weight.dim() > 1 or input.dim() == 0:
        weight = weight.reshape(())  # a one-element weight broadcasts to any input, even 0-d
    return where(input > 0, input, input * weight)


def _type_name(t: Tensor) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "bfloat16": "BFloat16"}.get(
        str(t.dtype).split(".")[-1], str(t.dtype))


def _rrelu(input, lower, upper, training):
    if not training:
        return _leaky(input, (lower + upper) / 2)
    slope = _E["empty_like"](input).uniform_(lower, upper)
    return where(input > 0, input, input * slope)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """leaky_relu with a random slope in [lower, upper] per element in training, their mean otherwise (F.rrelu)."""
    return _apply(_rrelu, input, inplace, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the halves of input along dim (F.glu)."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        d = dim % input.dim()
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """input * Phi(input), Phi the normal CDF; approximate='tanh' uses the tanh approximation (F.gelu)."""
    return _gelu(input, approximate)[0]


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)), computed stably (F.logsigmoid)."""
    return -logaddexp(input.new_zeros(()), -input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input where |input| > lambd, else 0 (F.hardshrink)."""
    return where(input.abs() > lambd, input, 0.0)


def tanhshrink(input: Tensor) -> Tensor:
    """input - tanh(input) (F.tanhshrink)."""
    return input - input.tanh()


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|) (F.softsign)."""
    return input / (input.abs() + 1)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta, linear where beta * input > threshold (F.softplus)."""
    bx = input * beta
    soft = logaddexp(bx.new_zeros(()), bx)
    return where(bx > threshold, input, soft if beta == 1 else soft / beta)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input - lambd above lambd, input + lambd below -lambd, 0 between (F.softshrink)."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(input + 3) / 6 (F.hardsigmoid)."""
    return _apply(lambda x: (x + 3).clamp(0, 6) / 6, input, inplace)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input) (F.silu)."""
    return _apply(lambda x: x * x.sigmoid(), input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input)) (F.mish)."""
    return _apply(lambda x: x * logaddexp(x.new_zeros(()), x).tanh(), input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * relu6(input + 3) / 6 (F.hardswish)."""
    return _apply(lambda x: x * (x + 3).clamp(0, 6) / 6, input, inplace)


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(input) / sum(exp(input)) along dim (F.softmax); no dim picks torch's legacy one, with its warning."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _E["softmax"](input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input) along dim (F.softmin)."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _E["softmax"](-input if dtype is None else -input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(input)) along dim, computed stably (F.log_softmax)."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _E["log_softmax"](input, dim, dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + Gumbel noise) / tau); hard=True gives one-hot samples with the soft gradient
    (straight-through) (F.gumbel_softmax)."""
    gumbels = -_E["empty_like"](logits).exponential_().log()
    y = _E["softmax"]((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = y.max(dim, keepdim=True)[1]
    y_hard = _E["zeros_like"](logits).scatter_(dim, index, 1.0)
    return y_hard - y.detach() + y

