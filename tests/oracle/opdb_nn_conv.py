"""Rows for the fused convolution, pooling and padding ops (ember/ops/nn_conv.py, nn_pool.py).

The lambdas call the functional forms through ``m.nn.functional`` where torch has no top-level name. Gradcheck
samples stay under 64 elements in all (core.check_gradcheck skips larger ones).
"""
from tests.oracle.core import FLOATS, ErrorInput, OpInfo


def F(m):
    return m.nn.functional


_LOW = {"atol": 1e-2, "rtol": 1e-2}  # float16 sums of ~20 products differ from torch by an ulp or two

OPS = [
    OpInfo("convolution", lambda m, x, w, b: m.convolution(x, w, b, (2, 1), (1, 0), (1, 2), False, (0, 0), 1),
           [((1, 2, 4, 5), (2, 2, 2, 2), (2,)), ((2, 3, 6, 7), (4, 3, 3, 2), (4,))], FLOATS + ("int64",), order=2,
           covers=("convolution_weight",), **_LOW),
    # >= 4 channels per group takes the channels-last im2col path; the depthwise conv has its own kernel
    OpInfo("convolution_channels_last", lambda m, x, w, b: m.conv2d(x, w, b, padding=1),
           [((1, 4, 3, 4), (2, 4, 2, 2), (2,)), ((2, 5, 4, 4), (3, 5, 3, 3), (3,))], order=2, covers=("convolution",)),
    OpInfo("convolution_depthwise", lambda m, x, w: m.conv2d(x, w, padding=1, groups=3),
           [((1, 3, 3, 3), (6, 1, 2, 2)), ((2, 3, 4, 4), (6, 1, 3, 3))], order=2, covers=("convolution",)),
    OpInfo("convolution_groups", lambda m, x, w: m.convolution(x, w, None, (1,), (1,), (2,), False, (0,), 2),
           [((1, 4, 5), (4, 2, 3)), ((3, 4, 9), (6, 2, 2))], FLOATS, order=2, covers=("convolution",), **_LOW),
    OpInfo("convolution_transposed",
           lambda m, x, w, b: m.convolution(x, w, b, (2, 3), (1, 0), (1, 1), True, (1, 2), 2),
           [((1, 2, 3, 2), (2, 2, 2, 2), (4,)), ((2, 4, 3, 4), (4, 1, 3, 2), (2,))], FLOATS, order=2,
           covers=("convolution", "convolution_weight"), **_LOW),
    # stride 1 with fewer than half as many input as output channels: the input gradient (and a transposed conv)
    # scatters W^T g over flattened planes (_col2im_flat)
    OpInfo("convolution_col2im_flat", lambda m, x, w: m.conv2d(x, w, padding=(1, 0), dilation=(1, 2)),
           [((2, 2, 6, 5), (5, 2, 3, 2)), ((1, 1, 4, 4), (3, 1, 2, 2))], FLOATS, order=2, covers=("convolution",),
           **_LOW),
    OpInfo("conv_transpose_col2im_flat", lambda m, x, w: m.conv_transpose2d(x, w, padding=1),
           [((1, 5, 3, 4), (5, 2, 3, 2))], FLOATS, order=2, covers=("convolution",), **_LOW),
    OpInfo("conv_transpose_col2im_flat_groups", lambda m, x, w: m.conv_transpose2d(x, w, padding=1, groups=2),
           [((1, 10, 4, 3), (10, 2, 3, 3))], ("float32", "float64"), order=1, covers=("convolution",)),
    OpInfo("conv3d_col2im_flat", lambda m, x, w: m.conv3d(x, w),
           [((1, 1, 3, 4, 4), (3, 1, 2, 2, 2))], ("float32", "float64"), order=1, covers=("convolution",)),
    OpInfo("conv3d", lambda m, x, w: m.conv3d(x, w, stride=(1, 2, 1), padding=1, dilation=(1, 1, 2)),
           [((1, 1, 3, 3, 3), (2, 1, 2, 2, 2)), ((2, 2, 3, 4, 5), (3, 2, 2, 3, 1))], FLOATS, order=1,
           covers=("convolution",), **_LOW),
    OpInfo("conv1d_same", lambda m, x, w: m.conv1d(x, w, padding="same", dilation=3),
           [((1, 2, 9), (2, 2, 4)), ((2, 3), (4, 3, 2))], ("float32", "float64"), order=2,
           covers=("convolution", "constant_pad_nd")),
    OpInfo("conv_transpose1d_dilated",
           lambda m, x, w: m.conv_transpose1d(x, w, stride=1, dilation=3, output_padding=2),
           [((1, 2, 5), (2, 3, 2))], ("float32", "float64"), order=2, covers=("convolution",)),
    OpInfo("im2col", lambda m, x: F(m).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
           [((1, 2, 3, 5),), ((2, 5, 6),)], FLOATS, order=2),
    OpInfo("col2im", lambda m, x: F(m).fold(x, (4, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
           [((1, 6, 6),), ((12, 6),)], FLOATS, order=2, **_LOW),
    OpInfo("constant_pad_nd", lambda m, x: m.constant_pad_nd(x, (1, -2, 2, 0), 1.5),
           [((2, 3, 5),), ((3, 4),)], FLOATS + ("int64", "bool"), order=2),
    OpInfo("max_pool", lambda m, x: F(m).max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
           [((1, 2, 4, 5),), ((3, 7, 6),)], FLOATS + ("int64",), order=2, covers=("max_pool_backward",)),
    OpInfo("max_pool_values", lambda m, x: F(m).max_pool2d(x, 3, 2, 1, ceil_mode=True),  # no grad: values only
           [((1, 2, 4, 5),), ((3, 7, 6),), ((2, 1, 5, 5),)], FLOATS + ("int64",), order=0),
    OpInfo("max_pool_values_dilated", lambda m, x: F(m).max_pool3d(x, 2, 1, 1, dilation=2),
           [((1, 2, 5, 4, 4),)], FLOATS, order=0, covers=("max_pool_values",)),
    OpInfo("max_pool_dilated", lambda m, x: F(m).max_pool1d(x, 2, 1, 1, dilation=2),
           [((2, 3, 7),)], FLOATS, order=2, covers=("max_pool", "max_pool_backward")),
    OpInfo("max_pool3d", lambda m, x: F(m).max_pool3d(x, 2, return_indices=True),
           [((1, 2, 3, 4, 4),)], FLOATS, order=1, covers=("max_pool", "max_pool_backward")),
    OpInfo("adaptive_max_pool", lambda m, x: F(m).adaptive_max_pool2d(x, (3, 2), return_indices=True),
           [((1, 2, 5, 4),), ((2, 7, 5),)], FLOATS, order=2, covers=("max_pool_backward",)),
    OpInfo("max_unpool", lambda m, x: F(m).max_unpool2d(*F(m).max_pool2d(x, 2, return_indices=True), 2,
                                                         output_size=(5, 5)),
           [((1, 2, 5, 5),)], FLOATS, order=2, covers=("max_pool",)),
    OpInfo("avg_pool", lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           [((1, 2, 4, 5),), ((3, 7, 6),)], FLOATS + ("int64",), order=2, covers=("avg_pool_backward",)),
    OpInfo("avg_pool_divisor", lambda m, x: F(m).avg_pool3d(x, (2, 1, 3), 1, (1, 0, 1), divisor_override=4),
           [((1, 1, 3, 3, 4),)], ("float32", "float64"), order=2,  # torch has no float16/bfloat16 avg_pool3d on CPU
           covers=("avg_pool", "avg_pool_backward")),
    OpInfo("avg_pool1d", lambda m, x: m.avg_pool1d(x, 3, 2, 1, True, True),
           [((2, 3, 8),)], FLOATS, order=1, covers=("avg_pool",)),
]

ERRORS = [
    ErrorInput("conv2d_rank", lambda m: m.conv2d(m.ones(2, 3), m.ones(4, 3, 3, 3))),
    ErrorInput("conv2d_channels", lambda m: m.conv2d(m.ones(1, 4, 8, 8), m.ones(6, 3, 3, 3))),
    ErrorInput("conv2d_groups", lambda m: m.conv2d(m.ones(1, 4, 8, 8), m.ones(5, 2, 3, 3), groups=2)),
    ErrorInput("conv2d_bias", lambda m: m.conv2d(m.ones(1, 4, 8, 8), m.ones(6, 4, 3, 3), m.ones(5))),
    ErrorInput("conv2d_kernel_too_big", lambda m: m.conv2d(m.ones(1, 3, 2, 2), m.ones(6, 3, 3, 3))),
    ErrorInput("conv2d_dtype", lambda m: m.conv2d(m.ones(1, 3, 5, 5, dtype=m.float64), m.ones(6, 3, 3, 3))),
    ErrorInput("conv2d_bool", lambda m: m.conv2d(m.ones(1, 3, 5, 5, dtype=m.bool), m.ones(6, 3, 3, 3, dtype=m.bool))),
    ErrorInput("conv2d_stride", lambda m: m.conv2d(m.ones(1, 3, 5, 5), m.ones(6, 3, 3, 3), stride=0)),
    ErrorInput("conv2d_padding", lambda m: m.conv2d(m.ones(1, 3, 5, 5), m.ones(6, 3, 3, 3), padding=-1)),
    ErrorInput("conv2d_same_strided", lambda m: m.conv2d(m.ones(1, 3, 5, 5), m.ones(6, 3, 3, 3), stride=2,
                                                         padding="same")),
    ErrorInput("conv2d_bad_string", lambda m: m.conv2d(m.ones(1, 3, 5, 5), m.ones(6, 3, 3, 3), padding="foo")),
    ErrorInput("conv_transpose2d_channels", lambda m: m.conv_transpose2d(m.ones(1, 4, 8, 8), m.ones(3, 6, 3, 3))),
    ErrorInput("conv_transpose2d_output_padding",
               lambda m: m.conv_transpose2d(m.ones(1, 3, 4, 4), m.ones(3, 3, 3, 3), stride=2, output_padding=2)),
    ErrorInput("conv_transpose2d_int32",
               lambda m: m.conv_transpose2d(m.ones(1, 3, 4, 4, dtype=m.int32), m.ones(3, 3, 3, 3, dtype=m.int32))),
    ErrorInput("constant_pad_odd", lambda m: m.constant_pad_nd(m.ones(2, 3), (1, 1, 1))),
    ErrorInput("constant_pad_negative", lambda m: m.constant_pad_nd(m.ones(2, 3), (-2, -2))),
    ErrorInput("unfold_5d", lambda m: m.nn.functional.unfold(m.ones(1, 1, 2, 2, 2), 2)),
    ErrorInput("unfold_int", lambda m: m.nn.functional.unfold(m.ones(1, 1, 3, 3, dtype=m.int64), 2)),
    ErrorInput("fold_blocks", lambda m: m.nn.functional.fold(m.ones(1, 4, 5), (3, 3), 2)),
    ErrorInput("fold_channels", lambda m: m.nn.functional.fold(m.ones(1, 5, 4), (3, 3), 2)),
    ErrorInput("max_pool_rank", lambda m: m.nn.functional.max_pool2d(m.ones(2, 3), 2)),
    ErrorInput("max_pool_pad", lambda m: m.nn.functional.max_pool2d(m.ones(1, 2, 4, 4), 2, padding=2)),
    ErrorInput("max_pool_stride", lambda m: m.nn.functional.max_pool2d(m.ones(1, 2, 4, 4), 2, 0)),
    ErrorInput("max_pool_too_small", lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 1, 1), 2)),
    ErrorInput("max_pool_bool", lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 4, 4, dtype=m.bool), 2)),
    ErrorInput("avg_pool_rank", lambda m: m.nn.functional.avg_pool1d(m.ones(2), 2)),
    ErrorInput("avg_pool_divisor_zero", lambda m: m.nn.functional.avg_pool2d(m.ones(1, 2, 4, 4), 2,
                                                                             divisor_override=0)),
    ErrorInput("avg_pool_int32", lambda m: m.nn.functional.avg_pool2d(m.ones(1, 2, 4, 4, dtype=m.int32), 2)),
    ErrorInput("adaptive_avg_rank", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(2), 2)),
    ErrorInput("adaptive_max_int", lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(1, 2, 4, 4,
                                                                                        dtype=m.int64), 2)),
    ErrorInput("adaptive_avg_empty", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(1, 2, 0, 4), 2)),
    ErrorInput("max_unpool_index", lambda m: m.nn.functional.max_unpool2d(
        m.ones(1, 1, 2, 2), m.tensor([[[[0, 1], [2, 99]]]]), 2)),
    ErrorInput("max_unpool_shape", lambda m: m.nn.functional.max_unpool2d(
        m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 3, dtype=m.int64), 2)),
    ErrorInput("max_unpool_output_size", lambda m: m.nn.functional.max_unpool2d(
        m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), 2, output_size=(9, 9))),
]
