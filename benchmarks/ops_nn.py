"""Fused-op benchmark lines (ops_nn): activations, normalisation, softmax, losses and linear, forward + backward, one
op per step (n_ops=1, so the table shows microseconds per call). As in ops_conv, the loss weights the output by a
fixed random tensor so every output element gets a distinct gradient.
"""
from __future__ import annotations

import numpy as np

from .ops_conv import _step
from .workloads import WORKLOADS, _param

_ACT = (16, 64, 512)  # a transformer block's MLP activations: batch 16, 64 tokens, 512 features


def _unary(torch, shape, fn, params=()):
    """A step over y = fn(x) for x of `shape`; params are extra (shape, scale) leaves fn closes over."""
    rng = np.random.default_rng(0)
    x = _param(torch, rng, *shape)
    ps = [_param(torch, rng, *s, scale=scale) for s, scale in params]
    out_shape = tuple(fn(x, *ps).shape)
    return _step(torch, lambda t: fn(t, *ps), x, ps, out_shape, rng)


def gelu(torch):
    """Exact GELU (erf) on 16 x 64 x 512."""
    return _unary(torch, _ACT, lambda t: torch.nn.functional.gelu(t))


def gelu_tanh(torch):
    """GELU with approximate='tanh' on 16 x 64 x 512."""
    return _unary(torch, _ACT, lambda t: torch.nn.functional.gelu(t, approximate="tanh"))


def relu(torch):
    """ReLU on 16 x 64 x 512."""
    return _unary(torch, _ACT, lambda t: torch.relu(t))


def layer_norm(torch):
    """LayerNorm(128) with weight and bias on 16 x 64 x 128."""
    return _unary(torch, (16, 64, 128), lambda t, w, b: torch.nn.functional.layer_norm(t, (128,), w, b),
                  (((128,), 1.0), ((128,), 0.1)))


def batch_norm(torch):
    """BatchNorm2d(16) in training on 32 x 16 x 32 x 32."""
    rm, rv = torch.zeros(16), torch.ones(16)
    return _unary(torch, (32, 16, 32, 32),
                  lambda t, w, b: torch.nn.functional.batch_norm(t, rm, rv, w, b, training=True),
                  (((16,), 1.0), ((16,), 0.1)))


def softmax(torch):
    """softmax over the last dim of 16 x 4 x 64 x 64 (attention scores)."""
    return _unary(torch, (16, 4, 64, 64), lambda t: torch.softmax(t, -1))


def log_softmax(torch):
    """log_softmax over the last dim of 64 x 1000."""
    return _unary(torch, (64, 1000), lambda t: torch.log_softmax(t, -1))


def _cross_entropy(torch, n, c):
    rng = np.random.default_rng(0)
    x = _param(torch, rng, n, c)
    target = torch.tensor(rng.integers(0, c, n))

    def step() -> float:
        x.grad = None
        loss = torch.nn.functional.cross_entropy(x, target)
        loss.backward()
        return loss.item()

    return step, 1


def cross_entropy_10(torch):
    """cross_entropy of 128 x 10 logits (MNIST-sized)."""
    return _cross_entropy(torch, 128, 10)


def cross_entropy_1000(torch):
    """cross_entropy of 64 x 1000 logits (ImageNet-sized)."""
    return _cross_entropy(torch, 64, 1000)


def linear(torch):
    """Linear(512, 512) with bias on 16 x 64 x 512."""
    return _unary(torch, _ACT, lambda t, w, b: torch.nn.functional.linear(t, w, b),
                  (((512, 512), 512 ** -0.5), ((512,), 0.1)))


WORKLOADS.update({f.__name__: f for f in (gelu, gelu_tanh, relu, layer_norm, batch_norm, softmax, log_softmax,
                                          cross_entropy_10, cross_entropy_1000, linear)})
