"""Workloads, one function each, written against the PyTorch API with the framework passed in as ``torch``.

A workload builds its inputs from a fixed NumPy seed (so ember and torch start from equal values) and returns
``(step, n_ops)``: ``step()`` runs one forward and backward pass and returns the loss as a float; ``n_ops`` is the
number of forward ops one step runs, the divisor for the per-op latency (the backward's cost is included in it).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

Workload = Callable[[object], tuple[Callable[[], float], int]]


def _param(torch, rng: np.random.Generator, *shape: int, scale: float = 1.0, grad: bool = True):
    return torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32), requires_grad=grad)


def tiny(torch, size: int = 16, steps: int = 50):
    """Per-op overhead: ``h = tanh(h * w + b)`` on size x size tensors, `steps` times, then backward."""
    rng = np.random.default_rng(0)
    x = _param(torch, rng, size, size, grad=False)
    w = _param(torch, rng, size, size, scale=0.5)
    b = _param(torch, rng, size, size, scale=0.1)

    def step() -> float:
        w.grad = b.grad = None
        h = x
        for _ in range(steps):
            h = (h * w + b).tanh()
        loss = h.sum()
        loss.backward()
        return loss.item()

    return step, 3 * steps + 1


def tiny_infer(torch, size: int = 16, steps: int = 50):
    """The tiny workload's ops under no_grad: per-op overhead without graph recording."""
    rng = np.random.default_rng(0)
    x, w, b = (_param(torch, rng, size, size, scale=s, grad=False) for s in (1.0, 0.5, 0.1))

    def step() -> float:
        with torch.no_grad():
            h = x
            for _ in range(steps):
                h = (h * w + b).tanh()
            return h.sum().item()

    return step, 3 * steps + 1


WORKLOADS: dict[str, Workload] = {"tiny": tiny, "tiny_infer": tiny_infer}

from . import models, ops_conv, ops_nn  # noqa: E402,F401  (register the model and fused-op lines)
