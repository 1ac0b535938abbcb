"""nn.functional: convolutions (the fused ops live in ember/ops/nn_conv.py) and fold/unfold."""
from __future__ import annotations

from ...ops.nn_conv import (col2im, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
                            expand_param, im2col)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]


def _pairs(kernel_size, dilation, padding, stride) -> tuple:
    return tuple(expand_param(v, 2, name) for v, name in
                 ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding 2-d blocks of (N, C, H, W) or (C, H, W) as columns (N, C*kh*kw, L) (torch.nn.functional.unfold)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    return im2col(input, *_pairs(kernel_size, dilation, padding, stride))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C*kh*kw, L) or (C*kh*kw, L) summed back into (N, C, *output_size) (torch.nn.functional.fold)."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.ndim}D)")
    return col2im(input, expand_param(output_size, 2, "output_size"), *_pairs(kernel_size, dilation, padding, stride))
