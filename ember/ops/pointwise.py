"""Pointwise ops: arithmetic, division, powers, transcendental functions, comparisons. Forward on arrays,
derivative on Tensors. Clamping, selection, logic and predicates are in pointwise2.py.

float16 and bfloat16 compute in float32 and round once, as torch does on the CPU; integer and bool inputs of the
transcendental ops compute in the default float dtype (policy "float").
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import COMPARE, EXPORTS, FLOAT, KEEP, call_inplace, export, op
from ._util import LOW
from .creation import zeros_like

_SCALARS = (int, float, bool)
_TORCH_NAMES = {D.bool.np: "Bool", D.uint8.np: "Byte", D.int8.np: "Char", D.int16.np: "Short", D.int32.np: "Int",
                D.int64.np: "Long", D.float16.np: "Half", D.bfloat16.np: "BFloat16", D.float32.np: "Float",
                D.float64.np: "Double"}


def kind(a) -> str:
    """'b', 'i' or 'f': the category of an array's (or Python scalar's) dtype."""
    if type(a) in _SCALARS:
        return "b" if type(a) is bool else "i" if type(a) is int else "f"
    k = a.dtype.kind
    return "f" if k in "fV" else "b" if k == "b" else "i"


def supports(name: str, a, kinds: str) -> None:
    """Raise torch's NotImplementedError when the kernel ``name`` has no version for a's dtype category."""
    if type(a) not in _SCALARS and kind(a) not in kinds:
        raise NotImplementedError(f'"{name}" not implemented for \'{_TORCH_NAMES.get(a.dtype, a.dtype)}\'')


def tensors_only(name: str, *xs) -> None:
    """TypeError, as torch's argument parser raises, where an op takes no Python scalars."""
    for i, x in enumerate(xs):
        if type(x) in _SCALARS:
            err = TypeError(f"{name}(): argument '{('input', 'other')[min(i, 1)]}' (position {i + 1}) must be Tensor, "
                            f"not {type(x).__name__}")
            err._ember_context = True  # already in torch's words: the registry re-raises it unchanged
            raise err


def f32(a):
    """float16/bfloat16 arrays widened to float32 for computing (the registry rounds the result back)."""
    return a.astype(np.float32) if type(a) not in _SCALARS and a.dtype in LOW else a


def alias(new: str, old: str) -> None:
    """ember.new, Tensor.new (and the in-place new_ where old_ exists) as other names of old (torch's aliases)."""
    for suffix in ("", "_"):
        fn = getattr(Tensor, old + suffix, None)
        if fn is not None:
            setattr(Tensor, new + suffix, fn)
        if old + suffix in EXPORTS:
            EXPORTS[new + suffix] = EXPORTS[old + suffix]


def promoted(xs) -> tuple:
    """xs (arrays or Python numbers) cast to their promoted dtype (PyTorch's rules, weak scalars), and that dtype."""
    key = tuple(D.scalar_kind(x) if type(x) in _SCALARS else (D.FROM_NP[x.dtype], x.ndim == 0) for x in xs)
    nd = D.result_from_key(key).np
    return [x if type(x) in _SCALARS or x.dtype == nd else x.astype(nd) for x in xs], nd


def zero_grad(grad) -> tuple:
    """The derivative of a piecewise-constant op (floor, sign, rounded division): zeros, as torch gives."""
    return (zeros_like(grad),)


@op(inplace=True)
def add(input, other, alpha: float = 1):
    """input + alpha * other, broadcasting (torch.add)."""
    return input + other if alpha == 1 else input + alpha * other


@add.derivative
def _(grad, alpha):
    return grad, (grad if alpha == 1 else grad * alpha)


@op(inplace=True)
def sub(input, other, alpha: float = 1):
    """input - alpha * other, broadcasting (torch.sub). Bool tensors raise, as in torch."""
    if getattr(input, "dtype", None) == bool or getattr(other, "dtype", None) == bool or type(other) is bool \
            or type(input) is bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return input - other if alpha == 1 else input - alpha * other


@sub.derivative
def _(grad, alpha):
    return grad, -grad if alpha == 1 else grad * -alpha


@op(inplace=True)
def mul(input, other):
    """Elementwise product, broadcasting (torch.mul)."""
    return input * other


@mul.derivative
def _(grad, input, other, needs):
    if not STATE.grad_enabled:  # first order: the products without dispatch (NOTE [ Backward ops ])
        return (mul.on_arrays(grad, other) if needs[0] else None), (mul.on_arrays(grad, input) if needs[1] else None)
    return (grad * other if needs[0] else None), (grad * input if needs[1] else None)


@op(dtype=FLOAT, inplace=True)
def true_divide(input, other):
    """input / other; integers divide to the default float dtype (torch.true_divide)."""
    return input / other


@true_divide.derivative
def _(grad, input, other, needs):
    ga = grad / other if needs[0] else None
    gb = -grad * input / (other * other) if needs[1] else None
    return ga, gb


alias("multiply", "mul")
alias("subtract", "sub")


@op(inplace=True)
def neg(input):
    """-input (torch.neg). Bool tensors raise, as in torch."""
    if input.dtype == bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
                           "a mask, use the `~` or `logical_not()` operator instead.")
    return -input


@neg.derivative
def _(grad):
    return (-grad,)


alias("negative", "neg")


@op(dtype=FLOAT, inplace=True)
def exp(input, *, xp):
    """e ** input (torch.exp)."""
    return xp.exp(input)


@exp.derivative
def _(grad, out):
    return (grad * out,)


@op(dtype=FLOAT, inplace=True)
def log(input, *, xp):
    """Natural logarithm (torch.log)."""
    return xp.log(input)


@log.derivative
def _(grad, input):
    return (grad / input,)


@op(dtype=FLOAT, inplace=True)
def tanh(input, *, xp):
    """Hyperbolic tangent (torch.tanh)."""
    return xp.tanh(input)


@tanh.derivative
def _(grad, out):
    return (tanh_backward.on_arrays(grad, out) if not STATE.grad_enabled else tanh_backward(grad, out),)


# NOTE [ Backward ops ]
# The derivatives of the hottest activations are ops of their own (torch's tanh_backward, sigmoid_backward,
# threshold_backward, gelu_backward): one node and one fused array expression where `grad * (1 - out * out)` would be
# three ops, three nodes and three temporaries. Each has its own derivative, so double backward still works.
# Without create_graph the hottest derivatives (mul, tanh, sigmoid) call the forward on arrays (Op.on_arrays): the
# dispatch costs more than the arithmetic on small tensors (the tiny workload's backward: ~20% less time).


def mul_into(r, g, xp):
    """r * g, written into r where r is a fresh array of the product's shape (one temporary fewer)."""
    return xp.multiply(r, g, out=r) if r.ndim and r.shape == xp.shape(g) else r * g


@op(method=False, export=False)
def tanh_backward(grad, output, *, xp):
    """grad * (1 - output ** 2), the derivative of tanh from its result (torch's tanh_backward)."""
    y = f32(output)
    r = y * -y
    r += 1
    return mul_into(r, f32(grad), xp)


@tanh_backward.derivative
def _(gg, grad, output, needs):
    return (tanh_backward(gg, output) if needs[0] else None), (gg * grad * output * -2 if needs[1] else None)


@op(dtype=COMPARE, inplace=True)
def eq(input, other):
    """input == other elementwise, as bool (torch.eq)."""
    return input == other


@op(dtype=COMPARE, inplace=True)
def ne(input, other):
    """input != other elementwise, as bool (torch.ne)."""
    return input != other


@op(dtype=COMPARE, inplace=True)
def lt(input, other):
    """input < other elementwise, as bool (torch.lt)."""
    return input < other


@op(dtype=COMPARE, inplace=True)
def le(input, other):
    """input <= other elementwise, as bool (torch.le)."""
    return input <= other


@op(dtype=COMPARE, inplace=True)
def gt(input, other):
    """input > other elementwise, as bool (torch.gt)."""
    return input > other


@op(dtype=COMPARE, inplace=True)
def ge(input, other):
    """input >= other elementwise, as bool (torch.ge)."""
    return input >= other


@op(dtype=KEEP)
def isnan(input, *, xp):
    """True where input is NaN (torch.isnan)."""
    return xp.isnan(input) if input.dtype.kind == "f" or input.dtype.name == "bfloat16" else xp.zeros(input.shape, bool)


@op(dtype=KEEP, method=False)
def where(condition, input=None, other=None, *, xp):
    """input where condition is true, else other (torch.where); either may be a Python number.

    where(condition) alone is nonzero(condition, as_tuple=True): a tuple of int64 index tensors.
    """
    if condition.dtype != np.bool_ and condition.dtype != np.uint8:  # torch still accepts uint8, with a warning
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_TORCH_NAMES.get(condition.dtype, condition.dtype)}")
    if input is None and other is None:
        return tuple(xp.nonzero(xp.atleast_1d(condition)))
    (a, b), nd = promoted((input, other))
    return xp.where(condition, a, b).astype(nd, copy=False)


@where.derivative
def _(grad, condition):
    return None, where(condition, grad, 0.0), where(condition, 0.0, grad)


def _where_method(self, condition, other) -> Tensor:
    """self where condition is true, else other (torch.Tensor.where)."""
    return where(condition, self, other)


Tensor.where = _where_method


# ---------------------------------------------------------------------------------------------------------------
# division with rounding, remainders


def _int_divisor_check(input, other, xp) -> None:
    """Integer division by zero raises, as in torch (floats give inf/nan)."""
    a = other if type(other) not in _SCALARS else input
    if kind(a) != "i" or (type(input) not in _SCALARS and input.size == 0):
        return
    if other == 0 if type(other) in _SCALARS else other.size and bool(xp.any(other == 0)):
        raise RuntimeError("ZeroDivisionError")


def _floor_div(input, other, xp):
    # NumPy's floor_divide is CPython's algorithm (fmod-based, sign-correct), which is also torch's div_floor
    return xp.floor_divide(f32(input), f32(other))


def _trunc_div(input, other, xp):
    if kind(input if type(input) not in _SCALARS else other) == "f":
        # the quotient rounds to the input dtype before truncating (float16 and bfloat16 too), as in torch
        return xp.trunc(xp.true_divide(input, other))
    q = xp.floor_divide(input, other)
    return xp.where((xp.remainder(input, other) != 0) & ((input < 0) != (other < 0)), q + 1, q)


@op(inplace=True)
def floor_divide(input, other, *, xp):
    """input / other rounded down, broadcasting (torch.floor_divide, the ``//`` operator).

    Integer division by zero raises RuntimeError; as in torch, floor_divide has no derivative (div with
    rounding_mode="floor" has a zero one).
    """
    supports("div_floor_cpu", input if type(input) not in _SCALARS else other, "if")
    _int_divisor_check(input, other, xp)
    return _floor_div(input, other, xp)


@floor_divide.derivative
def _(grad):
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


@op(method=False, export=False)
def div_rounded(input, other, rounding_mode: str, *, xp):
    """input / other rounded toward zero ("trunc") or down ("floor"): torch.div with a rounding_mode."""
    supports(f"div_{rounding_mode}_cpu", input if type(input) not in _SCALARS else other, "if")
    _int_divisor_check(input, other, xp)
    return (_trunc_div if rounding_mode == "trunc" else _floor_div)(input, other, xp)


@div_rounded.derivative
def _(grad):
    z = zeros_like(grad)
    return z, z


def _div_mode(rounding_mode):
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return rounding_mode


@export
def div(input, other, *, rounding_mode: str | None = None, out=None) -> Tensor:
    """input / other; rounding_mode None (true division), "trunc" or "floor" (torch.div)."""
    if _div_mode(rounding_mode) is None:
        return true_divide(input, other, out=out)
    return div_rounded(input, other, rounding_mode, out=out)


@export
def div_(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """In-place :func:`div`."""
    if _div_mode(rounding_mode) is None:
        return call_inplace(true_divide, (input, other), {})
    return call_inplace(div_rounded, (input, other, rounding_mode), {})


alias("divide", "div")


@op(inplace=True)
def remainder(input, other, *, xp):
    """Python's modulus: the result takes the divisor's sign (torch.remainder, the ``%`` operator)."""
    supports("remainder_cpu", input if type(input) not in _SCALARS else other, "if")
    _int_divisor_check(input, other, xp)
    return xp.remainder(f32(input), f32(other))


@remainder.derivative
def _(grad, input, other, needs):
    if not isinstance(input, Tensor):
        raise RuntimeError("derivative for aten::remainder is not implemented")  # torch's remainder(Scalar, Tensor)
    return grad, (-grad * div_rounded(input, other, "floor") if needs[1] else None)


@op(inplace=True)
def fmod(input, other, *, xp):
    """C's fmod: the result takes the dividend's sign (torch.fmod)."""
    tensors_only("fmod", input)
    supports("fmod_cpu", input, "if")
    _int_divisor_check(input, other, xp)
    return xp.fmod(f32(input), f32(other))


@fmod.derivative
def _(grad, input, other, needs):
    return grad, (-grad * div_rounded(input, other, "trunc") if needs[1] else None)


# ---------------------------------------------------------------------------------------------------------------
# powers


def _int_pow(base, exponent, xp):
    """Integer power with torch's rule for negative exponents: 1 for base 1, +-1 for base -1, else 0."""
    neg = exponent < 0
    if not xp.any(neg):
        return xp.power(base, exponent)
    r = xp.power(base, xp.where(neg, 0, exponent))
    odd = (exponent % 2) != 0
    small = xp.where(base == 1, 1, xp.where(base == -1, xp.where(odd, -1, 1), 0))
    return xp.where(neg, small, r)


@op(inplace=True, wrap_ints=False)
def pow(input, exponent, *, xp):
    """input ** exponent, broadcasting; either may be a Python number (torch.pow, ``**``).

    As in torch, an integer tensor to a negative Python int raises; negative tensor exponents give 0 (or +-1).
    """
    a = input if type(input) not in _SCALARS else exponent
    k = kind(a)
    if type(exponent) in _SCALARS and exponent in (0, 1):  # torch answers these before looking at the dtype
        return xp.ones_like(input) if exponent == 0 else input.copy()
    if k == "f":
        return xp.power(f32(input), f32(exponent))
    supports("pow", a, "i")
    if type(exponent) in _SCALARS:
        if exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return xp.power(input, exponent)
    return _int_pow(input, exponent, xp)


def _pow_grad(grad, input, exponent, out, needs):
    gi = ge = None
    if needs[0]:
        if isinstance(exponent, Tensor):
            gi = where(exponent == 0, 0.0, grad * exponent * input.pow(exponent - 1))
        else:
            gi = zeros_like(grad) if exponent == 0 else grad * exponent * input.pow(exponent - 1)
    if needs[1]:
        if isinstance(input, Tensor):
            ge = grad * where((input == 0) & (exponent >= 0), 0.0, out * input.log())
        elif input == 0:
            ge = grad * where(exponent >= 0, 0.0, -math.inf * out)
        else:
            ge = grad * out * math.log(input)
    return gi, ge


pow.derivative(_pow_grad)


def _f64(a):
    return float(a) if type(a) in _SCALARS else a.astype(np.float64)


@op(dtype=KEEP)
def float_power(input, exponent, *, xp):
    """input ** exponent computed in float64, whatever the inputs' dtypes (torch.float_power)."""
    return xp.power(_f64(input), _f64(exponent))


float_power.derivative(_pow_grad)


@export
def float_power_(input, exponent) -> Tensor:
    """In-place :func:`float_power`; input must be float64, as in torch."""
    if input.dtype is not D.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_TORCH_NAMES[input._data.dtype]} but the "
                           "operation's result requires dtype Double")
    return call_inplace(float_power, (input, exponent), {})


@export
def square(input, *, out=None) -> Tensor:
    """input * input, as pow(input, 2): bool gives int64 (torch.square)."""
    return pow(input, 2, out=out)


@export
def square_(input) -> Tensor:
    """In-place :func:`square`."""
    return call_inplace(pow, (input, 2), {})


# ---------------------------------------------------------------------------------------------------------------
# transcendental functions: integers and bool compute in the default float dtype

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)


def _float_unary(name: str, fn, derivative, doc: str):
    def forward(input, *, xp):
        return fn(f32(input), xp)
    forward.__doc__ = doc
    o = op(forward, name=name, dtype=FLOAT, inplace=True)
    o.derivative(derivative)
    return o


for _name, _fn, _grad, _doc in (
    ("exp2", lambda x, xp: xp.exp2(x), lambda grad, out: grad * out * _LN2, "2 ** input (torch.exp2)."),
    ("expm1", lambda x, xp: xp.expm1(x), lambda grad, out: grad * (out + 1), "exp(input) - 1, accurate near 0 "
     "(torch.expm1)."),
    ("log2", lambda x, xp: xp.log2(x), lambda grad, input: grad / (input * _LN2), "Base-2 logarithm (torch.log2)."),
    ("log10", lambda x, xp: xp.log10(x), lambda grad, input: grad / (input * _LN10), "Base-10 logarithm "
     "(torch.log10)."),
    ("log1p", lambda x, xp: xp.log1p(x), lambda grad, input: grad / (input + 1), "log(1 + input), accurate near 0 "
     "(torch.log1p)."),
    ("sqrt", lambda x, xp: xp.sqrt(x), lambda grad, out: grad / (2 * out), "Square root (torch.sqrt)."),
    ("rsqrt", lambda x, xp: 1 / xp.sqrt(x), lambda grad, out: grad * out.pow(3) * -0.5, "1 / sqrt(input) "
     "(torch.rsqrt)."),
    ("reciprocal", lambda x, xp: 1 / x, lambda grad, out: -grad * out * out, "1 / input (torch.reciprocal)."),
    ("sin", lambda x, xp: xp.sin(x), lambda grad, input: grad * input.cos(), "Sine (torch.sin)."),
    ("cos", lambda x, xp: xp.cos(x), lambda grad, input: -grad * input.sin(), "Cosine (torch.cos)."),
    ("tan", lambda x, xp: xp.tan(x), lambda grad, out: grad * (out * out + 1), "Tangent (torch.tan)."),
    ("asin", lambda x, xp: xp.arcsin(x), lambda grad, input: grad * (1 - input * input).rsqrt(), "Arcsine "
     "(torch.asin)."),
    ("acos", lambda x, xp: xp.arccos(x), lambda grad, input: -grad * (1 - input * input).rsqrt(), "Arccosine "
     "(torch.acos)."),
    ("atan", lambda x, xp: xp.arctan(x), lambda grad, input: grad / (input * input + 1), "Arctangent (torch.atan)."),
    ("sinh", lambda x, xp: xp.sinh(x), lambda grad, input: grad * input.cosh(), "Hyperbolic sine (torch.sinh)."),
    ("cosh", lambda x, xp: xp.cosh(x), lambda grad, input: grad * input.sinh(), "Hyperbolic cosine (torch.cosh)."),
    ("asinh", lambda x, xp: xp.arcsinh(x), lambda grad, input: grad * (input * input + 1).rsqrt(), "Inverse "
     "hyperbolic sine (torch.asinh)."),
    ("acosh", lambda x, xp: xp.arccosh(x), lambda grad, input: grad * (input * input - 1).rsqrt(), "Inverse "
     "hyperbolic cosine (torch.acosh)."),
    ("atanh", lambda x, xp: xp.arctanh(x), lambda grad, input: grad / (1 - input * input), "Inverse hyperbolic "
     "tangent (torch.atanh)."),
    ("deg2rad", lambda x, xp: x * (math.pi / 180), lambda grad: grad * (math.pi / 180), "Degrees to radians "
     "(torch.deg2rad)."),
    ("rad2deg", lambda x, xp: x * (180 / math.pi), lambda grad: grad * (180 / math.pi), "Radians to degrees "
     "(torch.rad2deg)."),
):
    _float_unary(_name, _fn, _grad, _doc)

for _new, _old in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
                   ("arccosh", "acosh"), ("arctanh", "atanh")):
    alias(_new, _old)


@op(dtype=FLOAT, inplace=True)
def sigmoid(input, *, xp):
    """1 / (1 + exp(-input)), without overflow (torch.sigmoid)."""
    x = f32(input)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


@sigmoid.derivative
def _(grad, out):
    return (sigmoid_backward.on_arrays(grad, out) if not STATE.grad_enabled else sigmoid_backward(grad, out),)


@op(method=False, export=False)
def sigmoid_backward(grad, output, *, xp):
    """grad * (1 - output) * output, the derivative of sigmoid from its result (torch's sigmoid_backward)."""
    y = f32(output)
    r = 1 - y
    r = mul_into(r, y, xp)
    return mul_into(r, f32(grad), xp)


@sigmoid_backward.derivative
def _(gg, grad, output, needs):
    return (sigmoid_backward(gg, output) if needs[0] else None), \
        (gg * grad * (1 - 2 * output) if needs[1] else None)


@op(dtype=FLOAT, inplace=True)
def logit(input, eps: float | None = None, *, xp):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given (torch.logit)."""
    x = f32(input)
    if eps is not None:
        x = xp.clip(x, eps, 1 - eps)
    return xp.log(x / (1 - x))


@logit.derivative
def _(grad, input, eps):
    g = grad / (input * (1 - input))
    if eps is None:
        return (where((input < 0) | (input > 1), math.nan, g),)
    return (where((input < eps) | (input > 1 - eps), 0.0, g),)


# NOTE [ erf without SciPy ]
# float64 erf and erfc follow FreeBSD's s_erf.c (fdlibm, < 1 ulp): rational approximations on [0, 0.84375] and
# [0.84375, 1.25], and exp(-x*x - 0.5625 + R/S) / x beyond, with x split into a high part (low 32 bits zeroed) so that
# exp(-x*x) loses nothing to rounding. float32 erf (the hot one: gelu) computes in float32 with two fits of our own
# (least squares on Chebyshev nodes against math.erf, max error 1.34 ulp, torch's Sleef erf is within 1 ulp of it):
# x + x * p(x*x) below 1, and 1 - exp(q((t - 2.5) / 1.5) - t*t) on [1, 4] (erf rounds to 1 beyond).
# Every interval is evaluated on the input clipped into it (finite everywhere, so no inf * 0), only when some element
# falls in it, and the pieces are blended by multiplying with their masks: np.where on a random mask costs ten
# passes. erfinv is torch's calc_erfinv: a rational first guess refined by two Newton steps on float64 erf.
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)
_ERX = 8.45062911510467529297e-01
_F32_SMALL = (0.12837916612625122, -0.3761262595653534, 0.11283597350120544, -0.02685432881116867,
              0.005189312156289816, -0.0008018855005502701, 7.882497448008507e-05)
_F32_TAIL = (-1.556815266609192, -0.5290210247039795, 0.12623931467533112, -0.0366474948823452,
             0.010961123742163181, -0.003190472722053528, 0.0008815708570182323, -0.00022740341955795884,
             4.1366634832229465e-05)


def _poly(coeffs, z):
    """coeffs[0] + coeffs[1] * z + ..., by Horner's rule in place on one new array."""
    r = z * coeffs[-1]
    r += coeffs[-2]
    for c in coeffs[-3::-1]:
        r *= z
        r += c
    return r


def _blend(parts):
    """sum(value * mask) over (value, mask) pairs whose masks partition the array and whose values are finite."""
    r = None
    for value, mask in parts:
        value *= mask
        if r is None:
            r = value
        else:
            r += value
    return r


def _erf32(x, xp):
    """erf of a float32 array, computed in float32 (see NOTE [ erf without SciPy ])."""
    if x.ndim == 0 or x.size == 0:  # ufuncs turn 0-d arrays into scalars, which have no out=
        return _erf32(x.reshape(1), xp).reshape(()) if x.size else x.copy()
    t = xp.abs(x)
    parts = []
    small = t < 1
    if small.any():
        a = xp.minimum(t, 1)
        p = _poly(_F32_SMALL, a * a)
        p *= a
        p += a
        parts.append((p, small))
    if not small.all():  # NaN lands here: its tail value stays NaN
        b = xp.clip(t, 1, 4)
        u = b - 2.5
        u *= 1 / 1.5
        q = _poly(_F32_TAIL, u)
        b *= b
        q -= b
        xp.exp(q, out=q)
        xp.subtract(1, q, out=q)
        parts.append((q, ~small))
    r = _blend(parts)
    return xp.copysign(r, x, out=r)


def _erf64(x, xp, complement: bool = False):
    """erf (or erfc, with complement=True) of a float64 array, per fdlibm's intervals."""
    if x.ndim == 0 or x.size == 0:
        return _erf64(x.reshape(1), xp, complement).reshape(()) if x.size else x.copy()
    a = xp.abs(x)
    parts = []
    small = a < 0.84375
    mid = a < 1.25
    if small.any():
        u = xp.minimum(a, 0.84375)
        z = u * u
        y = _poly(_PP, z)
        y /= _poly(_QQ, z)
        y *= u
        y += u
        if complement:  # fdlibm's two roundings of 1 - y
            lo = a < 0.25
            parts += [(1 - y, lo), (0.5 - (y - 0.5), small & ~lo)]
        else:
            parts.append((y, small))
    mid &= ~small
    if mid.any():
        v = xp.clip(a, 0.84375, 1.25)
        v -= 1
        pq = _poly(_PA, v)
        pq /= _poly(_QA, v)
        parts.append(((1 - _ERX) - pq if complement else pq + _ERX, mid))
    tail_mask = ~(small | mid)  # NaN lands here: its tail value stays NaN
    if tail_mask.any():
        t = xp.clip(a, 1.25, 28.0)
        s = 1 / (t * t)
        near = t < 1 / 0.35
        rs = []
        if near.any():
            rs.append((_poly(_RA, s) / _poly(_SA, s), near))
        if not near.all():
            rs.append((_poly(_RB, s) / _poly(_SB, s), ~near))
        rs = _blend(rs)
        hi = (t.view(xp.uint64) & xp.uint64(0xFFFFFFFF00000000)).view(xp.float64)
        rs += (hi - t) * (hi + t)
        xp.exp(rs, out=rs)
        hi *= hi
        hi += 0.5625
        tail = xp.exp(-hi, out=hi)
        tail *= rs
        tail /= t
        parts.append((tail if complement else 1 - tail, tail_mask))
    r = _blend(parts)
    if complement:
        neg = x < 0
        return _blend([(r, ~neg), (2 - r, neg)]) if neg.any() else r
    return xp.copysign(r, x, out=r)


def _erf(x, xp):
    """erf of a float array (float16 and bfloat16 as float32), in its own dtype."""
    x = f32(x)
    return _erf32(x, xp) if x.dtype == np.float32 else _erf64(x.astype(np.float64, copy=False), xp)


def _as_f64(input, xp):
    return xp.asarray(input, dtype=xp.float64)


@op(dtype=FLOAT, inplace=True)
def erf(input, *, xp):
    """The error function (torch.erf)."""
    return _erf(xp.asarray(input), xp)


@erf.derivative
def _(grad, input):
    return (grad * (-input * input).exp() * _2_SQRTPI,)


@op(dtype=FLOAT, inplace=True)
def erfc(input, *, xp):
    """1 - erf(input), accurate where erf is near 1 (torch.erfc)."""
    return _erf64(_as_f64(input, xp), xp, complement=True)


@erfc.derivative
def _(grad, input):
    return (grad * (-input * input).exp() * -_2_SQRTPI,)


_EA = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_EB = (1.0, -2.118377725, 1.442710462, -0.329097515, 0.012229801)
_EC = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ED = (1.0, 3.543889200, 1.637067800)


@op(dtype=FLOAT, inplace=True)
def erfinv(input, *, xp):
    """The inverse of erf on (-1, 1); +-inf at +-1, nan outside (torch.erfinv)."""
    y = _as_f64(input, xp)
    ya = xp.abs(y)
    inside = ya < 1
    yc = xp.where(inside, y, 0.0)
    ayc = xp.abs(yc)
    z = yc * yc
    central = yc * _poly(_EA, z) / _poly(_EB, z)
    w = xp.sqrt(-xp.log((1 - ayc) / 2))
    tail = xp.copysign(_poly(_EC, w), yc) / _poly(_ED, w)
    x = xp.where(ayc <= 0.7, central, tail)
    for _ in range(2):
        x = x - (_erf64(x, xp) - yc) / (_2_SQRTPI * xp.exp(-x * x))
    return xp.where(inside, x, xp.where(ya == 1, xp.copysign(math.inf, y), math.nan))


@erfinv.derivative
def _(grad, out):
    return (grad * (out * out).exp() * (math.sqrt(math.pi) / 2),)
