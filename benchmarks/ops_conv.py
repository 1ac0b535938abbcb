"""Fused-op benchmark lines (ops_conv): convolution and pooling, forward + backward, one op per step (n_ops=1, so the
table shows microseconds per call). The loss weights the output by a fixed random tensor so every output element gets
a distinct gradient, as it would inside a network.
"""
from __future__ import annotations

import numpy as np

from .workloads import WORKLOADS, _param


def _step(torch, fn, x, params, out_shape, rng):
    """A step running y = fn(x), loss = (y * r).sum() and its backward, with grads of x and params reset first."""
    r = _param(torch, rng, *out_shape, grad=False)

    def step() -> float:
        for t in (x, *params):
            t.grad = None
        loss = (fn(x) * r).sum()
        loss.backward()
        return loss.item()

    return step, 1


def _conv(torch, n, c, o, size, k, groups=1, stride=1, padding=0, transposed=False):
    rng = np.random.default_rng(0)
    x = _param(torch, rng, n, c, size, size)
    shape = (c, o // groups, k, k) if transposed else (o, c // groups, k, k)
    w = _param(torch, rng, *shape, scale=(c // groups * k * k) ** -0.5)
    b = _param(torch, rng, o, scale=0.1)
    F = torch.nn.functional
    if transposed:
        def fn(t):
            return F.conv_transpose2d(t, w, b, stride=stride, padding=padding, groups=groups)
        out = (size - 1) * stride - 2 * padding + k
    else:
        def fn(t):
            return F.conv2d(t, w, b, stride=stride, padding=padding, groups=groups)
        out = (size + 2 * padding - k) // stride + 1
    return _step(torch, fn, x, (w, b), (n, o, out, out), rng)


def conv2d_lenet(torch):
    """LeNet's first conv: 1 -> 6 channels, 5x5, batch 64 of 28x28."""
    return _conv(torch, 64, 1, 6, 28, 5)


def conv2d_3x3(torch):
    """A small ResNet's conv: 16 -> 16 channels, 3x3, padding 1, batch 32 of 32x32."""
    return _conv(torch, 32, 16, 16, 32, 3, padding=1)


def conv2d_3x3_c64(torch):
    """A wider 3x3 conv: 64 -> 64 channels, padding 1, batch 32 of 32x32."""
    return _conv(torch, 32, 64, 64, 32, 3, padding=1)


def conv2d_3x3_s2(torch):
    """A ResNet down-sampling conv: 16 -> 32 channels, 3x3, stride 2, padding 1, batch 32 of 32x32."""
    return _conv(torch, 32, 16, 32, 32, 3, stride=2, padding=1)


def conv2d_depthwise(torch):
    """A depthwise conv: 64 channels, 64 groups, 3x3, padding 1, batch 32 of 16x16."""
    return _conv(torch, 32, 64, 64, 16, 3, groups=64, padding=1)


def conv_transpose2d(torch):
    """An up-sampling transposed conv: 16 -> 16 channels, 4x4, stride 2, padding 1, batch 32 of 16x16."""
    return _conv(torch, 32, 16, 16, 16, 4, stride=2, padding=1, transposed=True)


def _pool(torch, shape, fn, out_shape):
    rng = np.random.default_rng(0)
    x = _param(torch, rng, *shape)
    return _step(torch, fn, x, (), out_shape, rng)


def maxpool2d(torch):
    """LeNet's pooling: MaxPool2d(2) on 64 x 6 x 24 x 24."""
    return _pool(torch, (64, 6, 24, 24), lambda t: torch.nn.functional.max_pool2d(t, 2), (64, 6, 12, 12))


def maxpool2d_overlap(torch):
    """A ResNet stem's pooling: MaxPool2d(3, 2, 1) on 32 x 64 x 32 x 32 (overlapping windows)."""
    return _pool(torch, (32, 64, 32, 32), lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1), (32, 64, 16, 16))


def avgpool2d(torch):
    """AvgPool2d(2) on 32 x 64 x 32 x 32."""
    return _pool(torch, (32, 64, 32, 32), lambda t: torch.nn.functional.avg_pool2d(t, 2), (32, 64, 16, 16))


def resnet_block(torch):
    """A small ResNet's basic block in training mode: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + x), 16 channels, batch
    32 of 32x32 (five ops: two convs, two batch norms, the block's adds and relus counted as one)."""
    rng = np.random.default_rng(0)
    x = _param(torch, rng, 32, 16, 32, 32)
    F = torch.nn.functional
    w1, w2 = (_param(torch, rng, 16, 16, 3, 3, scale=(16 * 9) ** -0.5) for _ in range(2))
    g1, g2 = (torch.ones(16, requires_grad=True) for _ in range(2))
    b1, b2 = (torch.zeros(16, requires_grad=True) for _ in range(2))

    def fn(t):
        h = F.relu(F.batch_norm(F.conv2d(t, w1, padding=1), None, None, g1, b1, training=True))
        return F.relu(F.batch_norm(F.conv2d(h, w2, padding=1), None, None, g2, b2, training=True) + t)

    step, _ = _step(torch, fn, x, (w1, w2, g1, g2, b1, b2), (32, 16, 32, 32), rng)
    return step, 5


WORKLOADS.update({f.__name__: f for f in (conv2d_lenet, conv2d_3x3, conv2d_3x3_c64, conv2d_3x3_s2, conv2d_depthwise,
                                          conv_transpose2d, maxpool2d, maxpool2d_overlap, avgpool2d, resnet_block)})
