"""Activation checkpointing (torch.utils.checkpoint): keep a segment's inputs, drop its activations, recompute the
segment's forward during backward.

NOTE [ Checkpoint as one node ]
``checkpoint(fn, *args)`` runs fn once with grad enabled to learn which tensors the segment differentiates into: the
graph it builds is walked to its *boundary* — leaves (parameters, detached copies of the tensor args) and nodes made
before the segment started. That graph is then dropped (its activations are freed) and the outputs hang off one
``CheckpointFunctionBackward`` node whose edges are that boundary. Its backward restores the RNG state, runs fn
again with grad enabled and asks the engine for the gradients at the same boundary, which it returns. This is
torch's use_reentrant=False behaviour (parameters get gradients through autograd.grad too, inputs need not require
grad); use_reentrant=True is accepted and runs the same way. Peak memory holds one segment's activations at a time.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

from .. import random as _random
from .._tensor import Tensor
from ..autograd import graph
from ..autograd.grad_mode import STATE, enable_grad

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]


class CheckpointError(RuntimeError):
    """The recomputed forward differed from the original one (torch.utils.checkpoint.CheckpointError)."""


def _boundary(outputs, inputs: dict, start: int):
    """Edges where the segment's graph leaves it, in a fixed order: keys and (shape, dtype) metas.

    inputs maps the edges of the tensor args to ("arg", i); any other key is the (node, output_nr) edge itself.
    """
    keys, metas, seen, visited = [], [], set(), set()

    def add(edge, meta):
        key = inputs.get(edge, edge)
        if key not in seen:
            seen.add(key)
            keys.append(key)
            metas.append(meta)
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None and t.grad_fn._seq >= start]
    while stack:
        node = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        for (nxt, nr), meta in zip(node.next_functions, node._meta):
            if nxt is None:
                continue
            if type(nxt) is graph.AccumulateGrad or nxt._seq < start:
                add((nxt, nr), meta)
            else:
                stack.append(nxt)
    for t in outputs:  # outputs that are boundary tensors themselves (fn returned an arg or a parameter)
        if t.requires_grad and (t.grad_fn is None or t.grad_fn._seq < start):
            add(graph.edge_of(t), (t._data.shape, t._data.dtype))
    return keys, metas


def _run(fn, args, kwargs, detach: bool = True):
    """fn with grad enabled, on detached stand-ins of the tensor args (same requires_grad) unless detach is False
    (double backward: the gradients' graph must reach the real args). Returns (out, tensor outputs, arg edges ->
    keys, keys -> arg edges, first node number of the segment)."""
    stand_ins, inputs, sinks = [], {}, {}
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if detach:
                s = a.detach()
                s._requires_grad = a._requires_grad
                a = s
            if a._requires_grad:
                edge = graph.edge_of(a)
                inputs[edge] = ("arg", i)
                sinks[("arg", i)] = edge
        stand_ins.append(a)
    start = next(graph._seq)
    with enable_grad():
        out = fn(*stand_ins, **kwargs)
    outs = [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)] \
        if isinstance(out, (tuple, list)) else []
    return out, outs, inputs, sinks, start


class CheckpointFunctionBackward(graph.Node):
    """The node standing for a checkpointed segment: recomputes it and returns the gradients at its boundary."""

    __slots__ = ("fn", "args", "kwargs", "rng", "keys", "n_outputs", "out_mask")

    def apply(self, grads: tuple) -> tuple:
        if self.fn is None:
            raise RuntimeError(graph.FREED_MESSAGE)
        with _random.fork_rng(enabled=self.rng is not None):
            if self.rng is not None:
                _random.set_rng_state(self.rng)
            _, outs, inputs, sinks, start = _run(self.fn, self.args, self.kwargs, detach=not STATE.grad_enabled)
        keys, _ = _boundary(outs, inputs, start)
        if keys != self.keys:
            raise CheckpointError("torch.utils.checkpoint: the recomputed forward used different tensors than the "
                                  "original forward (is fn deterministic, and were its inputs modified in place?)")
        edges = [sinks.get(k, k) for k in keys]
        roots, seeds = [], []
        for o, g in zip((o for o, need in zip(outs, self.out_mask) if need), grads):
            if g is not None:
                roots.append(graph.edge_of(o))
                seeds.append(g)
        capture = {e: [None] for e in edges}
        graph.run_backward(roots, seeds, False, STATE.grad_enabled, inputs=edges, capture=capture)
        return tuple(capture[e][0] for e in edges)

    def release(self) -> None:
        self._released = True
        self.fn = self.args = self.kwargs = None


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None, context_fn: Callable | None = None,
               determinism_check: str = "default", debug: bool = False, preserve_rng_state: bool = True,
               **kwargs) -> Any:
    """function(*args, **kwargs) without keeping its activations: they are recomputed during backward
    (torch.utils.checkpoint.checkpoint). See NOTE [ Checkpoint as one node ]; both use_reentrant modes get the
    non-reentrant semantics. context_fn and debug are accepted and ignored."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "use_reentrant=False is recommended.", stacklevel=2)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    rng = _random.get_rng_state() if preserve_rng_state else None
    if not STATE.grad_enabled:
        return function(*args, **kwargs)
    out, outs, inputs, _, start = _run(function, args, kwargs)
    keys, metas = _boundary(outs, inputs, start)
    needs = [o.requires_grad for o in outs]
    if not keys or not any(needs):
        return out
    node = CheckpointFunctionBackward()
    edges = tuple(graph.edge_of(args[k[1]]) if k[0] == "arg" else k for k in keys)
    node._init(edges, tuple(metas))
    node.fn, node.args, node.kwargs, node.rng, node.keys = function, args, kwargs, rng, keys
    node.out_mask = needs
    node.n_outputs = sum(needs)
    wrapped, nr = {}, 0
    for o, need in zip(outs, needs):
        if need:
            w = o.detach()
            w._requires_grad = True
            w.grad_fn = node
            w._output_nr = nr
            nr += 1
            wrapped[id(o)] = w
        else:
            wrapped[id(o)] = o.detach()
    if isinstance(out, Tensor):
        return wrapped[id(out)]
    return type(out)(wrapped.get(id(o), o) if isinstance(o, Tensor) else o for o in out)


def checkpoint_sequential(functions, segments: int, input: Tensor, use_reentrant: bool | None = None,
                          **kwargs) -> Tensor:
    """Run a Sequential (or list of modules) in `segments` checkpointed chunks; the last chunk runs normally
    (torch.utils.checkpoint.checkpoint_sequential)."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. use_reentrant=False is recommended.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    funcs: Iterable = list(functions.children()) if hasattr(functions, "children") else list(functions)
    funcs = list(funcs)
    segment_size = len(funcs) // segments

    def run_function(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = funcs[j](x)
            return x
        return forward

    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(funcs) - 1)(input)
