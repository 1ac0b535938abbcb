"""nn.functional: dropout. Plain dropout runs the fused native_dropout op (one mask, one multiply); feature and
alpha dropout are composed from ember ops. Masks come from ember's default generator (ember.manual_seed): the
numbers are reproducible under a seed but are not torch's."""
from __future__ import annotations

import math
import warnings

from ..._tensor import Tensor
from ...ops import creation
from ...ops._registry import export
from ...ops.nn_norm import native_dropout

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766  # SELU's alpha * scale: the value alpha dropout drops to is -_ALPHA


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input: Tensor, p: float, train: bool, feature: bool, alpha: bool, inplace: bool) -> Tensor:
    """torch's _dropout_impl: one noise tensor (per element, or per channel for feature dropout) applied to input."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = creation.zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(zero) if inplace else input * zero
    if not alpha and not feature:
        out = native_dropout(input, p, True)[0]
        return input.copy_(out) if inplace else out
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    noise = creation.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        b = (noise - 1) * (_ALPHA * a) + _ALPHA * a * p
        noise = noise * a
        return input.mul_(noise).add_(b) if inplace else input * noise + b
    noise = noise / (1 - p)
    return input.mul_(noise) if inplace else input * noise


def _registered(name: str, feature: bool, alpha: bool, inplace: bool, doc: str):
    def fn(input: Tensor, p: float, train: bool) -> Tensor:
        return _dropout_impl(input, p, train, feature, alpha, inplace)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return export(fn, method=False)


_dropout = _registered("dropout", False, False, False, "Zero elements with probability p and scale the rest by "
                       "1 / (1 - p) when train (torch.dropout).")
_dropout_ = _registered("dropout_", False, False, True, "In-place dropout (torch.dropout_).")
_feature_dropout = _registered("feature_dropout", True, False, False, "Zero whole channels (dim 1) with probability "
                               "p, scale the rest by 1 / (1 - p) (torch.feature_dropout).")
_feature_dropout_ = _registered("feature_dropout_", True, False, True, "In-place feature_dropout.")
_alpha_dropout = _registered("alpha_dropout", False, True, False, "Dropout that keeps SELU's zero mean and unit "
                             "variance (torch.alpha_dropout).")
_alpha_dropout_ = _registered("alpha_dropout_", False, True, True, "In-place alpha_dropout.")
_feature_alpha_dropout = _registered("feature_alpha_dropout", True, True, False, "Alpha dropout of whole channels "
                                     "(torch.feature_alpha_dropout).")
_feature_alpha_dropout_ = _registered("feature_alpha_dropout_", True, True, True, "In-place feature_alpha_dropout.")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability p and scale the rest by 1 / (1 - p) in training (torch.nn.functional.dropout).
    Outside training (or with p=0) the input itself is returned."""
    _check_p(p)
    return _dropout_(input, p, training) if inplace else _dropout(input, p, training)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped values become -alpha', then an affine map restores mean and variance
    (torch.nn.functional.alpha_dropout)."""
    _check_p(p)
    return _alpha_dropout_(input, p, training) if inplace else _alpha_dropout(input, p, training)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (torch.nn.functional.feature_alpha_dropout)."""
    _check_p(p)
    return _feature_alpha_dropout_(input, p, training) if inplace else _feature_alpha_dropout(input, p, training)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    if not batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _feature_dropout_(input, p, training) if inplace else _feature_dropout(input, p, training)
    if not batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input (torch.nn.functional.dropout1d)."""
    _check_p(p)
    dim = input.dim()
    if dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {dim}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, dim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input (torch.nn.functional.dropout2d); a 3-D input is read as (N, C, L)
    with torch's warning."""
    _check_p(p)
    dim = input.dim()
    if dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {dim}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
                      stacklevel=2)
    if dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input (torch.nn.functional.dropout3d)."""
    _check_p(p)
    dim = input.dim()
    if dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {dim}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
                      stacklevel=2)
    return _channel_dropout(input, p, training, inplace, dim == 5)
