"""nn.functional: padding, resampling and spatial rearrangement (pad, interpolate, grid_sample, affine_grid,
pixel_shuffle, channel_shuffle), composed from ember ops so their gradients come free.

NOTE [ Interpolation ]
Linear, cubic and area resampling are separable: along each spatial dim the output is a fixed (out, in) matrix of
weights times the input, built with torch's index arithmetic (scale, source index, clamped taps) and applied as one
GEMM per dim, whose backward is a GEMM too. Nearest modes pick rows with index_select, which copies values exactly.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor
from ...ops.nn_conv import channel_shuffle, constant_pad_nd, pixel_shuffle, pixel_unshuffle
from ...ops.nn_pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from ...ops.join import cat
from ...ops.reduce import const
from ... import _dtype as D

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "grid_sample", "affine_grid"]

native_channel_shuffle = channel_shuffle


def _index(arr, like) -> Tensor:
    """An int64 index tensor on like's device."""
    return Tensor._make(like._device.xp.asarray(arr, dtype=np.int64), like._device)


# ---------------------------------------------------------------------------------------------------------------
# pad


def _pad_dim(x, d: int, before: int, after: int, mode: str):
    """x padded along dim d by mode. A negative pad crops; as in torch, reflect and replicate still mirror or repeat
    around the original edges, while circular wraps the cropped tensor."""
    n = x.shape[d]
    core = x.narrow(d, max(-before, 0), n - max(-before, 0) - max(-after, 0))
    before, after = max(before, 0), max(after, 0)
    if mode == "reflect":
        left, right = x.narrow(d, 1, before).flip(d), x.narrow(d, n - 1 - after, after).flip(d)
    elif mode == "replicate":
        size = list(x.shape)
        left = x.narrow(d, 0, 1).expand(tuple(size[:d] + [before] + size[d + 1:]))
        right = x.narrow(d, n - 1, 1).expand(tuple(size[:d] + [after] + size[d + 1:]))
    else:  # circular
        m = core.shape[d]
        left, right = core.narrow(d, m - before, before), core.narrow(d, 0, after)
    parts = ([left] if before else []) + [core] + ([right] if after else [])
    return cat(parts, d) if len(parts) > 1 else core


def pad(input, pad, mode: str = "constant", value: float | None = None):
    """Pad the last len(pad)//2 dims: pad = (last_left, last_right, 2nd_last_left, ...) (torch.nn.functional.pad).

    mode: 'constant' (any number of dims, negative pads crop), 'reflect', 'replicate' or 'circular' (the last 1-3
    dims of a batched or unbatched input).
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    nd = len(pad) // 2
    if not (1 <= nd <= 3 and input.ndim in (nd + 1, nd + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\nSupported combinations for "
            "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            "padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "replicate" and input.dtype == D.bool:
        raise NotImplementedError(f"\"replication_pad{nd}d\" not implemented for 'Bool'")
    x = input
    for i in range(nd):
        d = input.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        n = input.shape[d]
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({before}, {after}) at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (before > n or after > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if before or after:
            x = _pad_dim(x, d, before, after, mode)
    return x


# ---------------------------------------------------------------------------------------------------------------
# interpolate


_LINEAR = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def _scale(n_in: int, n_out: int, align_corners: bool, scale, ft):
    """torch's area_pixel_compute_scale in the op's compute type ft (float32 for float32 and lower)."""
    if align_corners:
        return ft((n_in - 1) / (n_out - 1)) if n_out > 1 else ft(0)
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in) / ft(n_out)


def _nearest_index(n_in: int, n_out: int, scale, exact: bool, ft) -> np.ndarray:
    """Source rows of nearest / nearest-exact resampling, as torch computes them (float math, then floor)."""
    dst = np.arange(n_out)
    if not exact and n_out == n_in:
        return dst
    if not exact and n_out == 2 * n_in:
        return dst >> 1
    s = ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in) / ft(n_out)
    src = np.floor((dst.astype(ft) + ft(0.5)) * s if exact else dst.astype(ft) * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _cubic(t, a=-0.75):
    """torch's four bicubic convolution weights for fractional offset t (A = -0.75)."""
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _weights(n_in: int, n_out: int, scale, mode: str, align_corners: bool, ft) -> np.ndarray:
    """The (n_out, n_in) resampling matrix of one dim for linear or cubic modes."""
    s = _scale(n_in, n_out, align_corners, scale, ft)
    dst = np.arange(n_out)
    src = (s * dst if align_corners else s * (dst + 0.5) - 0.5).astype(ft)
    w = np.zeros((n_out, n_in), np.float64)
    if mode == "bicubic":
        base = np.floor(src)
        t = src - base
        for tap, coef in enumerate(_cubic(t)):
            np.add.at(w, (dst, np.clip(base.astype(np.int64) - 1 + tap, 0, n_in - 1)), coef)
        return w
    src = np.maximum(src, 0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0, 1).astype(ft)
    i1 = i0 + (i0 < n_in - 1)
    np.add.at(w, (dst, i0), 1 - lam)
    np.add.at(w, (dst, i1), lam)
    return w


def _resample_dim(x, d: int, n_out: int, scale, mode: str, align_corners: bool):
    n_in = x.shape[d]
    ft = np.float64 if x.dtype.itemsize == 8 else np.float32
    if mode in ("nearest", "nearest-exact"):
        idx = _nearest_index(n_in, n_out, scale, mode == "nearest-exact", ft)
        r = n_out // n_in if n_in else 0
        if r and n_out == r * n_in and np.array_equal(idx, np.arange(n_out) // r):
            # each row repeated r times: an expand, whose backward is a sum (index_select's is a scatter-add)
            shape = tuple(x.shape)
            rep = x.unsqueeze(d + 1).expand(shape[:d + 1] + (r,) + shape[d + 1:])
            return rep.reshape(shape[:d] + (n_out,) + shape[d + 1:])
        return x.index_select(d, _index(idx, x))
    w = const(_weights(n_in, n_out, scale, mode, align_corners, ft), x)
    return x @ w.T if d == x.ndim - 1 else (w @ x.transpose(d, -2)).transpose(d, -2)


def _output_size(input, size, scale_factor, nd):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = (size,) * nd if isinstance(size, (int, np.integer)) else tuple(size)
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {list(out)}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             "(o1, o2, ...,oK) format.")
        return tuple(int(o) for o in out), None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = (scale_factor,) * nd if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(scales) != nd:
        raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {list(scales)}. "
                         "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                         "(s1, s2, ...,sK) format.")
    return tuple(math.floor(float(n) * float(s)) for n, s in zip(input.shape[2:], scales)), \
        tuple(float(s) for s in scales)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False):
    """Resample (N, C, *spatial) to size or by scale_factor (torch.nn.functional.interpolate).

    Modes: nearest, nearest-exact, linear (3-D input), bilinear/bicubic (4-D), trilinear (5-D), area. antialias=True
    is not supported.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.ndim - 2
    if mode not in _MODES or not 1 <= nd <= 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input")
    if antialias:
        raise NotImplementedError("ember: interpolate(antialias=True) is not supported")
    size, scales = _output_size(input, size, scale_factor, nd)
    if recompute_scale_factor:
        scales = None
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](input, size)
    if not input.dtype.is_floating_point:
        kind = "nearest" if mode.startswith("nearest") else "linear"
        raise NotImplementedError(f"\"compute_indices_weights_{kind}\" not implemented for "
                                  f"'{str(input.dtype).split('.')[-1].capitalize()}'")
    x = input
    for i in range(nd):
        x = _resample_dim(x, 2 + i, size[i], None if scales is None else scales[i], mode, align_corners)
    return x


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None):
    """Deprecated alias of interpolate (torch.nn.functional.upsample)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='nearest') (torch.nn.functional.upsample_nearest)."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='bilinear', align_corners=True) (torch.nn.functional.upsample_bilinear)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------------------------------
# grid_sample and affine_grid


def _default_align(align_corners):
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=3)
        return False
    return align_corners


def _reflect(c, low2: int, high2: int):
    """torch's reflect_coordinates: c mirrored into [low2/2, high2/2], differentiable in c."""
    if low2 == high2:
        return c * 0
    lo, span = low2 / 2, (high2 - low2) / 2
    c = (c - lo).abs()
    flips = (c / span).floor().detach()
    extra = c - flips * span
    odd = Tensor._make(flips._data % 2 == 1, c._device)
    return (span - extra + lo).where(odd, extra + lo)


def _source(c, n: int, padding_mode: str, align_corners: bool):
    """Grid coordinate in [-1, 1] -> source pixel coordinate, with border/reflection handling."""
    c = (c + 1) / 2 * (n - 1) if align_corners else ((c + 1) * n - 1) / 2
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
    if padding_mode in ("border", "reflection"):
        c = c.clamp(0, n - 1)
    return c


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros", align_corners: bool | None = None):
    """Sample input (N, C, *in) at grid (N, *out, nd) coordinates in [-1, 1] (torch.nn.functional.grid_sample).

    Modes 'bilinear' (trilinear for 5-D) and 'nearest'; 'bicubic' is not supported.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align_corners = _default_align(align_corners)
    nd = input.ndim - 2
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with "
                           f"sizes {list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if mode == "bicubic":
        raise NotImplementedError("ember: grid_sample(mode='bicubic') is not supported")
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])
    out = tuple(grid.shape[1:-1])
    flat = input.reshape((n, c, -1))
    # grid's last dim lists x (the last spatial dim) first
    coords = [_source(grid.select(-1, nd - 1 - i), sizes[i], padding_mode, align_corners) for i in range(nd)]

    def tap(index):
        """input at integer coordinates (one per dim), zero outside."""
        inside = np.ones(index[0].shape, bool)
        lin = 0
        for i, ix in enumerate(index):
            inside &= (ix >= 0) & (ix < sizes[i])
            lin = lin * sizes[i] + np.clip(ix, 0, sizes[i] - 1)
        picked = flat.gather(2, _index(lin.reshape(n, 1, -1), flat).expand((n, c, lin[0].size)))
        return picked.reshape((n, c) + out), const(inside.reshape(n, 1, *out), flat)

    if mode == "nearest":
        rounded = [k.round() for k in coords]
        value, inside = tap([r._data.astype(np.int64) for r in rounded])
        # zero, with round's zero derivative: grid gets a zero gradient, as in torch
        tie = sum(r - r.detach() for r in rounded).unsqueeze(1)
        return value * inside + tie
    lows = [k.detach().floor() for k in coords]
    fracs = [(k - f).unsqueeze(1) for k, f in zip(coords, lows)]
    base = [f._data.astype(np.int64) for f in lows]
    res = None
    for corner in range(2 ** nd):
        bits = [(corner >> (nd - 1 - i)) & 1 for i in range(nd)]
        value, inside = tap([b + bit for b, bit in zip(base, bits)])
        weight = None
        for f, bit in zip(fracs, bits):
            w = f if bit else 1 - f
            weight = w if weight is None else weight * w
        term = value * inside * weight
        res = term if res is None else res + term
    return res


def _base_axis(steps: int, align_corners: bool) -> np.ndarray:
    if steps <= 1:
        return np.zeros(max(steps, 0))
    r = np.linspace(-1, 1, steps)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta, size, align_corners: bool | None = None):
    """Sampling grid (N, *size[2:], nd) of the affine maps theta (N, nd, nd+1) (torch.nn.functional.affine_grid)."""
    align_corners = _default_align(align_corners)
    if not isinstance(theta, Tensor) or not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {getattr(theta, 'dtype', type(theta))}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        kind = "2D affine matrices of shape Nx2x3" if nd == 2 else "3D affine matrices of shape Nx3x4"
        raise ValueError(f"Expected a batch of {kind} for size {size}. Got {tuple(theta.shape)}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    spatial = size[2:]
    axes = [_base_axis(s, align_corners) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([m for m in reversed(mesh)] + [np.ones(spatial)], axis=-1).reshape(1, -1, nd + 1)
    grid = const(base, theta) @ theta.transpose(1, 2)
    return grid.reshape((size[0],) + spatial + (nd,))
