"""Hand-written NumPy forward and backward for the mlp and lenet workloads (no framework): the ceiling for a
NumPy-backed framework. Same architecture, weights, data and optimizer as models.py, so the losses match torch's.

float32 throughout, one GEMM per linear or convolution (im2col), in-place updates where they save a temporary.
Images are kept as (C, N, H, W) between layers: im2col is then one copy whose inner loop runs along image rows, and
the GEMM kernel @ columns writes the next layer's input directly, with no transposes. NUMPY_REF holds factories
with the workloads' contract that take no framework: ``factory() -> (step, n_ops)``.
"""
from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .models import _weight_values, lenet_data, mlp_data

Arrays = list[np.ndarray]
Step = tuple[Callable[[], float], int]
LossFn = Callable[[Arrays, np.ndarray, np.ndarray, bool], tuple[float, Arrays | None]]

# (name, shape) in named_parameters order of the models in models.py: _weight_values draws from these
MLP_SHAPES = [("0.weight", (512, 784)), ("0.bias", (512,)), ("2.weight", (512, 512)), ("2.bias", (512,)),
              ("4.weight", (10, 512)), ("4.bias", (10,))]
LENET_SHAPES = [("0.weight", (6, 1, 5, 5)), ("0.bias", (6,)), ("3.weight", (16, 6, 5, 5)), ("3.bias", (16,)),
                ("7.weight", (120, 400)), ("7.bias", (120,)), ("9.weight", (84, 120)), ("9.bias", (84,)),
                ("11.weight", (10, 84)), ("11.bias", (10,))]


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x @ w.T + b (torch's Linear), the bias added in place."""
    out = x @ w.T
    out += b
    return out


def _linear_backward(g: np.ndarray, x: np.ndarray, w: np.ndarray, input_grad: bool = True) -> Arrays:
    """Gradients of _linear with respect to x (None unless input_grad), w and b."""
    return [g @ w if input_grad else None, g.T @ x, g.sum(axis=0)]


def _relu_(x: np.ndarray) -> np.ndarray:
    """ReLU in place; the backward multiplies by the mask ``out > 0``."""
    return np.maximum(x, 0, out=x)


def _cross_entropy(logits: np.ndarray, y: np.ndarray, grad: bool) -> tuple[float, np.ndarray | None]:
    """Mean softmax cross-entropy via log-sum-exp, and its gradient with respect to the logits when asked."""
    n, rows = len(y), np.arange(len(y))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = float(-(shifted[rows, y] - np.log(total[:, 0])).mean())
    if not grad:
        return loss, None
    exp /= total * n
    exp[rows, y] -= 1.0 / n
    return loss, exp


class _Conv:
    """Stride-1 convolution of (C, N, H, W) images with a torch-layout kernel (O, C, k, k), giving (O, N, OH, OW): one
    im2col copy and one GEMM. Its large arrays are allocated once and reused every step, because fresh ones come back
    from the OS as new pages each step, and those page faults would cost as much as the arithmetic."""

    def __init__(self, x_shape: tuple[int, ...], w_shape: tuple[int, ...], pad: int):
        (c, n, h, wd), (o, _, k, _) = x_shape, w_shape
        self.pad, self.k, self.out_shape = pad, k, (o, n, h + 2 * pad - k + 1, wd + 2 * pad - k + 1)
        # the padded input's border stays zero; without padding, im2col reads the input itself
        self.padded = np.zeros((c, n, h + 2 * pad, wd + 2 * pad), np.float32) if pad else None
        self.dx = np.empty((c, n, h + 2 * pad, wd + 2 * pad), np.float32)
        self.cols = np.empty((c * k * k, n * self.out_shape[2] * self.out_shape[3]), np.float32)
        self.out = np.empty((o, self.cols.shape[1]), np.float32)

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The convolution of x; keeps x's im2col matrix (rows: C, kh, kw like w's flattening) for the backward."""
        p, k = self.pad, self.k
        if p:
            self.padded[:, :, p:-p, p:-p] = x
            x = self.padded
        windows = sliding_window_view(x, (k, k), axis=(2, 3))  # (C, N, OH, OW, k, k), a view
        np.copyto(self.cols.reshape(len(x), k, k, *self.out_shape[1:]), windows.transpose(0, 4, 5, 1, 2, 3))
        np.matmul(w.reshape(len(w), -1), self.cols, out=self.out)
        self.out += b[:, None]
        return self.out.reshape(self.out_shape)

    def backward(self, g: np.ndarray, w: np.ndarray, input_grad: bool) -> Arrays:
        """Gradients with respect to x (None unless input_grad), w and b; x's by col2im, adding the column gradient
        into a zeroed, padded buffer once per kernel offset."""
        g2 = g.reshape(len(g), -1)
        gw, gb = (g2 @ self.cols.T).reshape(w.shape), g2.sum(axis=1)
        if not input_grad:
            return [None, gw, gb]
        p, k, (_, n, oh, ow) = self.pad, self.k, self.out_shape
        dcols = np.matmul(w.reshape(len(w), -1).T, g2, out=self.cols)  # the columns are spent once gw has them
        dcols = dcols.reshape(-1, k, k, n, oh, ow)
        dx = self.dx
        dx.fill(0)
        for i in range(k):
            for j in range(k):
                dx[:, :, i:i + oh, j:j + ow] += dcols[:, i, j]
        return [dx[:, :, p:dx.shape[2] - p, p:dx.shape[3] - p], gw, gb]


_POOL_OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))  # row-major, the order torch scans a window in


def _maxpool(x: np.ndarray) -> np.ndarray:
    """2x2 max-pool, stride 2, over the last two axes: the maximum of four strided views."""
    views = [x[..., i::2, j::2] for i, j in _POOL_OFFSETS]
    return np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))


def _maxpool_backward(g: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Gradient of _maxpool: each window's gradient goes to its first maximum in scan order (torch's tie rule)."""
    dx = np.empty_like(x)
    free = np.ones(out.shape, bool)  # windows whose gradient has no destination yet
    for i, j in _POOL_OFFSETS:
        hit = x[..., i::2, j::2] == out
        hit &= free
        free &= ~hit
        np.multiply(g, hit, out=dx[..., i::2, j::2])
    return dx


def _classifier(params: Arrays, x: np.ndarray, y: np.ndarray, grad: bool,
                input_grad: bool) -> tuple[float, np.ndarray | None, Arrays | None]:
    """Loss of three ReLU-separated linears on x (rows), and when grad: x's gradient (if input_grad) and the
    parameters' gradients in params order."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = _relu_(_linear(x, w1, b1))
    h2 = _relu_(_linear(h1, w2, b2))
    loss, g = _cross_entropy(_linear(h2, w3, b3), y, grad)
    if not grad:
        return loss, None, None
    dh2, gw3, gb3 = _linear_backward(g, h2, w3)
    dh2 *= h2 > 0
    dh1, gw2, gb2 = _linear_backward(dh2, h1, w2)
    dh1 *= h1 > 0
    dx, gw1, gb1 = _linear_backward(dh1, x, w1, input_grad)
    return loss, dx, [gw1, gb1, gw2, gb2, gw3, gb3]


def _mlp_loss(params: Arrays, x: np.ndarray, y: np.ndarray, grad: bool) -> tuple[float, Arrays | None]:
    """Loss of the 784-512-512-10 ReLU MLP, and the parameters' gradients (in params order) when grad."""
    loss, _, grads = _classifier(params, x, y, grad, input_grad=False)
    return loss, grads


def _lenet_loss(convs: tuple[_Conv, _Conv], params: Arrays, x: np.ndarray, y: np.ndarray,
                grad: bool) -> tuple[float, Arrays | None]:
    """Loss of the LeNet-5-like CNN on (C, N, H, W) images x, and the parameters' gradients (in params order) when
    grad."""
    cw1, cb1, cw2, cb2 = params[:4]
    # ReLU and max-pool commute: pooling first runs the ReLU and its mask on a quarter of the elements
    c1 = convs[0].forward(x, cw1, cb1)
    p1 = _maxpool(c1)
    a1 = np.maximum(p1, 0)
    c2 = convs[1].forward(a1, cw2, cb2)
    p2 = _maxpool(c2)
    a2 = np.maximum(p2, 0)
    flat = a2.transpose(1, 0, 2, 3).reshape(len(y), -1)  # torch's Flatten order: C, H, W
    loss, dflat, head = _classifier(params[4:], flat, y, grad, input_grad=True)
    if not grad:
        return loss, None
    da2 = dflat.reshape(len(y), len(a2), *a2.shape[2:]).transpose(1, 0, 2, 3) * (a2 > 0)
    da1, gcw2, gcb2 = convs[1].backward(_maxpool_backward(da2, c2, p2), cw2, input_grad=True)
    da1 *= a1 > 0
    _, gcw1, gcb1 = convs[0].backward(_maxpool_backward(da1, c1, p1), cw1, input_grad=False)
    return loss, [gcw1, gcb1, gcw2, gcb2] + head


def _sgd(params: Arrays, grads: Arrays, bufs: Arrays, lr: float, momentum: float) -> None:
    """One torch.optim.SGD step with momentum (no dampening, decay or nesterov), in place."""
    if not bufs:
        bufs.extend(grads)  # torch's first buffer is the gradient itself; ours are fresh arrays each step
    else:
        for buf, g in zip(bufs, grads):
            buf *= momentum
            buf += g
    for p, buf in zip(params, bufs):
        p -= lr * buf


def _adam(params: Arrays, grads: Arrays, state: dict, lr: float, betas: tuple[float, float] = (0.9, 0.999),
          eps: float = 1e-8) -> None:
    """One torch.optim.Adam step (defaults: no weight decay, no amsgrad), with its bias correction, in place."""
    beta1, beta2 = betas
    if not state:
        state.update(step=0, exp_avg=[np.zeros_like(p) for p in params], exp_avg_sq=[np.zeros_like(p) for p in params])
    state["step"] += 1
    step_size = lr / (1 - beta1 ** state["step"])
    correction2_sqrt = math.sqrt(1 - beta2 ** state["step"])
    for p, g, m, v in zip(params, grads, state["exp_avg"], state["exp_avg_sq"]):
        m += (1 - beta1) * (g - m)  # torch's exp_avg.lerp_(grad, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        denom = np.sqrt(v)
        denom /= correction2_sqrt
        denom += eps
        p -= step_size * m / denom


def _train(loss_fn: LossFn, params: Arrays, x: np.ndarray, y: np.ndarray,
           update: Callable[[Arrays, Arrays], None]) -> Step:
    """A training step: loss and gradients, then update(params, grads) in place; returns the loss."""

    def step() -> float:
        loss, grads = loss_fn(params, x, y, True)
        update(params, grads)
        return loss
    return step, 1


def _infer(loss_fn: LossFn, params: Arrays, x: np.ndarray, y: np.ndarray) -> Step:
    """An inference step: the loss only."""
    return lambda: loss_fn(params, x, y, False)[0], 1


def _lenet_inputs() -> tuple[LossFn, Arrays, np.ndarray, np.ndarray]:
    """The lenet loss function with its convolutions' buffers, the parameters, and the batch as (C, N, H, W)."""
    x, y = lenet_data()
    x = np.ascontiguousarray(x.transpose(1, 0, 2, 3))
    convs = _Conv(x.shape, (6, 1, 5, 5), pad=2), _Conv((6, len(y), 14, 14), (16, 6, 5, 5), pad=0)
    return functools.partial(_lenet_loss, convs), list(_weight_values(LENET_SHAPES)), x, y


def mlp() -> Step:
    """The mlp workload: one training step, SGD lr 0.01 momentum 0.9."""
    bufs: Arrays = []
    return _train(_mlp_loss, list(_weight_values(MLP_SHAPES)), *mlp_data(),
                  lambda params, grads: _sgd(params, grads, bufs, lr=0.01, momentum=0.9))


def mlp_infer() -> Step:
    """The mlp_infer workload: the forward and loss only."""
    return _infer(_mlp_loss, list(_weight_values(MLP_SHAPES)), *mlp_data())


def lenet() -> Step:
    """The lenet workload: one training step, Adam lr 1e-3."""
    state: dict = {}
    return _train(*_lenet_inputs(), lambda params, grads: _adam(params, grads, state, lr=1e-3))


def lenet_infer() -> Step:
    """The lenet_infer workload: the forward and loss only."""
    return _infer(*_lenet_inputs())


NUMPY_REF: dict[str, Callable[[], Step]] = {
    "mlp": mlp, "mlp_infer": mlp_infer, "lenet": lenet, "lenet_infer": lenet_infer}
