"""Reverse-mode autograd: backward, grad, grad modes, Function, gradcheck, functional."""
from __future__ import annotations

import functools

from .grad_mode import (STATE, enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .graph import Node, accumulate_grad, run_backward, edge_of
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def _seeds(outputs, grad_outputs, create_graph):
    from .._tensor import Tensor
    roots, grads = [], []
    for out, g in zip(outputs, grad_outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected a Tensor as output, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._make(out._device.xp.ones(out._data.shape, out._data.dtype), out._device)
        elif not isinstance(g, Tensor):
            g = Tensor._make(out._device.xp.asarray(g, dtype=out._data.dtype), out._device)
        elif g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {tuple(g.shape)} and output[0] has "
                               f"a shape of {tuple(out.shape)}.")
        if g._data.dtype != out._data.dtype:  # torch rounds the seed to the output's dtype
            g = g.to(out.dtype)
        if not create_graph:
            g = g.detach()
        roots.append(edge_of(out))
        grads.append(g)
    return roots, grads


def _as_tuple(x):
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """Accumulate gradients of tensors into the leaves' .grad (torch.autograd.backward)."""
    tensors = _as_tuple(tensors)
    grad_tensors = (None,) * len(tensors) if grad_tensors is None else _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _seeds(tensors, grad_tensors, create_graph)
    edges, handles = None, []
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        edges = [edge_of(t) for t in inputs]
        # a non-leaf input accumulates into its own .grad, as in torch: a pre-hook on its node, for this pass only
        handles = [t.grad_fn._add_pre_hook(t._output_nr, functools.partial(_accumulate_non_leaf, t))
                   for t in inputs if t.grad_fn is not None]
    try:
        run_backward(roots, grads, retain_graph, create_graph, inputs=edges)
    finally:
        for h in handles:
            h.remove()


def _accumulate_non_leaf(t, grad) -> None:
    # detached: the gradient flows on through the graph, so its array must be copied, never stolen, into t.grad
    accumulate_grad(t, grad if STATE.grad_enabled else grad.detach())


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False, only_inputs: bool = True,
         allow_unused=None, is_grads_batched: bool = False, materialize_grads: bool = False):
    """Gradients of outputs with respect to inputs, returned rather than accumulated (torch.autograd.grad)."""
    outputs = _as_tuple(outputs)
    single = not isinstance(inputs, (tuple, list))
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, grads = _seeds(outputs, grad_outputs, create_graph)
    edges = [edge_of(t) for t in inputs]
    capture = {}
    slots = []
    for e in edges:
        slot = capture.get(e)
        if slot is None:
            slot = capture[e] = [None]
        slots.append(slot)
    run_backward(roots, grads, retain_graph, create_graph, inputs=edges, capture=capture)
    result = []
    for i, (t, slot) in enumerate(zip(inputs, slots)):
        g = slot[0]
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        elif g._data.shape != t._data.shape:
            g = g.sum_to_size(t.shape)
        result.append(g)
    return tuple(result)


class Variable:
    """Legacy wrapper: ``Variable(t, requires_grad=...)`` returns the tensor itself (torch.autograd.Variable)."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):
        if requires_grad:
            data.requires_grad_(True)
        return data


# after grad: functional uses it
from . import anomaly_mode, function, functional  # noqa: E402,F401
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,  # noqa: E402
                           set_anomaly_enabled, set_detect_anomaly)
from .function import Function, FunctionCtx, once_differentiable  # noqa: E402
