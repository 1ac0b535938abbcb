"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, multinomial, poisson, the *_like factories and
the in-place samplers (uniform_, normal_, bernoulli_, exponential_, random_, geometric_, log_normal_, cauchy_).

Every function takes ``generator=`` and otherwise draws from ember's default generator (``ember.manual_seed``). The
numbers are reproducible under a seed but are not torch's numbers (see NOTE [ Random streams ] in ember/random.py).
Samples have no gradient: ops that take tensors give zero gradients, as torch's do.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..random import Generator, bits
from ._registry import KEEP, call_inplace, export, op
from .creation import TORCH_NAMES, empty_like, not_implemented, place, result_dtype, size_arg, zeros_like

# NOTE [ Low-precision samples ]
# Continuous samples are drawn in float64 for float64 tensors and in float32 otherwise, then rounded. Uniform samples
# for float16 and bfloat16 are k * 2**-digits (digits = 11 and 8), as torch draws them, so they are exact in the type
# and never round up to 1.
_DIGITS = {D.float16: 11, D.bfloat16: 8, D.float32: 24, D.float64: 53}


def _float_dtype(dt: D.dtype, kernel: str, numel: int = 1) -> D.dtype:
    """dt, or torch's error for a non-float dtype; torch skips most kernels (and their error) for empty tensors."""
    if not dt.is_floating_point and numel:
        raise not_implemented(kernel, dt)
    return dt


def _compute(dt: D.dtype):
    return np.float64 if dt is D.float64 else np.float32


def _uniform(g: np.random.Generator, shape, dt: D.dtype) -> np.ndarray:
    """Uniform samples in [0, 1) of float dtype dt (NOTE [ Low-precision samples ])."""
    if dt.itemsize == 2:
        k = _DIGITS[dt]
        return (g.integers(0, 1 << k, shape, dtype=np.int32) * np.float32(2.0 ** -k)).astype(dt.np)
    return g.random(shape, dtype=_compute(dt))


def _standard_normal(g: np.random.Generator, shape, dt: D.dtype) -> np.ndarray:
    """Standard normal samples in the compute dtype of dt (float64 or float32)."""
    return g.standard_normal(shape, dtype=_compute(dt))


def _xp(arr, xp):
    return arr if xp is np else xp.asarray(arr)


def _zero_grads(grad, needs):
    # torch's derivatives of samplers are zeros, not the reparameterised gradient (torch.distributions does that)
    return tuple(zeros_like(grad) if n else None for n in needs)


# ---------------------------------------------------------------------------------------------------------------
# factories


@export(method=False)
def rand(*size_args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) (torch.rand); floating dtypes only."""
    shape = size_arg(size_args if size is None else (size,), "rand")
    dt = _float_dtype(result_dtype(dtype, out, D.get_default_dtype()), "check_uniform_bounds")
    return place(_uniform(bits(generator), shape, dt).astype(dt.np, copy=False), device, requires_grad, out)


@export(method=False)
def randn(*size_args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory: bool = False,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples (torch.randn); floating dtypes only."""
    shape = size_arg(size_args if size is None else (size,), "randn")
    dt = _float_dtype(result_dtype(dtype, out, D.get_default_dtype()), "normal_kernel_cpu", math.prod(shape))
    return place(_standard_normal(bits(generator), shape, dt).astype(dt.np, copy=False), device, requires_grad, out)


_C_NAMES = {D.bool: "bool", D.uint8: "unsigned char", D.int8: "signed char", D.int16: "short", D.int32: "int",
            D.int64: "long int"}


def _integers(g: np.random.Generator, low: int, high: int, shape, dt: D.dtype) -> np.ndarray:
    """Uniform integers in [low, high) as dt, with torch's checks of the range against dt."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dt._kind < 2:
        lo, hi = (0, 1) if dt is D.bool else (np.iinfo(dt.np).min, np.iinfo(dt.np).max)
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {_C_NAMES[dt]}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_NAMES[dt]}")
    return g.integers(low, high, shape, dtype=np.int64).astype(dt.np)


def _int_arg(v, what: str, fn: str) -> int:
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{fn}(): argument '{what}' must be int, not {type(v).__name__}") from None


@export(method=False)
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Uniform integers in [low, high) (torch.randint): ``randint(high, size)`` or ``randint(low, high, size)``;
    int64 unless dtype (any dtype, floats included) is given."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    low, high = _int_arg(low, "low", "randint"), _int_arg(high, "high", "randint")
    dt = result_dtype(dtype, out, D.int64)
    arr = _integers(bits(generator), low, high, size_arg((size,), "randint"), dt)
    return place(arr, device, requires_grad, out)


@export(method=False)
def randperm(n: int, *, generator=None, out=None, dtype=D.int64, layout=None, device=None, pin_memory: bool = False,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (torch.randperm)."""
    n = _int_arg(n, "n", "randperm")
    size_arg((n,), "randperm")
    dt = result_dtype(dtype, out, D.int64)
    if dt is D.bool:
        raise not_implemented("randperm", dt)
    if dt._kind == 1 and n - 1 > np.iinfo(dt.np).max:
        raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
    return place(bits(generator).permutation(n).astype(dt.np), device, requires_grad, out)


def _like(name, input, dtype, device, requires_grad, sampler, *args, generator=None) -> Tensor:
    """A tensor shaped like input (keeping its strides) filled in place by sampler."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    t = sampler(empty_like(input, dtype=dtype, device=device), *args, generator=generator)
    return t.requires_grad_(True) if requires_grad else t


@export(method=False)
def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """rand with input's shape, strides, dtype and device unless given (torch.rand_like)."""
    return _like("rand_like", input, dtype, device, requires_grad, Tensor.uniform_, generator=generator)


@export(method=False)
def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """randn with input's shape, strides, dtype and device unless given (torch.randn_like)."""
    return _like("randn_like", input, dtype, device, requires_grad, Tensor.normal_, generator=generator)


@export(method=False)
def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None) -> Tensor:
    """randint with input's shape, strides, dtype and device unless given (torch.randint_like): ``(input, high)``
    or ``(input, low, high)``."""
    if high is None:
        low, high = 0, low
    return _like("randint_like", input, dtype, device, requires_grad, Tensor.random_, low, high, generator=generator)


# ---------------------------------------------------------------------------------------------------------------
# ops on tensors


@op(dtype=KEEP, method=False, export=False, name="normal")
def _normal(mean, std, *, generator=None, xp):
    """mean + std * N(0, 1), broadcasting (torch.normal's tensor overloads); the dtype is mean's (std's if mean is a
    number)."""
    ref = mean if isinstance(mean, np.ndarray) else std
    if isinstance(std, np.ndarray):
        if std.size and std.min() < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    dt = _float_dtype(D.from_np(ref.dtype), "normal_kernel_cpu", math.prod(shape))
    eps = _standard_normal(bits(generator), shape, dt)
    cd = eps.dtype
    return _xp((np.asarray(mean, cd) + np.asarray(std, cd) * eps).astype(dt.np, copy=False), xp)


_normal.derivative(_zero_grads)


@export(method=False)
def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std (torch.normal), in its four forms: tensor mean and/or tensor std
    (broadcast together), or number mean and std with size.

    As in torch the result's gradient with respect to mean and std is zero; write ``mean + std * randn_like(mean)``
    for a reparameterised sample.
    """
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal() received an invalid combination of arguments: size is only accepted with a "
                            "number mean and std")
        return _normal(mean, std, generator=generator, out=out)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: a number mean and std need size")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = size_arg((size,), "normal")
    dt = _float_dtype(result_dtype(dtype, out, D.get_default_dtype()), "normal_kernel_cpu", math.prod(shape))
    eps = _standard_normal(bits(generator), shape, dt)
    return place((mean + std * eps).astype(dt.np, copy=False), device, requires_grad, out)


def _check_p(p) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")


@op(dtype=KEEP)
def bernoulli(input, p: float | None = None, *, generator=None, xp):
    """1 with probability input (or p), else 0, in input's dtype (torch.bernoulli)."""
    dt = D.from_np(input.dtype)
    if p is None:
        _float_dtype(dt, "bernoulli_tensor_cpu_p_", input.size)
        if input.size and not (input.min() >= 0 and input.max() <= 1):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        p = input.astype(np.float64)
    else:
        _check_p(p)
    return _xp((bits(generator).random(input.shape) < p).astype(input.dtype), xp)


bernoulli.derivative(_zero_grads)


@op(dtype=KEEP, method=False)
def poisson(input, generator: Generator | None = None, *, xp):
    """Poisson samples with rates input, in input's dtype (torch.poisson)."""
    _float_dtype(D.from_np(input.dtype), "poisson_cpu")
    if input.size and not input.min() >= 0:
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _xp(np.asarray(bits(generator).poisson(input.astype(np.float64))).astype(input.dtype), xp)


poisson.derivative(_zero_grads)


@op(dtype=KEEP)
def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None, xp):
    """num_samples category indices per row of weights input (1-d or 2-d), int64 (torch.multinomial).

    Without replacement each draw excludes the categories drawn before it; like torch, categories of weight zero
    are drawn last instead of raising when too few have positive weight.
    """
    dt = D.from_np(input.dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {TORCH_NAMES[dt]}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    w = input.reshape(-1, k).astype(np.float64)
    if w.size and not (np.isfinite(w).all() and w.min() >= 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = w.sum(axis=1)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = bits(generator)
    if replacement:
        cdf = np.cumsum(w, axis=1)
        last = k - 1 - np.argmax(w[:, ::-1] > 0, axis=1)  # rounding must never pick a trailing zero-weight category
        draws = g.random((w.shape[0], num_samples)) * total[:, None]
        idx = np.stack([np.minimum(np.searchsorted(c, d, side="right"), m) for c, d, m in zip(cdf, draws, last)]) \
            if w.shape[0] else np.empty((0, num_samples), np.int64)
    else:
        # torch's method: the num_samples largest w / Exp(1) are a draw without replacement proportional to w
        keys = w / g.standard_exponential(w.shape)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return _xp(idx.astype(np.int64).reshape(input.shape[:-1] + (num_samples,)), xp)


# ---------------------------------------------------------------------------------------------------------------
# in-place samplers: Tensor.uniform_ and friends


def _sampler(fn=None, *, parse=None):
    """Register fn(input, ..., generator) -> new values as the in-place method Tensor.<fn name> (zero gradient).

    parse, when given, maps the method's arguments to fn's (random_ accepts ``(to)`` and ``(from, to)``).
    """
    def register(f):
        o = op(dtype=KEEP, method=False, export=False, name=f.__name__)(f)
        o.derivative(_zero_grads)

        def method(self, *args, **kwargs):
            if "from" in kwargs:  # torch's keyword, a reserved word in Python
                kwargs["from_"] = kwargs.pop("from")
            if parse is not None:
                args, kwargs = parse(*args, **kwargs)
            return call_inplace(o, (self,) + tuple(args), kwargs)
        method.__name__ = method.__qualname__ = f.__name__
        method.__doc__ = f.__doc__
        setattr(Tensor, f.__name__, method)
        return o
    return register(fn) if fn is not None else register


def _continuous(input, what: str, type_name: str, numel: int) -> D.dtype:
    dt = D.from_np(input.dtype)
    if not dt.is_floating_point and numel:
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {type_name}")
    return dt


@_sampler
def uniform_(input, from_: float = 0.0, to: float = 1.0, *, generator=None, xp):
    """Fill with uniform samples in [from, to) (torch.Tensor.uniform_); floating dtypes only."""
    dt = _float_dtype(D.from_np(input.dtype), "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    u = _uniform(bits(generator), input.shape, dt).astype(_compute(dt))
    return _xp((u * (to - from_) + from_).astype(input.dtype), xp)


@_sampler
def normal_(input, mean: float = 0.0, std: float = 1.0, *, generator=None, xp):
    """Fill with normal samples (torch.Tensor.normal_); floating dtypes only."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = _float_dtype(D.from_np(input.dtype), "normal_kernel_cpu", input.size)
    return _xp((_standard_normal(bits(generator), input.shape, dt) * std + mean).astype(input.dtype), xp)


@_sampler
def bernoulli_(input, p=0.5, *, generator=None, xp):
    """Fill with 1 with probability p (a number or a tensor broadcast to self), else 0 (torch.Tensor.bernoulli_)."""
    if isinstance(p, np.ndarray):
        _float_dtype(D.from_np(p.dtype), "bernoulli_tensor_cpu_p_", input.size)
        if p.size and not (p.min() >= 0 and p.max() <= 1):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        p = np.broadcast_to(p.astype(np.float64), input.shape)
    else:
        _check_p(p)
    return _xp((bits(generator).random(input.shape) < p).astype(input.dtype), xp)


@_sampler
def exponential_(input, lambd: float = 1.0, *, generator=None, xp):
    """Fill with exponential samples of rate lambd (torch.Tensor.exponential_)."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    dt = _continuous(input, "Exponential", TORCH_NAMES[D.from_np(input.dtype)], input.size)
    e = bits(generator).standard_exponential(input.shape, dtype=_compute(dt))
    return _xp((e / lambd).astype(input.dtype), xp)


@_sampler
def geometric_(input, p: float, *, generator=None, xp):
    """Fill with the number of Bernoulli(p) trials up to the first success, 1, 2, ... (torch.Tensor.geometric_)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    if input.dtype == np.bool_ and input.size:
        raise not_implemented("geometric_cpu", D.bool)
    return _xp(bits(generator).geometric(p, input.shape).astype(input.dtype), xp)


@_sampler
def log_normal_(input, mean: float = 1.0, std: float = 2.0, *, generator=None, xp):
    """Fill with exp(N(mean, std)) samples (torch.Tensor.log_normal_)."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    dt = _float_dtype(D.from_np(input.dtype), "log_normal_cpu", input.size)
    return _xp(np.exp(_standard_normal(bits(generator), input.shape, dt) * std + mean).astype(input.dtype), xp)


@_sampler
def cauchy_(input, median: float = 0.0, sigma: float = 1.0, *, generator=None, xp):
    """Fill with Cauchy samples (torch.Tensor.cauchy_)."""
    _continuous(input, "Cauchy", _C_NAMES.get(D.from_np(input.dtype), ""), 1)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return _xp((bits(generator).standard_cauchy(input.shape) * sigma + median).astype(input.dtype), xp)


def _random_args(*args, from_=None, to=None, generator=None):
    if len(args) == 1:
        if to is not None or from_ is not None:
            raise TypeError("random_() received an invalid combination of arguments")
        from_, to = 0, args[0]
    elif len(args) == 2:
        from_, to = args
    elif args:
        raise TypeError(f"random_() takes at most 2 positional arguments but {len(args)} were given")
    from_ = 0 if from_ is None else _int_arg(from_, "from", "random_")
    to = None if to is None else _int_arg(to, "to", "random_")
    return (), {"from_": from_, "to": to, "generator": generator}


@_sampler(parse=_random_args)
def random_(input, from_: int = 0, to: int | None = None, *, generator=None, xp):
    """Fill with uniform integers in [from, to) (torch.Tensor.random_): ``random_()`` spans the dtype (for floats
    [0, 2**digits]), ``random_(to)`` is [0, to), ``random_(from, to)``; to=None runs to the dtype's maximum."""
    dt = D.from_np(input.dtype)
    if to is None:
        to = 1 + (1 if dt is D.bool else (1 << _DIGITS[dt]) if dt.is_floating_point else int(np.iinfo(dt.np).max))
    return _xp(_integers(bits(generator), from_, to, input.shape, dt), xp)
