"""Pointwise ops, continued: rounding, signs, clamping, maxima, interpolation, two-argument math, logic, bits and
predicates. The helpers (dtype checks, aliases, where) live in pointwise.py."""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._registry import FLOAT, KEEP, call_inplace, export, op
from ._util import LOW
from .pointwise import _SCALARS, alias, f32, kind, promoted, supports, tensors_only, where, zero_grad
from .creation import zeros_like

# ---------------------------------------------------------------------------------------------------------------
# rounding and signs: integer inputs come back unchanged (as a copy), bool raises, as in torch


def _rounding(name: str, fn, doc: str):
    def forward(input, *, xp):
        supports(f"{name}_vml_cpu", input, "if")
        return fn(input, xp) if kind(input) == "f" else input.copy()
    forward.__doc__ = doc
    o = op(forward, name=name, inplace=True)
    o.derivative(zero_grad)
    return o


_rounding("floor", lambda x, xp: xp.floor(x), "Round down (torch.floor); integers are returned as they are.")
_rounding("ceil", lambda x, xp: xp.ceil(x), "Round up (torch.ceil); integers are returned as they are.")
_rounding("trunc", lambda x, xp: xp.trunc(x), "Round toward zero (torch.trunc); integers are returned as they are.")
alias("fix", "trunc")


@op(inplace=True)
def round(input, *, decimals: int = 0, xp):
    """Round half to even, to `decimals` decimal places (torch.round); integers need decimals=0."""
    if decimals == 0:
        supports("round_vml_cpu", input, "if")
        return xp.rint(input) if kind(input) == "f" else input.copy()
    supports("round_cpu", input, "f")
    x = f32(input)
    scale = x.dtype.type(10.0 ** (decimals if decimals > 0 else -decimals))  # in the compute dtype, as torch
    return xp.rint(x * scale) / scale if decimals > 0 else xp.rint(x / scale) * scale


round.derivative(zero_grad)


@op(inplace=True)
def frac(input, *, xp):
    """input - trunc(input), keeping the sign (torch.frac); floating types only."""
    supports("frac_cpu", input, "f")
    return input - xp.trunc(input)


@frac.derivative
def _(grad):
    return (grad,)


@op(inplace=True)
def sign(input, *, xp):
    """-1, 0 or 1 by the sign of input; bool stays bool (torch.sign)."""
    return input.copy() if kind(input) == "b" else xp.sign(input)


sign.derivative(zero_grad)
alias("sgn", "sign")  # the same for real numbers


@op(inplace=True)
def abs(input, *, xp):
    """Absolute value (torch.abs, ``abs()``); bool raises, as in torch."""
    supports("abs_cpu", input, "if")
    return xp.abs(input)


@abs.derivative
def _(grad, input):
    return (grad * input.sign(),)


alias("absolute", "abs")


@op(inplace=True)
def relu(input, *, xp):
    """max(input, 0) (torch.relu); bool raises, as in torch."""
    if kind(input) == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return xp.maximum(input, 0)


@relu.derivative
def _(grad, out):
    return (threshold_backward(grad, out, 0),)


_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


@op(method=False, export=False)
def threshold_backward(grad, input, threshold: float, *, xp):
    """grad where input > threshold, else 0 (also where grad is inf or NaN); NaN input passes grad, as in torch's
    threshold_backward (relu's derivative; NOTE [ Backward ops ])."""
    cut = input <= threshold
    if grad.ndim == 0 or grad.shape != cut.shape or grad.dtype.itemsize not in _UINT:
        return xp.where(cut, grad.dtype.type(0), grad)
    # a bitwise and with an all-ones or all-zeros mask: np.where on a random mask costs several times more
    ut = _UINT[grad.dtype.itemsize]
    mask = cut.astype(ut)
    mask -= 1
    mask &= grad.view(ut)
    return mask.view(grad.dtype)


@threshold_backward.derivative
def _(gg, input, threshold):
    return threshold_backward(gg, input, threshold), None


@op(dtype=FLOAT, inplace=True)
def copysign(input, other, *, xp):
    """|input| with the sign of other, elementwise (torch.copysign); integers give floats."""
    tensors_only("copysign", input)
    return xp.copysign(f32(input), f32(other))


@copysign.derivative
def _(grad, input, out):
    return grad * where(input == 0, 0.0, out / input), zeros_like(grad)


def _finfo(dt):
    return ml_dtypes.finfo(dt) if dt == D.bfloat16.np else np.finfo(dt)


@op(inplace=True)
def nan_to_num(input, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None, *, xp):
    """NaN to nan, +inf to posinf, -inf to neginf (defaults: 0 and the dtype's extremes) (torch.nan_to_num)."""
    if kind(input) != "f":
        return input.copy()
    info = _finfo(input.dtype)
    r = xp.where(xp.isnan(input), input.dtype.type(nan), input)
    r = xp.where(r == math.inf, input.dtype.type(info.max if posinf is None else posinf), r)
    return xp.where(r == -math.inf, input.dtype.type(info.min if neginf is None else neginf), r)


@nan_to_num.derivative
def _(grad, input):
    return (grad * input.isfinite(),)


@export
def positive(input) -> Tensor:
    """input itself (torch.positive, unary ``+``); bool raises, as in torch."""
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


Tensor.__pos__ = positive


# ---------------------------------------------------------------------------------------------------------------
# clamping and maxima


@op(inplace=True)
def clamp(input, min=None, max=None, *, xp):
    """min(max(input, min), max), broadcasting; min and max may be numbers or tensors (torch.clamp).

    Where min > max the result is max, as in torch. The result dtype promotes input with min and max.
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    supports("clamp_cpu", input, "if")
    r = input if min is None else xp.maximum(input, min)
    return r if max is None else xp.minimum(r, max)


@clamp.derivative
def _(grad, input, min, max, needs):
    lo = None if min is None else input >= min
    hi = None if max is None else input <= max
    inside = hi if lo is None else lo if hi is None else lo & hi
    g_min = g_max = None
    if needs[1]:
        below = input < min
        g_min = where(below if max is None else below & (min < max), grad, 0.0)
    if needs[2]:
        above = input > max
        g_max = where(above if min is None else above | (max < min), grad, 0.0)
    return (where(inside, grad, 0.0) if needs[0] else None), g_min, g_max


@export
def clamp_min(input, min, *, out=None) -> Tensor:
    """max(input, min) (torch.clamp_min)."""
    return clamp(input, min, None, out=out)


@export
def clamp_min_(input, min) -> Tensor:
    """In-place :func:`clamp_min`."""
    return call_inplace(clamp, (input, min, None), {})


@export
def clamp_max(input, max, *, out=None) -> Tensor:
    """min(input, max) (torch.clamp_max)."""
    return clamp(input, None, max, out=out)


@export
def clamp_max_(input, max) -> Tensor:
    """In-place :func:`clamp_max`."""
    return call_inplace(clamp, (input, None, max), {})


alias("clip", "clamp")


def _binary_max(name: str, fn, doc: str):
    def forward(input, other, *, xp):
        tensors_only(name, input, other)
        return fn(input, other, xp)
    forward.__doc__ = doc
    return op(forward, name=name)


maximum = _binary_max("maximum", lambda a, b, xp: xp.maximum(a, b), "Elementwise maximum, NaN-propagating "
                      "(torch.maximum).")
minimum = _binary_max("minimum", lambda a, b, xp: xp.minimum(a, b), "Elementwise minimum, NaN-propagating "
                      "(torch.minimum).")
fmax = _binary_max("fmax", lambda a, b, xp: xp.fmax(a, b), "Elementwise maximum ignoring NaN (torch.fmax).")
fmin = _binary_max("fmin", lambda a, b, xp: xp.fmin(a, b), "Elementwise minimum ignoring NaN (torch.fmin).")


@maximum.derivative
def _(grad, input, other):
    # ties split the gradient half and half, as torch does
    tie = where(input == other, grad / 2, grad)
    return where(input < other, 0.0, tie), where(input > other, 0.0, tie)


@minimum.derivative
def _(grad, input, other):
    tie = where(input == other, grad / 2, grad)
    return where(input > other, 0.0, tie), where(input < other, 0.0, tie)


@fmax.derivative
def _(grad, input, other):
    first = (input >= other) | other.isnan()
    return where(first, grad, 0.0), where(first, 0.0, grad)


@fmin.derivative
def _(grad, input, other):
    first = (input <= other) | other.isnan()
    return where(first, grad, 0.0), where(first, 0.0, grad)


# ---------------------------------------------------------------------------------------------------------------
# interpolation and fused multiply-adds


@op(dtype=KEEP, inplace=True)
def lerp(input, end, weight, *, xp):
    """input + weight * (end - input), weight a number or a tensor (torch.lerp); floating types only.

    end (and a weight tensor with dims) must have input's dtype, as in torch.
    """
    tensors_only("lerp", input, end)
    for what, t in (("end", end), ("weight", weight)):
        if type(t) not in _SCALARS and t.dtype != input.dtype and (what == "end" or t.ndim):
            raise RuntimeError(f"expected dtype {D.FROM_NP[input.dtype].name} for `{what}` but got dtype "
                               f"{D.FROM_NP[t.dtype].name}")
    supports("lerp_kernel_scalar" if type(weight) in _SCALARS else "lerp_kernel_tensor", input, "f")
    a, b = f32(input), f32(end)
    w = weight if type(weight) in _SCALARS else weight.astype(a.dtype)
    diff = b - a
    # torch's two-sided formula: exact at weight 0 and at weight 1
    r = xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))
    return r.astype(input.dtype, copy=False)


@lerp.derivative
def _(grad, input, end, weight, needs):
    return (grad * (1 - weight) if needs[0] else None), (grad * weight if needs[1] else None), \
        (grad * (end - input) if needs[2] else None)


@op(inplace=True)
def addcmul(input, tensor1, tensor2, *, value: float = 1, xp):
    """input + value * tensor1 * tensor2 (torch.addcmul); bool raises, as in torch."""
    supports("addcmul_cpu_out", input, "if")
    if kind(input) == "i":
        value = int(value)
    return input + value * tensor1 * tensor2


@addcmul.derivative
def _(grad, tensor1, tensor2, value, needs):
    return grad, (grad * tensor2 * value if needs[1] else None), (grad * tensor1 * value if needs[2] else None)


@op(dtype=KEEP, inplace=True)
def addcdiv(input, tensor1, tensor2, *, value: float = 1, xp):
    """input + value * tensor1 / tensor2 (torch.addcdiv); integer tensor1 and tensor2 raise, as in torch."""
    if kind(tensor1) in "bi" and kind(tensor2) in "bi":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. Use "
                           "(input + value * torch.true_divide(tensor1, tensor2)) instead.")
    (a, b, c), nd = promoted((input, tensor1, tensor2))
    return (f32(a) + value * f32(b) / f32(c)).astype(nd, copy=False)


@addcdiv.derivative
def _(grad, tensor1, tensor2, value, needs):
    g1 = grad * value / tensor2 if needs[1] else None
    g2 = -grad * value * tensor1 / (tensor2 * tensor2) if needs[2] else None
    return grad, g1, g2


# ---------------------------------------------------------------------------------------------------------------
# two-argument math


@op(dtype=FLOAT, inplace=True)
def atan2(input, other, *, xp):
    """The angle of (other, input), in (-pi, pi] (torch.atan2); integers give floats."""
    tensors_only("atan2", input, other)
    return xp.arctan2(f32(input), f32(other))


@atan2.derivative
def _(grad, input, other):
    scale = grad / (input * input + other * other)
    return scale * other, scale * -input


alias("arctan2", "atan2")


@op(inplace=True)
def hypot(input, other, *, xp):
    """sqrt(input ** 2 + other ** 2) without overflow (torch.hypot); floating types only."""
    tensors_only("hypot", input, other)
    supports("hypot_cpu", input, "f")
    return xp.hypot(f32(input), f32(other))


@hypot.derivative
def _(grad, input, other, out):
    return grad * input / out, grad * other / out


def _logaddexp(name: str, fn, base_log: float, doc: str):
    def forward(input, other, *, xp):
        tensors_only(name, input, other)
        supports(f"{name}_cpu", input, "f")
        return fn(f32(input), f32(other), xp)
    forward.__doc__ = doc
    o = op(forward, name=name)

    @o.derivative
    def _(grad, input, other):
        # d/da log(b^a + b^c) = 1 / (1 + b^(c - a))
        return grad / (1 + ((other - input) * base_log).exp()), grad / (1 + ((input - other) * base_log).exp())
    return o


_logaddexp("logaddexp", lambda a, b, xp: xp.logaddexp(a, b), 1.0, "log(exp(input) + exp(other)), stably "
           "(torch.logaddexp).")
_logaddexp("logaddexp2", lambda a, b, xp: xp.logaddexp2(a, b), math.log(2.0), "log2(2 ** input + 2 ** other), "
           "stably (torch.logaddexp2).")


@op(dtype=FLOAT, inplace=True)
def xlogy(input, other, *, xp):
    """input * log(other), 0 where input is 0 (unless other is NaN) (torch.xlogy)."""
    x, y = f32(input), f32(other)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = x * xp.log(y)
    return xp.where((x == 0) & ~xp.isnan(y), 0, r)


@xlogy.derivative
def _(grad, input, other, needs):
    gx = grad * xlogy(input != 0, other) if needs[0] else None
    return gx, (grad * input / other if needs[1] else None)


# ---------------------------------------------------------------------------------------------------------------
# logic and bits


def _logical(name: str, doc: str):
    def forward(input, other, *, xp):
        tensors_only(name, input, other)
        return getattr(xp, name)(input, other)
    forward.__doc__ = doc
    return op(forward, name=name, dtype=KEEP, inplace=True)


_logical("logical_and", "input and other, elementwise, as bool (torch.logical_and).")
_logical("logical_or", "input or other, elementwise, as bool (torch.logical_or).")
_logical("logical_xor", "input xor other, elementwise, as bool (torch.logical_xor).")


@op(dtype=KEEP, inplace=True)
def logical_not(input, *, xp):
    """not input, elementwise, as bool (torch.logical_not)."""
    return xp.logical_not(input)


def _bitwise(name: str, kernel: str, fn: str, kinds: str, doc: str):
    def forward(input, other, *, xp):
        supports(kernel, input if type(input) not in _SCALARS else other, kinds)
        return getattr(xp, fn)(input, other)
    forward.__doc__ = doc
    return op(forward, name=name, inplace=True)


_bitwise("bitwise_and", "bitwise_and_cpu", "bitwise_and", "bi", "Bitwise and (torch.bitwise_and, ``&``).")
_bitwise("bitwise_or", "bitwise_or_cpu", "bitwise_or", "bi", "Bitwise or (torch.bitwise_or, ``|``).")
_bitwise("bitwise_xor", "bitwise_xor_cpu", "bitwise_xor", "bi", "Bitwise xor (torch.bitwise_xor, ``^``).")
# NumPy's shifts agree with torch's at the edges: by >= the bit width (or a negative count) << gives 0 and >> gives
# 0 or -1
_bitwise("bitwise_left_shift", "lshift_cpu", "left_shift", "i", "input << other (torch.bitwise_left_shift).")
_bitwise("bitwise_right_shift", "rshift_cpu", "right_shift", "i", "input >> other, arithmetic for signed types "
         "(torch.bitwise_right_shift).")


@op(inplace=True)
def bitwise_not(input, *, xp):
    """Bitwise not; logical not for bool (torch.bitwise_not, ``~``)."""
    supports("bitwise_not_cpu", input, "bi")
    return xp.invert(input)


def _invert(self) -> Tensor:
    """~self (torch.Tensor.__invert__): the operator raises TypeError on floats, bitwise_not NotImplementedError."""
    if self.is_floating_point():
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


Tensor.__invert__ = _invert


# ---------------------------------------------------------------------------------------------------------------
# predicates (bool results, no gradient)


def _predicate(name: str, on_float, on_int, doc: str):
    def forward(input, *, xp):
        return on_float(input, xp) if kind(input) == "f" else on_int(input, xp)
    forward.__doc__ = doc
    return op(forward, name=name, dtype=KEEP)


def _const(value):
    return lambda x, xp: xp.full(x.shape, value, dtype=bool)


_predicate("isinf", lambda x, xp: xp.isinf(x), _const(False), "True where input is +-inf (torch.isinf).")
_predicate("isposinf", lambda x, xp: x == math.inf, _const(False), "True where input is +inf (torch.isposinf).")
_predicate("isneginf", lambda x, xp: x == -math.inf, _const(False), "True where input is -inf (torch.isneginf).")
_predicate("isfinite", lambda x, xp: xp.isfinite(x), _const(True), "True where input is neither inf nor NaN "
           "(torch.isfinite).")
_predicate("isreal", _const(True), _const(True), "True everywhere: ember has no complex dtypes (torch.isreal).")
_predicate("signbit", lambda x, xp: xp.signbit(x), lambda x, xp: x < 0, "True where the sign bit is set, -0.0 "
           "included (torch.signbit).")


@op(dtype=KEEP)
def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False, *, xp):
    """|input - other| <= atol + rtol * |other|, elementwise (torch.isclose); dtypes must match, as in torch."""
    tensors_only("isclose", input, other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{D.FROM_NP[input.dtype].name} did not match {D.FROM_NP[other.dtype].name}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"{'rtol' if rtol < 0 else 'atol'} must be greater than or equal to zero, but got "
                           f"{rtol if rtol < 0 else atol}")
    close = input == other
    if kind(input) != "f":  # torch compares integers in the default float dtype
        input, other = (x.astype(D.get_default_dtype().np) for x in (input, other))
    elif input.dtype in LOW:
        input, other = f32(input), f32(other)
    if equal_nan:
        close = close | (xp.isnan(input) & xp.isnan(other))
    with np.errstate(invalid="ignore", over="ignore"):
        err = xp.abs(input - other)
        return close | (xp.isfinite(err) & (err <= atol + xp.abs(rtol * other)))


@export
def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether isclose holds everywhere, as a Python bool (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@export
def equal(input, other) -> bool:
    """Whether input and other have the same shape and the same values, as a Python bool (torch.equal)."""
    tensors_only("equal", input, other)
    return input.shape == other.shape and bool((input == other)._data.all())
