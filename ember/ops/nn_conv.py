"""Fused convolution ops: n-d convolution and transposed convolution (one GEMM over im2col windows), their weight
gradient, im2col/col2im (F.unfold/F.fold) and constant padding; torch.conv1d ... torch.conv_transpose3d on top.

NOTE [ Convolution layout ]
The windows of the zero-padded input are a strided view; reshaped, they are the im2col matrix (the one copy).
- groups == 1 (and enough channels, _channels_last_pays): the input is padded into channels-last order, so the view is
  (N, *out, *kernel, C) and each im2col row copies contiguous kernel-width x C runs; forward is
  cols (N*P, K*C) @ W^T (K*C, O), then one transpose back to NC*S. The weight gradient is grad^T (O, N*P) @ cols: one
  GEMM whose inner dimension is batch x positions (per-sample GEMMs, summed, ran 1.3x slower). Both run in batch chunks.
- depthwise (one input channel per group): a multiply-add per kernel offset over shifted views (no GEMM fits).
- otherwise (groups, or LeNet's single input channel): (N, groups, C/groups*K, P) NCHW windows, a batched GEMM.
The transposed convolution (the input gradient, conv_transpose) is, at stride 1, the forward convolution of the output
gradient with the flipped, in/out-swapped kernel (a GEMM instead of col2im's slice-add per offset); with a large
strided kernel, one stride-1 transposed convolution per output phase (sub-pixel); otherwise W^T g scattered back by
col2im. Each derivative calls these ops again, so double backward works and first-order backward costs no more than
the array code.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from .. import _dtype as D
from ._registry import KEEP, export, op
from ._util import LOW


def expand_param(value, nd: int, name: str) -> tuple:
    """An int or a 1-element sequence repeated nd times, or a sequence of nd ints (torch's expand_param_if_needed)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    return value


def _fmt(values) -> str:
    return " x ".join(str(v) for v in values)


def floats_only(a, name: str) -> None:
    """torch implements some kernels for floating dtypes only."""
    if a.dtype.kind != "f" and a.dtype not in LOW:
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for '{D.FROM_NP[a.dtype].name.capitalize()}'")


def _compute(a):
    """float16/bfloat16 compute in float32 (NumPy has no BLAS for them)."""
    return a.astype(np.float32) if a.dtype in LOW else a


def windows(xp, x, kernel, stride, dilation, out):
    """Strided view (..., *kernel, *out) of x's last len(kernel) dims: [..., k, o] = x[..., o*stride + k*dilation]."""
    nd = len(kernel)
    st = x.strides[-nd:]
    return xp.lib.stride_tricks.as_strided(
        x, x.shape[:-nd] + tuple(kernel) + tuple(out),
        x.strides[:-nd] + tuple(s * d for s, d in zip(st, dilation)) + tuple(s * t for s, t in zip(st, stride)))


def scatter_windows(xp, cols, size, stride, dilation, dtype=None):
    """The adjoint of windows: cols (..., *kernel, *out) summed into zeros (..., *size), one slice-add per offset."""
    nd = len(size)
    kernel, out = cols.shape[-2 * nd:-nd], cols.shape[-nd:]
    res = xp.zeros(cols.shape[:-2 * nd] + tuple(size), dtype or cols.dtype)
    if 0 in out:
        return res
    rest = (slice(None),) * nd
    for ks in itertools.product(*map(range, kernel)):
        dst = tuple(slice(k * d, k * d + s * (o - 1) + 1, s) for k, d, s, o in zip(ks, dilation, stride, out))
        res[(Ellipsis,) + dst] += cols[(Ellipsis,) + ks + rest]
    return res


def pad_const(xp, x, before, after, value=0):
    """x with its last len(before) dims padded by before/after elements of value (non-negative pads)."""
    if not any(before) and not any(after):
        return x
    nd = len(before)
    shape = x.shape[:-nd] + tuple(n + b + a for n, b, a in zip(x.shape[-nd:], before, after))
    res = xp.zeros(shape, x.dtype) if value == 0 else xp.full(shape, value, x.dtype)
    res[(Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(before, x.shape[-nd:]))] = x
    return res


def im2col_view(xp, x, kernel, stride, padding, dilation, out=None):
    """(windows of the zero-padded x as (..., C, *kernel, *out), out); out defaults to every full window."""
    nd = len(kernel)
    if out is None:
        out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                    for n, k, s, p, d in zip(x.shape[-nd:], kernel, stride, padding, dilation))
    return windows(xp, pad_const(xp, x, padding, padding), kernel, stride, dilation, out), out


def col2im_sum(xp, cols, size, stride, padding, dilation, dtype=None):
    """cols (..., *kernel, *out) scattered into the padded (..., *size) and cropped: the adjoint of im2col_view."""
    full = tuple(n + 2 * p for n, p in zip(size, padding))
    res = scatter_windows(xp, cols, full, stride, dilation, dtype)
    if any(padding):
        res = res[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(padding, size))]
    return res


# ---------------------------------------------------------------------------------------------------------------
# convolution


def _check_conv(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    nd = w.ndim - 2
    if x.ndim != w.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight {list(w.shape)}, but "
                           f"got {x.ndim}-dimensional input of size {list(x.shape)} instead")
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        other = w.dtype if x.dtype != w.dtype else b.dtype
        raise RuntimeError(f"expected scalar type {D.FROM_NP[x.dtype].name.capitalize()} but found "
                           f"{D.FROM_NP[other].name.capitalize()}")
    if x.dtype == np.bool_ or (transposed and x.dtype.kind in "iu" and x.dtype != np.int64):
        raise NotImplementedError(f"\"slow_conv{'_transpose' if transposed else ''}{nd}d_cpu\" not implemented for "
                                  f"'{D.FROM_NP[x.dtype].name.capitalize()}'")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(w.shape)}] instead")
    cin = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != cin:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {given}, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                           f"{cin} channels, but got {x.shape[1]} channels instead")
    cout = w.shape[1] * groups if transposed else w.shape[0]
    if b is not None and (b.ndim != 1 or b.shape[0] != cout):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {cout} "
                           f"elements, but got bias of size {list(b.shape)} instead")
    kernel = w.shape[2:]
    if transposed:
        if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={list(output_padding)} stride={list(stride)} dilation={list(dilation)}")
        return tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, k, s, p, d, o in
                     zip(x.shape[2:], kernel, stride, padding, dilation, output_padding))
    padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(e > n for e, n in zip(eff, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_fmt(padded)}). Kernel size: ({_fmt(eff)}). "
                           "Kernel size can't be greater than actual input size")
    return tuple((n - e) // s + 1 for n, e, s in zip(padded, eff, stride))


# im2col matrices are built and multiplied in batch chunks of about this many bytes, so that the GEMM reads a chunk
# its copy has just left in L2 (measured: a 16-channel 3x3 conv on 32 x 32 x 32 takes 3.1 ms in 1 MiB chunks, 5.2 ms
# in 4 MiB ones, 3.8 ms in one piece; fresh arrays past glibc's mmap threshold page-fault too).
GEMM_CHUNK_BYTES = 1 << 20
# Depthwise convolutions run in batch chunks of about this many bytes, so that their per-offset passes stay in cache.
DEPTHWISE_CHUNK_BYTES = 1 << 18


def _channels_last_pays(c: int, kernel, stride, out) -> bool:
    """Whether channels-last im2col beats NCHW for c input channels per group: its copy moves runs of kernel-width x C
    elements, NCHW's runs of out-width elements (strided when stride > 1). Measured: LeNet's 1 -> 6 5x5 and 3 or
    4 -> 16 3x3 at 32x32 are faster NCHW (2x), 6 -> 16 5x5 at 12x12 and 12+ -> 16 at 32x32 channels-last."""
    return c > 1 and c * kernel[-1] * stride[-1] >= out[-1]


def _channels_last(xp, x, before, after):
    """x (N, C, *S) zero-padded by before/after and moved to (N, *S', C): one copy, the transpose done by the write."""
    padded = tuple(n + b + a for n, b, a in zip(x.shape[2:], before, after))
    res = xp.zeros((x.shape[0],) + padded + (x.shape[1],), x.dtype)
    res[(slice(None),) + tuple(slice(b, b + n) for b, n in zip(before, x.shape[2:]))] = xp.moveaxis(x, 1, -1)
    return res


def _cols_last(xp, x, kernel, stride, before, after, dilation, out):
    """im2col in channels-last order as a strided view (N, *out, *kernel, C) of the padded x: [n, o, k, c] =
    x_pad[n, c, o*s + k*d]; reshaped to (N * prod(out), prod(kernel) * C) each row copies runs of contiguous
    kernel-width x C elements."""
    xh = _channels_last(xp, x, before, after)
    st = xh.strides
    return xp.lib.stride_tricks.as_strided(
        xh, (xh.shape[0],) + tuple(out) + tuple(kernel) + (xh.shape[-1],),
        (st[0],) + tuple(s * t for s, t in zip(st[1:-1], stride)) + tuple(s * d for s, d in zip(st[1:-1], dilation))
        + (st[-1],))


def _chunks(view):
    """Batch slices of view (N, *out, *kernel, C) whose im2col matrices stay near GEMM_CHUNK_BYTES."""
    n = view.shape[0]
    per = max(1, view[:1].size * view.itemsize)
    step = max(1, min(n, GEMM_CHUNK_BYTES // per))
    return [slice(i, i + step) for i in range(0, max(n, 1), step)]  # one (empty) chunk for an empty batch


def _rows(view):
    """A chunk of _cols_last as its im2col matrix (rows = batch x positions)."""
    nd = (view.ndim - 2) // 2
    return view.reshape(view.shape[0] * math.prod(view.shape[1:1 + nd]), math.prod(view.shape[1 + nd:]))


def _weight_last(w):
    """(O, C, *K) -> (O, prod(K) * C), the weight matching _cols_last's column order."""
    return w.reshape(w.shape[:2] + (-1,)).swapaxes(1, 2).reshape(w.shape[0], -1)


def _flat_planes(xp, x, before, after, dilation, kernel, out):
    """For stride 1: (view, padded plane shape, span L). x is zero-padded and flattened per plane; view (N, C,
    *kernel, L) has [..., k, q] = flat[..., q + offset(k)]. Output position o sits at q = o . (row-major strides of the
    padded plane), so every kernel offset reads one contiguous run; the rows' tails past out are garbage, cropped
    later (_crop_flat), and the zeros appended after the plane keep the last offset's run in bounds."""
    nd = len(kernel)
    padded = tuple(n + b + a for n, b, a in zip(x.shape[2:], before, after))
    pst = tuple(math.prod(padded[i + 1:]) for i in range(nd))
    span = out[0] * pst[0]
    extra = sum((k - 1) * d * t for k, d, t in zip(kernel, dilation, pst)) + span - math.prod(padded)
    flat = xp.zeros(x.shape[:2] + (math.prod(padded) + max(extra, 0),), x.dtype)
    inner = flat[..., :math.prod(padded)].reshape(x.shape[:2] + padded)
    inner[(Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(before, x.shape[2:]))] = x
    it = flat.itemsize
    view = xp.lib.stride_tricks.as_strided(flat, x.shape[:2] + tuple(kernel) + (span,),
                                           flat.strides[:2] + tuple(d * t * it for d, t in zip(dilation, pst)) + (it,))
    return view, padded, span


def _crop_flat(xp, y, padded, out):
    """(..., span) on the padded plane's grid -> (..., *out), contiguous."""
    y = y.reshape(y.shape[:-1] + (out[0],) + tuple(padded[1:]))
    return xp.ascontiguousarray(y[(Ellipsis,) + tuple(slice(0, o) for o in out)])


def _depthwise(xp, x, w, stride, before, after, dilation, out):
    """Convolution with one input channel per group (w (C*m, 1, *K)): one multiply-add per kernel offset; batched
    1-row GEMMs are far slower. Stride 1 reads each offset as a contiguous run of the flattened padded plane and works
    in cache-sized batch chunks (short strided rows and large temporaries cost more than the arithmetic)."""
    n, c = x.shape[:2]
    kernel = w.shape[2:]
    offsets = list(itertools.product(*map(range, kernel)))
    wk = w.reshape((c, w.shape[0] // c) + tuple(kernel) + (1,) * len(out))
    if any(s != 1 for s in stride):
        win = windows(xp, pad_const(xp, x, before, after), kernel, stride, dilation, out)[:, :, None]
        res = sum(win[(Ellipsis,) + ks + (slice(None),) * len(out)] * wk[(Ellipsis,) + ks + (slice(None),) * len(out)]
                  for ks in offsets)
        return res.reshape((n, w.shape[0]) + tuple(out))
    view, padded, span = _flat_planes(xp, x, before, after, dilation, kernel, out)
    wk = w.reshape((c, w.shape[0] // c) + tuple(kernel) + (1,))
    res = xp.empty((n, c, w.shape[0] // c, span), x.dtype)
    chunk = max(1, DEPTHWISE_CHUNK_BYTES // max(1, c * span * x.itemsize))
    tmp = xp.empty((min(chunk, n),) + res.shape[1:], x.dtype)
    for start in range(0, n, chunk):
        src, dst, t = view[start:start + chunk, :, None], res[start:start + chunk], tmp[:min(chunk, n - start)]
        for i, ks in enumerate(offsets):
            at = (Ellipsis,) + ks + (slice(None),)
            if i == 0:
                xp.multiply(src[at], wk[at], out=dst)
            else:
                dst += xp.multiply(src[at], wk[at], out=t)
    return _crop_flat(xp, res.reshape((n, w.shape[0], span)), padded, out)


def conv_forward(xp, x, w, stride, padding, dilation, groups, out=None, after=None):
    """Convolution of x (N, C, *S) with w (O, C/groups, *K) and zero padding (padding before, `after` after each dim,
    default the same): channels-last im2col @ weight^T (one GEMM per batch chunk), a multiply-add per kernel offset
    (depthwise), or a batched NCHW GEMM per group (grouped, or few channels)."""
    n, o = x.shape[0], w.shape[0]
    kernel = w.shape[2:]
    after = padding if after is None else after
    if out is None:
        out = tuple((s + b + a - d * (k - 1) - 1) // t + 1
                    for s, k, t, b, a, d in zip(x.shape[2:], kernel, stride, padding, after, dilation))
    if w.shape[1] == 1 and groups > 1:
        return _depthwise(xp, x, w, stride, padding, after, dilation, out)
    if groups == 1 and _channels_last_pays(w.shape[1], kernel, stride, out):
        view = _cols_last(xp, x, kernel, stride, padding, after, dilation, out)
        wt = _weight_last(w).T
        y = xp.empty((n,) + tuple(out) + (o,), xp.result_type(x, w))
        for part in _chunks(view):
            xp.matmul(_rows(view[part]), wt, out=y[part].reshape(-1, o))
        return xp.ascontiguousarray(xp.moveaxis(y, -1, 1))
    xpad = pad_const(xp, x, padding, after)
    cols = windows(xp, xpad, kernel, stride, dilation, out)
    cols = cols.reshape(n, groups, math.prod(w.shape[1:]), math.prod(out))  # sizes, not -1: the batch may be empty
    return xp.matmul(w.reshape(groups, o // groups, math.prod(w.shape[1:])), cols).reshape((n, o) + tuple(out))


def _flip_transpose(xp, w, groups):
    """w (O, C/groups, *K) as the weight (C, O/groups, *K) of the convolution that is its stride-1 transpose: each
    group's in/out channels swapped, the kernel reversed."""
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    wt = w.reshape((groups, o // groups, cg) + tuple(kernel)).swapaxes(1, 2)
    return wt[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)].reshape((groups * cg, o // groups) + tuple(kernel))


def conv_transposed(xp, g, w, size, stride, padding, dilation, groups):
    """The transposed convolution of g (N, O, *out) with w (O, C/groups, *K) into (N, C, *size). Stride 1: a forward
    convolution of g with the flipped, transposed kernel (a GEMM, no scatter); large strided kernels: sub-pixel
    phases; otherwise col2im of W^T g."""
    n, o = g.shape[:2]
    kernel = w.shape[2:]
    full = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    # the forward convolution copies windows of g (O channels), col2im scatters columns of C: pick the smaller
    if all(s == 1 for s in stride) and all(f >= p for f, p in zip(full, padding)) and w.shape[1] * groups * 2 >= o:
        before = tuple(f - p for f, p in zip(full, padding))
        # the rows past g's last window (output_padding < dilation) see only zeros
        after = tuple(s - m - b + f for s, m, b, f in zip(size, g.shape[2:], before, full))
        return conv_forward(xp, g, _flip_transpose(xp, w, groups), stride, before, dilation, groups, size, after)
    # phases of at least two taps per strided dim pay for their extra passes (col2im's scatter of k4 s2 overlaps 4x)
    strided = [(s, k) for s, k in zip(stride, kernel) if s > 1]
    if strided and all(d == 1 for d in dilation) and all(k >= 2 * s for s, k in strided):
        return _subpixel(xp, g, w, size, stride, padding, groups)
    wt = w.reshape(groups, o // groups, math.prod(w.shape[1:])).swapaxes(1, 2)
    if all(s == 1 for s in stride):
        return _col2im_flat(xp, g, wt, kernel, size, padding, dilation, groups)
    cols = xp.matmul(wt, g.reshape(n, groups, o // groups, math.prod(g.shape[2:])))
    cols = cols.reshape((n, w.shape[1] * groups) + tuple(kernel) + tuple(g.shape[2:]))
    return col2im_sum(xp, cols, size, stride, padding, dilation)


def _col2im_flat(xp, g, wt, kernel, size, padding, dilation, groups):
    """Stride-1 transposed convolution as W^T g and a scatter whose every kernel offset adds one contiguous run: g is
    zero-padded to the (padded) output's row widths and flattened per plane, so its column q lands at q + offset(k)
    of the flattened output (the adjoint of _flat_planes); the zero columns add zeros. Short strided rows made the
    plain col2im scatter ~4x slower."""
    n, o = g.shape[:2]
    nd = len(kernel)
    full = tuple(m + 2 * p for m, p in zip(size, padding))
    gp = pad_const(xp, g, (0,) * nd, (0,) + tuple(f - m for f, m in zip(full[1:], g.shape[3:])))
    span = math.prod(gp.shape[2:])
    pst = tuple(math.prod(full[i + 1:]) for i in range(nd))
    cols = xp.matmul(wt, gp.reshape(n, groups, o // groups, span))
    c = cols.shape[2] * groups // math.prod(kernel)
    cols = cols.reshape((n, c, math.prod(kernel), span))
    extra = sum((k - 1) * d * t for k, d, t in zip(kernel[1:], dilation[1:], pst[1:]))
    res = xp.zeros((n, c, math.prod(full) + extra), cols.dtype)
    for j, ks in enumerate(itertools.product(*map(range, kernel))):
        off = sum(k * d * t for k, d, t in zip(ks, dilation, pst))
        res[:, :, off:off + span] += cols[:, :, j]
    res = res[:, :, :math.prod(full)].reshape((n, c) + full)
    return xp.ascontiguousarray(res[(Ellipsis,) + tuple(slice(p, p + m) for p, m in zip(padding, size))])


def _subpixel(xp, g, w, size, stride, padding, groups):
    """A strided transposed convolution as stride**nd stride-1 ones: output row r + s*i only meets kernel taps
    r, r + s, ..., so each phase r is the stride-1 transposed convolution with those taps, written to rows r::s of the
    unpadded output (every row has one phase: assignments, no scatter-add), then cropped."""
    n, nd = g.shape[0], len(stride)
    kernel = w.shape[2:]
    full = tuple(max((m - 1) * s + k, p + z) for m, s, k, p, z in zip(g.shape[2:], stride, kernel, padding, size))
    res = xp.zeros((n, w.shape[1] * groups) + full, xp.result_type(g, w))
    for phase in itertools.product(*(range(min(s, k)) for s, k in zip(stride, kernel))):
        wr = w[(Ellipsis,) + tuple(slice(r, None, s) for r, s in zip(phase, stride))]
        sub = tuple(m + k - 1 for m, k in zip(g.shape[2:], wr.shape[2:]))
        z = conv_transposed(xp, g, wr, sub, (1,) * nd, (0,) * nd, (1,) * nd, groups)
        res[(Ellipsis,) + tuple(slice(r, r + s * (m - 1) + 1, s) for r, s, m in zip(phase, stride, sub))] = z
    return xp.ascontiguousarray(res[(Ellipsis,) + tuple(slice(p, p + z) for p, z in zip(padding, size))])


def conv_weight(xp, x, g, kernel, stride, padding, dilation, groups):
    """d(conv)/d(weight): grad^T @ channels-last im2col as one GEMM over batch and positions, or per group and
    sample grad (groups, O/groups, P) @ cols^T summed over the batch."""
    n, o = g.shape[:2]
    out = g.shape[2:]
    cg = x.shape[1] // groups
    if cg == 1 and groups > 1 and all(s == 1 for s in stride):
        view, padded, span = _flat_planes(xp, x, padding, padding, dilation, kernel, out)
        gf = pad_const(xp, g, (0,) * len(out), (0,) + tuple(p - m for p, m in zip(padded[1:], out[1:])))
        gf = gf.reshape((n, groups, o // groups, span))
        letters = "ijkl"[:len(kernel)]
        gw = xp.einsum(f"ncmq,nc{letters}q->cm{letters}", gf, view)
        return gw.reshape((o, 1) + tuple(kernel))
    if groups == 1 and _channels_last_pays(cg, kernel, stride, out):
        view = _cols_last(xp, x, kernel, stride, padding, padding, dilation, out)
        gl = xp.moveaxis(g, 1, -1)
        gw = 0
        for part in _chunks(view):
            cols = _rows(view[part])
            gw = gw + gl[part].reshape(cols.shape[0], o).T @ cols
        return xp.ascontiguousarray(gw.reshape((o, -1, cg)).swapaxes(1, 2)).reshape((o, cg) + tuple(kernel))
    cols, out = im2col_view(xp, x, kernel, stride, padding, dilation, out)
    cols = cols.reshape(n, groups, cg * math.prod(kernel), math.prod(out))
    gw = xp.matmul(g.reshape(n, groups, o // groups, math.prod(out)), cols.swapaxes(-1, -2)).sum(0)
    return gw.reshape((o, cg) + tuple(kernel))


@op(dtype=KEEP, method=False)
def convolution(input, weight, bias, stride: tuple, padding: tuple, dilation: tuple, transposed: bool,
                output_padding: tuple, groups: int, *, xp):
    """N-d convolution or transposed convolution, zero padding, groups (torch.convolution)."""
    nd = weight.ndim - 2
    stride, padding, dilation = (expand_param(v, nd, k) for v, k in
                                 ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    output_padding = expand_param(output_padding, nd, "output_padding")
    out = _check_conv(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
    x, w = _compute(input), _compute(weight)
    if transposed:
        if any(s <= 0 for s in out):
            raise RuntimeError(f"Given input size per channel: ({_fmt(input.shape[2:])}). Calculated output size per "
                               f"channel: ({_fmt(out)}). Output size is too small")
        y = conv_transposed(xp, x, w, out, stride, padding, dilation, groups)
    else:
        y = conv_forward(xp, x, w, stride, padding, dilation, groups, out)
    if bias is not None:
        y += _compute(bias).reshape((-1,) + (1,) * nd)  # y is always a fresh array
    return y.astype(input.dtype, copy=False)


def _fit(t, shape):
    """t narrowed to shape where it is longer (a transposed conv with output_padding >= stride covers fewer rows)."""
    for d, (a, b) in enumerate(zip(t.shape, shape)):
        if a > b:
            t = t.narrow(d, 0, b)
    return t


def _output_padding(size, out, kernel, stride, padding, dilation) -> tuple:
    """The output_padding with which a transposed conv of out-sized input gives size."""
    return tuple(n - ((o - 1) * s - 2 * p + d * (k - 1) + 1)
                 for n, o, k, s, p, d in zip(size, out, kernel, stride, padding, dilation))


@convolution.derivative
def _(grad, input, weight, needs, stride, padding, dilation, transposed, groups):
    nd = weight.ndim - 2
    stride, padding, dilation = (expand_param(v, nd, k) for v, k in
                                 ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    kernel = tuple(weight.shape[2:])
    gi = gw = gb = None
    if needs[0]:
        if transposed:
            gi = _fit(convolution(grad, weight, None, stride, padding, dilation, False, (0,) * nd, groups), input.shape)
        else:
            op_ = _output_padding(input.shape[2:], grad.shape[2:], kernel, stride, padding, dilation)
            gi = convolution(grad, weight, None, stride, padding, dilation, True, op_, groups)
    if needs[1]:
        a, b = (grad, input) if transposed else (input, grad)
        gw = convolution_weight(a, b, kernel, stride, padding, dilation, groups)
    if needs[2]:
        gb = grad.sum((0,) + tuple(range(2, grad.ndim)))
    return gi, gw, gb


@op(dtype=KEEP, method=False, export=False)
def convolution_weight(input, grad, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple, groups: int, *, xp):
    """The weight gradient of a convolution of input whose output gradient is grad (cuDNN's wgrad)."""
    gw = conv_weight(xp, _compute(input), _compute(grad), kernel, stride, padding, dilation, groups)
    return gw.astype(input.dtype, copy=False)


@convolution_weight.derivative
def _(gg, input, grad, needs, stride, padding, dilation, groups):
    nd = gg.ndim - 2
    gi = gg_ = None
    if needs[0]:
        op_ = _output_padding(input.shape[2:], grad.shape[2:], gg.shape[2:], stride, padding, dilation)
        gi = convolution(grad, gg, None, stride, padding, dilation, True, op_, groups)
    if needs[1]:
        gg_ = _fit(convolution(input, gg, None, stride, padding, dilation, False, (0,) * nd, groups), grad.shape)
    return gi, gg_


# ---------------------------------------------------------------------------------------------------------------
# im2col / col2im (F.unfold, F.fold)


@op(dtype=KEEP, method=False, export=False)
def im2col(input, kernel_size: tuple, dilation: tuple, padding: tuple, stride: tuple, *, xp):
    """Sliding blocks of input (..., C, *S) as columns (..., C * prod(kernel), L) (F.unfold's kernel)."""
    floats_only(input, "im2col")
    nd = len(kernel_size)
    cols, out = im2col_view(xp, input, kernel_size, stride, padding, dilation)
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input with spatial size {tuple(input.shape[-nd:])}, kernel_size={kernel_size}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding blocks "
                           f"as {out}, but its components must be at least one.")
    lead = input.shape[:-nd - 1]
    return cols.reshape(lead + (input.shape[-nd - 1] * math.prod(kernel_size), math.prod(out)))


@im2col.derivative
def _(grad, input_shape, kernel_size, dilation, padding, stride):
    return (col2im(grad, tuple(input_shape[-len(kernel_size):]), kernel_size, dilation, padding, stride),)


@op(dtype=KEEP, method=False, export=False)
def col2im(input, output_size: tuple, kernel_size: tuple, dilation: tuple, padding: tuple, stride: tuple, *, xp):
    """Columns (..., C * prod(kernel), L) summed back into (..., C, *output_size) (F.fold's kernel)."""
    floats_only(input, "col2im")
    k = math.prod(kernel_size)
    if input.shape[-2] % k:
        raise RuntimeError(f"Expected size of input's dimension {input.ndim - 2} to be divisible by the product of "
                           f"kernel_size, but got input.size({input.ndim - 2})={input.shape[-2]} and "
                           f"kernel_size={tuple(kernel_size)}")
    blocks = tuple((n + 2 * p - d * (kk - 1) - 1) // s + 1
                   for n, kk, s, p, d in zip(output_size, kernel_size, stride, padding, dilation))
    if math.prod(blocks) != input.shape[-1] or any(b <= 0 for b in blocks):
        raise RuntimeError(f"Given output_size={tuple(output_size)}, kernel_size={tuple(kernel_size)}, dilation="
                           f"{tuple(dilation)}, padding={tuple(padding)}, stride={tuple(stride)}, expected size of "
                           f"input's dimension {input.ndim - 1} to match the calculated number of sliding blocks "
                           f"{' * '.join(map(str, blocks))} = {math.prod(blocks)}, but got "
                           f"input.size({input.ndim - 1})={input.shape[-1]}.")
    cols = input.reshape(input.shape[:-2] + (input.shape[-2] // k,) + tuple(kernel_size) + blocks)
    return col2im_sum(xp, cols, output_size, stride, padding, dilation)


@col2im.derivative
def _(grad, kernel_size, dilation, padding, stride):
    return (im2col(grad, kernel_size, dilation, padding, stride),)


# ---------------------------------------------------------------------------------------------------------------
# constant padding


@op(dtype=KEEP, method=False)
def constant_pad_nd(input, pad: tuple, value: float = 0, *, xp):
    """input padded with value by pad = (last_before, last_after, second_last_before, ...); negative pads crop
    (torch.constant_pad_nd)."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions of the input. Pad "
                           f"length is {len(pad)} while the input has {input.ndim} dimensions.")
    before, after = pad[0::2][::-1], pad[1::2][::-1]
    src, dst, shape = [], [], list(input.shape)
    for i, (b, a) in enumerate(zip(before, after)):
        d = input.ndim - nd + i
        n = input.shape[d]
        if n + b + a < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {b} and {a} resulted in a negative output "
                               f"size, which is invalid. Check dimension {d} of your input.")
        shape[d] = n + b + a
        src.append(slice(max(-b, 0), n - max(-a, 0)))
        dst.append(slice(max(b, 0), max(b, 0) + max(n - max(-a, 0) - max(-b, 0), 0)))
    res = xp.full(shape, value, dtype=input.dtype)
    res[(Ellipsis,) + tuple(dst)] = input[(Ellipsis,) + tuple(src)]
    return res


@constant_pad_nd.derivative
def _(grad, pad):
    return (constant_pad_nd(grad, tuple(-int(p) for p in pad)),)


# ---------------------------------------------------------------------------------------------------------------
# torch.conv1d ... torch.conv_transpose3d


def _batched(input, nd: int, name: str):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    return input.ndim == nd + 2


def _conv(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str):
    batched = _batched(input, nd, name)
    x = input if batched else input.unsqueeze(0)
    stride, dilation = expand_param(stride, nd, "stride"), expand_param(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
            padding = tuple(t // 2 for t in total)
            if any(t % 2 for t in total):  # odd total padding: the extra element goes on the right, as in torch
                x = constant_pad_nd(x, tuple(v for t in reversed(total) for v in (0, t % 2)))
        else:
            raise RuntimeError(f"Invalid padding string: {padding!r}")
    y = convolution(x, weight, bias, stride, expand_param(padding, nd, "padding"), dilation, False, (0,) * nd, groups)
    return y if batched else y.squeeze(0)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name: str):
    batched = _batched(input, nd, name)
    x = input if batched else input.unsqueeze(0)
    y = convolution(x, weight, bias, expand_param(stride, nd, "stride"), expand_param(padding, nd, "padding"),
                    expand_param(dilation, nd, "dilation"), True, expand_param(output_padding, nd, "output_padding"),
                    groups)
    return y if batched else y.squeeze(0)


@export(method=False)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """1-d convolution over (N, C, L) or (C, L) (torch.conv1d); padding may be 'same' or 'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@export(method=False)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-d convolution over (N, C, H, W) or (C, H, W) (torch.conv2d); padding may be 'same' or 'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@export(method=False)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """3-d convolution over (N, C, D, H, W) or (C, D, H, W) (torch.conv3d); padding may be 'same' or 'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


@export(method=False)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """1-d transposed convolution, the gradient of conv1d (torch.conv_transpose1d)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


@export(method=False)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """2-d transposed convolution, the gradient of conv2d (torch.conv_transpose2d)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


@export(method=False)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """3-d transposed convolution, the gradient of conv3d (torch.conv_transpose3d)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")


# ---------------------------------------------------------------------------------------------------------------
# channel and pixel rearrangements (torch.pixel_shuffle, torch.pixel_unshuffle, torch.channel_shuffle)


def _at_least_3d(input, name: str) -> None:
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.ndim} "
                           "dimension(s)")


@export(method=False)
def pixel_shuffle(input, upscale_factor: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) (torch.pixel_shuffle)."""
    _at_least_3d(input, "pixel_shuffle")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


@export(method=False)
def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) (torch.pixel_unshuffle)."""
    _at_least_3d(input, "pixel_unshuffle")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    for name, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({d})={size} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


@export(method=False)
def channel_shuffle(input, groups: int):
    """(N, g*k, *) -> channels interleaved across the g groups (torch.channel_shuffle)."""
    _at_least_3d(input, "channel_shuffle")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    n, c = input.shape[:2]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, g, c // g) + rest).transpose(1, 2).reshape((n, c) + rest)
