"""Pointwise ops: arithmetic, transcendental, comparisons. Forward on arrays, derivative on Tensors."""
from __future__ import annotations

from ._registry import COMPARE, FLOAT, KEEP, op


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
    return (grad * (1 - out * out),)


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
