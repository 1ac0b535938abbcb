"""nn.functional: normalisation. layer_norm and batch_norm run the fused ops of ember/ops/nn_norm.py; group,
instance, RMS and local-response norm and normalize are composed from ember ops."""
from __future__ import annotations

import math

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import creation
from ...ops._registry import export
from ...ops.join import cat
from ...ops.nn_norm import native_batch_norm, native_layer_norm

__all__ = ["layer_norm", "batch_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm", "normalize"]


def _shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    return tuple(int(s) for s in normalized_shape)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing normalized_shape dims, then scale and shift (torch.nn.functional.layer_norm)."""
    return native_layer_norm(input, weight, bias, _shape(normalized_shape), eps)[0]


@export(method=False, name="layer_norm")
def _layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
                eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
    """Layer normalisation (torch.layer_norm); cudnn_enable is accepted and ignored."""
    return native_layer_norm(input, weight, bias, _shape(normalized_shape), eps)[0]


def _verify_batch_size(size) -> None:
    if math.prod(size[2:], start=size[0]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) by batch statistics in training, running statistics otherwise
    (torch.nn.functional.batch_norm). In training the running statistics are updated in place."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


@export(method=False, name="batch_norm")
def _batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                running_var: Tensor | None, training: bool, momentum: float, eps: float,
                cudnn_enabled: bool = True) -> Tensor:
    """Batch normalisation (torch.batch_norm); cudnn_enabled is accepted and ignored."""
    out = native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)[0]
    if training:
        for t in (running_mean, running_var):  # written in place by the op: readers must see a new version
            if t is not None:
                t._vc[0] += 1
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of channels of each sample, then scale and shift per channel
    (torch.nn.functional.group_norm)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] + list(input.size()[2:]))
    return _group_norm(input, num_groups, weight, bias, eps)


@export(method=False, name="group_norm")
def _group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
                eps: float = 1e-5, cudnn_enabled: bool = True) -> Tensor:
    """Group normalisation (torch.group_norm): a layer norm over each group, then a per-channel affine map."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(p.shape)} and input of shape {list(input.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"GroupNormKernelImpl\" not implemented for '{_name(input)}'")
    grouped = input.reshape(n, num_groups, -1)
    out = native_layer_norm(grouped, None, None, grouped.shape[-1:], eps)[0].reshape(input.shape)
    affine = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(affine)
    if bias is not None:
        out = out + bias.reshape(affine)
    return out.to(input.dtype)


def _name(t: Tensor) -> str:
    from ...ops.linalg import dtype_name
    return dtype_name(t._data)


def _verify_spatial_size(size) -> None:
    if math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (torch.nn.functional.instance_norm)."""
    if use_input_stats:
        _verify_spatial_size(input.size())
    return _instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


@export(method=False, name="instance_norm")
def _instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                   running_var: Tensor | None, use_input_stats: bool, momentum: float, eps: float,
                   cudnn_enabled: bool = True) -> Tensor:
    """Instance normalisation (torch.instance_norm): a batch norm of the input seen as one sample of N * C channels;
    the running statistics are updated with the mean over the batch of each channel's update, as in torch."""
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    n, c = input.shape[0], input.shape[1]
    rep = [None if t is None else t.repeat(n) for t in (weight, bias, running_mean, running_var)]
    out = native_batch_norm(input.reshape((1, n * c) + tuple(input.shape[2:])), *rep, use_input_stats, momentum,
                            eps)[0]
    if use_input_stats:
        with no_grad():
            for t, r in ((running_mean, rep[2]), (running_var, rep[3])):
                if t is not None:
                    t.copy_(r.reshape(n, c).mean(0))
    return out.reshape(input.shape)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """Divide by the root mean square over the trailing normalized_shape dims, then scale
    (torch.nn.functional.rms_norm). eps=None uses the machine epsilon of the compute dtype."""
    return _rms_norm(input, normalized_shape, weight, eps)


@export(method=False, name="rms_norm")
def _rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """RMS normalisation (torch.rms_norm); float16/bfloat16 compute in float32."""
    shape = _shape(normalized_shape)
    k = len(shape)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"rms_norm\" not implemented for '{_name(input)}'")
    x = input.float() if input.dtype in (D.float16, D.bfloat16) else input
    if eps is None:  # the compute dtype's epsilon: float32's for float16 and bfloat16, as torch
        eps = D.finfo(x.dtype).eps
    dims = tuple(range(input.dim() - k, input.dim()))
    out = x * (x * x).mean(dims, keepdim=True).add(eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out.to(input.dtype)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """input / (k + alpha * mean of squares over `size` neighbouring channels) ** beta
    (torch.nn.functional.local_response_norm); the window is zero-padded at the channel edges."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sq = input * input
    c = input.shape[1]
    pad = list(input.shape)
    before, after = size // 2, (size - 1) // 2
    parts = [sq]
    if before:
        pad[1] = before
        parts.insert(0, creation.zeros(pad, dtype=sq.dtype, device=sq.device))
    if after:
        pad[1] = after
        parts.append(creation.zeros(pad, dtype=sq.dtype, device=sq.device))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    total = padded.narrow(1, 0, c)
    for i in range(1, size):  # a loop over the window, not over positions
        total = total + padded.narrow(1, i, c)
    div = (total * (alpha / size) + k).pow(beta)
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """input divided by its p-norm along dim, the norm clamped below at eps (torch.nn.functional.normalize)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from ...ops.pointwise import true_divide
    return true_divide(input, denom, out=out)
