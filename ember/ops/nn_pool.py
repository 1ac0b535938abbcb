"""Fused pooling ops: max pooling with torch's flat indices, average pooling, adaptive max pooling and max unpooling,
with their backwards; the functional forms (F.max_pool2d, F.avg_pool2d, ...) on top.

Windows are strided views of the padded input (nn_conv.windows); no Python loop runs over positions. A max pool
reduces one window dim at a time (running maxima, then the first offset attaining them) and keeps torch's flat indices
(into each input plane); its backward puts the gradient at them with one assignment when windows are disjoint, else
with one bincount, so overlapping windows accumulate. Average pooling and its backward are adjoint linear maps, each
the other's derivative.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..autograd.grad_mode import STATE
from ._registry import KEEP, export, op
from ._util import LOW
from .nn_conv import floats_only, pad_const, scatter_windows, windows


def pool_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Output length of a pooling window (torch's pooling_output_shape): the last window must start inside."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _dtype_name(dt) -> str:
    from .. import _dtype as D
    return D.FROM_NP[dt].name.capitalize()


def _check_pool(x, kernel, stride, padding, dilation, ceil_mode, name):
    """Validate a pooling call like torch; returns the output spatial size."""
    nd = len(kernel)
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel_size must be greater than zero, but got {list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                               f"and dilation={d}")
    out = tuple(pool_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(x.shape[-nd:], kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        lead = x.shape[-nd - 1:-nd]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, lead + x.shape[-nd:]))}). Calculated output size: "
                           f"({'x'.join(map(str, lead + out))}). Output size is too small")
    return out


def _overhang(x, kernel, stride, padding, dilation, out) -> tuple:
    """Padding past the right edge that ceil_mode's last window needs beyond the symmetric padding."""
    nd = len(kernel)
    return tuple(max(p, (o - 1) * s + d * (k - 1) + 1 - n - p)
                 for n, k, s, p, d, o in zip(x.shape[-nd:], kernel, stride, padding, dilation, out))


def _plane_offsets(shape) -> tuple:
    """Row-major strides (in elements) of shape."""
    return tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))


# ---------------------------------------------------------------------------------------------------------------
# max pooling


def _lowest(dt):
    return -np.inf if dt.kind == "f" or dt in LOW else np.iinfo(dt).min


def _separable_max(xp, padded, kernel, stride, dilation, out, soff, indices: bool = True):
    """(max, offset of its first occurrence in the input plane) over each window of padded, one dim at a time (last
    first): running maxima over the window offsets, then per dim the first offset attaining the max (the count of
    offsets before it that miss), carrying the offsets picked in the dims already reduced along. That is the row-major
    first maximum, as torch. A few passes over output-sized arrays beat an argmax over a strided window axis (and
    masked copies, ten times slower than arithmetic)."""
    nd = len(kernel)
    vals, picked = padded, []
    for i in reversed(range(nd)):
        ax = vals.ndim - nd + i
        k, s, d, o = kernel[i], stride[i], dilation[i], out[i]
        at = [(slice(None),) * ax + (slice(j * d, j * d + s * (o - 1) + 1, s),) for j in range(k)]
        views = [vals[a] for a in at]
        best = views[0].copy()
        for v in views[1:]:
            xp.maximum(best, v, out=best)
        vals = best
        if not indices:
            continue
        first = xp.zeros(best.shape, np.uint8 if k < 256 else np.int64)
        miss = None
        for v in views[:-1]:
            miss = v != best if miss is None else xp.logical_and(miss, v != best, out=miss)
            first += miss
        # the offsets picked along later dims, taken at this dim's picked offset
        picked = [(xp.choose(first, [p[a] for a in at]) if k <= 32 else
                   sum((first == j) * p[a] for j, a in enumerate(at)), di) for p, di in picked] + [(first, i)]
    if not indices:
        return vals, None
    offset = 0
    for p, i in picked:
        offset = offset + p.astype(np.int64) * (dilation[i] * soff[i])
    return vals, offset


def _max_pool_input(input, kernel_size, stride, padding, dilation, ceil_mode, xp):
    """(input padded with its dtype's lowest value, output size), after torch's argument checks."""
    nd = len(kernel_size)
    out = _check_pool(input, kernel_size, stride, padding, dilation, ceil_mode, f"max_pool{nd}d")
    return pad_const(xp, input, padding, _overhang(input, kernel_size, stride, padding, dilation, out),
                     _lowest(input.dtype)), out


@op(dtype=KEEP, method=False, export=False, differentiable=False)
def max_pool_values(input, kernel_size: tuple, stride: tuple, padding: tuple, dilation: tuple, ceil_mode: bool, *,
                    xp):
    """max_pool's values alone (torch's max_pool2d without indices): what inference needs, in a fraction of the time
    finding the first maximum of each window takes."""
    padded, out = _max_pool_input(input, kernel_size, stride, padding, dilation, ceil_mode, xp)
    return _separable_max(xp, padded, kernel_size, stride, dilation, out, None, indices=False)[0]


@op(dtype=KEEP, method=False, export=False, outputs=2)
def max_pool(input, kernel_size: tuple, stride: tuple, padding: tuple, dilation: tuple, ceil_mode: bool, *, xp):
    """(values, flat indices into each input plane) of max pooling over the last len(kernel_size) dims."""
    nd = len(kernel_size)
    padded, out = _max_pool_input(input, kernel_size, stride, padding, dilation, ceil_mode, xp)
    lead = input.shape[:-nd]
    # flat index = window start (per output position) + offset of the winning kernel element
    soff = _plane_offsets(input.shape[-nd:])
    start = 0
    for i in range(nd):
        start = start + ((xp.arange(out[i]) * stride[i] - padding[i]) * soff[i]).reshape((-1,) + (1,) * (nd - 1 - i))
    values, offset = _separable_max(xp, padded, kernel_size, stride, dilation, out, soff)
    if values.dtype.kind == "f" and xp.isnan(values).any():
        # NaN never equals the max: argmax instead, taking the last NaN of a window as torch (which moves to every
        # NaN it meets) and the first maximum elsewhere
        axis = len(lead)
        cols = windows(xp, padded, kernel_size, stride, dilation, out).reshape(lead + (-1,) + out)
        last = cols.shape[axis] - 1 - xp.argmax(xp.flip(xp.isnan(cols), axis), axis=axis)
        best = xp.where(xp.isnan(values), last, xp.argmax(cols, axis=axis))
        koff = 0
        for i in range(nd):
            koff = koff + (xp.arange(kernel_size[i]) * dilation[i] * soff[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        offset = xp.take(koff.reshape(-1), best)
    index = offset + start
    low = _lowest(input.dtype)
    if any(padding) and (values == low).any():
        # a window holding the lowest value only: torch points at its first element inside the input, not the padding
        first = 0
        for i, (k, s, p, d) in enumerate(zip(kernel_size, stride, padding, dilation)):
            pos = xp.arange(out[i]) * s - p
            pos = xp.where(pos < 0, pos + (-pos + d - 1) // d * d, pos)
            first = first + (pos * soff[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        index = xp.where(values == low, first, index)
    return values, index


@max_pool.derivative
def _(grad, out, input_shape, kernel_size, stride, dilation):
    # windows that do not overlap hit each input element at most once: the backward may assign instead of sum
    disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel_size, stride, dilation))
    return (max_pool_backward(grad[0], out[1], input_shape, len(kernel_size), disjoint),)


def gather_flat(t, indices, nd: int):
    """t's elements at flat indices into its last nd dims (the derivative of a scatter at indices)."""
    lead = tuple(indices.shape[:-nd])
    flat = t.reshape(lead + (-1,)).gather(-1, indices.reshape(lead + (-1,)))
    return flat.reshape(tuple(indices.shape))


@op(dtype=KEEP, method=False, export=False)
def max_pool_backward(grad, indices, input_shape: tuple, nd: int, disjoint: bool = False, *, xp):
    """grad summed into zeros of input_shape at flat indices into the last nd dims (max pooling's backward);
    disjoint: no index repeats within a plane, so one assignment does."""
    plane = math.prod(input_shape[-nd:])
    planes = math.prod(input_shape[:-nd])
    if grad.size == 0:
        return xp.zeros(input_shape, grad.dtype)
    if disjoint:
        res = xp.zeros((planes, plane), grad.dtype)
        xp.put_along_axis(res, indices.reshape(planes, -1), grad.reshape(planes, -1), 1)
        return res.reshape(input_shape)
    flat = (indices.reshape(planes, -1) + xp.arange(planes).reshape(-1, 1) * plane).reshape(-1)
    res = xp.bincount(flat, weights=grad.reshape(-1).astype(np.float64), minlength=planes * plane)
    return res.astype(grad.dtype).reshape(input_shape)


@max_pool_backward.derivative
def _(gg, indices, nd):
    return gather_flat(gg, indices, nd), None


@op(dtype=KEEP, method=False, export=False, outputs=2)
def adaptive_max_pool(input, output_size: tuple, *, xp):
    """(values, flat indices) of adaptive max pooling: window o spans [floor(o*n/out), ceil((o+1)*n/out))."""
    nd = len(output_size)
    sizes = input.shape[-nd:]
    lead = input.shape[:-nd]
    idx, lens = [], []
    for i, (n, o) in enumerate(zip(sizes, output_size)):
        start = xp.arange(o) * n // o
        end = ((xp.arange(o) + 1) * n + o - 1) // o
        width = int((end - start).max()) if o else 1
        # windows shorter than the widest repeat their last element: the first maximum stays the same
        rows = xp.minimum(start.reshape(-1, 1) + xp.arange(width), end.reshape(-1, 1) - 1)
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = o, width
        idx.append(rows.reshape(shape))
        lens.append(width)
    cols = input[(Ellipsis,) + tuple(idx)].reshape(lead + tuple(output_size) + (-1,))
    best = xp.argmax(cols, axis=-1) if cols.shape[-1] else xp.zeros(cols.shape[:-1], np.int64)
    values = xp.take_along_axis(cols, best[..., None], -1)[..., 0]
    index = xp.zeros(output_size, np.int64)
    loff, soff = _plane_offsets(lens), _plane_offsets(sizes)
    for i in range(nd):
        rows = idx[i].reshape(output_size[i], lens[i])
        local = (best // loff[i]) % lens[i]
        pos = rows[xp.arange(output_size[i]).reshape((-1,) + (1,) * (nd - 1 - i)), local]
        index = index + pos * soff[i]
    return values, index


@adaptive_max_pool.derivative
def _(grad, out, input_shape, output_size):
    return (max_pool_backward(grad[0], out[1], input_shape, len(output_size)),)


@op(dtype=KEEP, method=False, export=False)
def max_unpool(input, indices, output_size: tuple, *, xp):
    """Zeros of output_size (the last dims) with input's values put at flat indices (torch's max_unpool)."""
    nd = len(output_size)
    floats_only(input, "max_unpooling2d_forward")
    if indices.shape != input.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    plane = math.prod(output_size)
    planes = math.prod(input.shape[:-nd])
    idx = indices.reshape(planes, -1)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx.max() if idx.max() >= plane else idx.min()
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, output_size))}")
    res = xp.zeros((planes, plane), input.dtype)
    res[xp.arange(planes).reshape(-1, 1), idx] = input.reshape(planes, -1)
    return res.reshape(input.shape[:-nd] + tuple(output_size))


@max_unpool.derivative
def _(grad, indices, output_size):
    return gather_flat(grad, indices, len(output_size)), None


# ---------------------------------------------------------------------------------------------------------------
# average pooling


def _divisor(xp, sizes, kernel, stride, padding, out, count_include_pad, divisor_override):
    """Per-window divisors, shape out: the window's size inside the padded input (or inside the input)."""
    if divisor_override:
        return divisor_override
    div = 1
    for i, (n, k, s, p, o) in enumerate(zip(sizes, kernel, stride, padding, out)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        cnt = end - start if count_include_pad else xp.minimum(end, n) - xp.maximum(start, 0)
        div = div * cnt.reshape((-1,) + (1,) * (len(out) - 1 - i))
    return div


def window_sum(cols, nd: int):
    """Sum of windows (..., *kernel, *out) over the kernel dims: one add per offset beats a strided reduction."""
    kernel = cols.shape[-2 * nd:-nd]
    rest = (slice(None),) * nd
    total = None
    for ks in itertools.product(*map(range, kernel)):
        part = cols[(Ellipsis,) + ks + rest]
        if total is None:
            total = part.copy()
        else:
            total += part
    return total


def _avg_check(input, kernel, stride, padding, ceil_mode, divisor_override):
    nd = len(kernel)
    if input.dtype.kind in "iu" and input.dtype != np.int64:
        raise NotImplementedError(f"\"avg_pool{nd}d\" not implemented for '{_dtype_name(input.dtype)}'")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return _check_pool(input, kernel, stride, padding, (1,) * nd, ceil_mode, f"avg_pool{nd}d")


@op(dtype=KEEP, method=False, export=False)
def avg_pool(input, kernel_size: tuple, stride: tuple, padding: tuple, ceil_mode: bool, count_include_pad: bool,
             divisor_override: int | None, *, xp):
    """Average pooling over the last len(kernel_size) dims; integers divide truncating, as torch."""
    nd = len(kernel_size)
    out = _avg_check(input, kernel_size, stride, padding, ceil_mode, divisor_override)
    dt = np.float32 if input.dtype in LOW else np.int64 if input.dtype.kind in "iu" else input.dtype
    x = pad_const(xp, input.astype(dt, copy=False), padding,
                  _overhang(input, kernel_size, stride, padding, (1,) * nd, out))
    total = window_sum(windows(xp, x, kernel_size, stride, (1,) * nd, out), nd)
    div = _divisor(xp, input.shape[-nd:], kernel_size, stride, padding, out, count_include_pad, divisor_override)
    res = xp.abs(total) // div * xp.sign(total) if dt == np.int64 else total / div
    return res.astype(input.dtype, copy=False)


@avg_pool.derivative
def _(grad, input_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    return (avg_pool_backward(grad, input_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                              divisor_override),)


@op(dtype=KEEP, method=False, export=False)
def avg_pool_backward(grad, input_shape: tuple, kernel_size: tuple, stride: tuple, padding: tuple, ceil_mode: bool,
                      count_include_pad: bool, divisor_override: int | None, *, xp):
    """The adjoint of avg_pool: each output's gradient spread evenly over its window."""
    nd = len(kernel_size)
    sizes = input_shape[-nd:]
    out = grad.shape[-nd:]
    g = grad.astype(np.float32) if grad.dtype in LOW else grad
    g = g / _divisor(xp, sizes, kernel_size, stride, padding, out, count_include_pad, divisor_override)
    lead = g.shape[:-nd]
    cols = xp.broadcast_to(g.reshape(lead + (1,) * nd + out), lead + tuple(kernel_size) + out)
    after = _overhang(np.empty(sizes), kernel_size, stride, padding, (1,) * nd, out)
    full = tuple(p + n + a for p, n, a in zip(padding, sizes, after))
    res = scatter_windows(xp, cols, full, stride, (1,) * nd)
    res = res[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(padding, sizes))]
    return res.astype(grad.dtype, copy=False)


@avg_pool_backward.derivative
def _(gg, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    return (avg_pool(gg, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override),)


# ---------------------------------------------------------------------------------------------------------------
# the functional forms (F.max_pool2d, ...); torch.max_pool1d/2d/3d, avg_pool1d and the adaptive 1d ones are top-level


def _tuple(value, nd: int, name: str) -> tuple:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f"{name} must either be a single int, or a tuple of {nd} ints")
    return value


def _rank(input, nd: int, name: str, kind: str = "max") -> None:
    if input.ndim in (nd + 1, nd + 2) and (kind == "avg" or input.numel() or input.ndim == nd + 2):
        return
    if kind == "adaptive":
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(input.shape)}")
    if kind == "avg":
        raise RuntimeError(f"Expected {nd + 1} to {nd + 2} dimensions, but got {input.ndim}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {name})")
    raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd):
    _rank(input, nd, f"max_pool{nd}d")
    k = _tuple(kernel_size, nd, "max_pool: kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, nd, "stride")
    args = (k, s, _tuple(padding, nd, "padding"), _tuple(dilation, nd, "dilation"), bool(ceil_mode))
    if not return_indices and not (STATE.grad_enabled and input.requires_grad):
        return max_pool_values(input, *args)
    values, indices = max_pool(input, *args)
    return (values, indices) if return_indices else values


@export(method=False)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max pooling over (N, C, L) or (C, L) (torch.nn.functional.max_pool1d)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


@export(method=False)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling over (N, C, H, W) or (C, H, W) (torch.nn.functional.max_pool2d)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


@export(method=False)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W) (torch.nn.functional.max_pool3d)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


def _unpool(input, indices, kernel_size, stride, padding, output_size, nd):
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    default = tuple((n - 1) * st - 2 * pp + kk for n, st, pp, kk in zip(input.shape[-nd:], s, p, k))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-nd:]
        if len(size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(tuple(output_size))}'")
        for i, (v, d, st) in enumerate(zip(size, default, s)):
            if not d - st < v < d + st:
                raise ValueError(f'invalid output_size "{tuple(size)}" (dim {i} must be between {d - st + 1} and '
                                 f'{d + st - 1})')
    return max_unpool(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool1d: values put back at their indices, zeros elsewhere (torch.nn.functional.max_unpool1d)."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool2d (torch.nn.functional.max_unpool2d)."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool3d (torch.nn.functional.max_unpool3d)."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 3)


def _avg(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd):
    _rank(input, nd, f"avg_pool{nd}d", "avg")
    k = _tuple(kernel_size, nd, "avg_pool: kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, nd, "stride")
    return avg_pool(input, k, s, _tuple(padding, nd, "padding"), bool(ceil_mode), bool(count_include_pad),
                    divisor_override)


@export(method=False)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling (torch.nn.functional.avg_pool1d)."""
    return _avg(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling (torch.nn.functional.avg_pool2d)."""
    return _avg(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling (torch.nn.functional.avg_pool3d)."""
    return _avg(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


def adaptive_size(input, output_size, nd: int, name: str) -> tuple:
    """output_size as nd ints (None keeps the input's size), after torch's rank and emptiness checks."""
    _rank(input, nd, name, "adaptive")
    size = (output_size,) * nd if isinstance(output_size, (int, np.integer)) or output_size is None else \
        tuple(output_size)
    if len(size) != nd:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    for d in range(input.ndim - nd, input.ndim):
        if input.shape[d] == 0 and d > 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {d} being empty")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype_name(input._data.dtype)}'")
    return tuple(n if s is None else int(s) for n, s in zip(input.shape[-nd:], size))


def _adaptive_max(input, output_size, return_indices, nd):
    values, indices = adaptive_max_pool(input, adaptive_size(input, output_size, nd, f"adaptive_max_pool{nd}d"))
    return (values, indices) if return_indices else values


@export(method=False)
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-d adaptive max pooling (torch.nn.functional.adaptive_max_pool1d)."""
    return _adaptive_max(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-d adaptive max pooling (torch.nn.functional.adaptive_max_pool2d)."""
    return _adaptive_max(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-d adaptive max pooling (torch.nn.functional.adaptive_max_pool3d)."""
    return _adaptive_max(input, output_size, return_indices, 3)


def _adaptive_weights(n: int, o: int, like):
    """(o, n) matrix averaging window i = [floor(i*n/o), ceil((i+1)*n/o)) of a length-n dim."""
    from .reduce import const
    start = np.arange(o) * n // o
    end = ((np.arange(o) + 1) * n + o - 1) // o
    inside = (np.arange(n) >= start[:, None]) & (np.arange(n) < end[:, None])
    return const(inside / (end - start)[:, None], like)


def _adaptive_avg(input, output_size, nd):
    size = adaptive_size(input, output_size, nd, f"adaptive_avg_pool{nd}d")
    if tuple(input.shape[-nd:]) == size:
        return input.clone()
    x = input
    for i, o in enumerate(size):
        d = input.ndim - nd + i
        if input.shape[d] == o:
            continue
        a = _adaptive_weights(input.shape[d], o, input)
        # a separable linear map per dim: a GEMM, exact for any sizes (no cumulative-sum cancellation)
        x = x @ a.T if d == input.ndim - 1 else (a @ x.transpose(d, -2)).transpose(d, -2)
    return x


@export(method=False)
def adaptive_avg_pool1d(input, output_size):
    """1-d adaptive average pooling (torch.nn.functional.adaptive_avg_pool1d)."""
    return _adaptive_avg(input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """2-d adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d)."""
    return _adaptive_avg(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """3-d adaptive average pooling (torch.nn.functional.adaptive_avg_pool3d)."""
    return _adaptive_avg(input, output_size, 3)
