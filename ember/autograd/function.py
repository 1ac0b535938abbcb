"""User-defined differentiable ops (torch.autograd.Function): the user writes forward and backward, ember the node.

NOTE [ ctx is the node ]
As in PyTorch, the ``ctx`` a Function's forward receives is the graph node itself (an instance of ``<Name>Backward``,
made once per Function subclass): whatever forward stores on ctx is there when backward runs. Saved tensors are
recorded with their version at the end of ``apply``, so in-place writes inside forward are allowed, later ones raise.
A saved tensor that is an output of the Function keeps its array and version, not the Tensor (output -> node ->
output would be a cycle), and is re-wrapped with this node as its grad_fn on use, so double backward flows through it.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from . import graph
from .grad_mode import STATE, no_grad

_FREED = graph.FREED_MESSAGE


class FunctionCtx:
    """What forward (or setup_context) may call on ctx (torch.autograd.function.FunctionCtx)."""

    __slots__ = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward, where ``ctx.saved_tensors`` returns them, version-checked."""
        self.to_save = tensors

    def mark_dirty(self, *args) -> None:
        """Declare inputs that forward modified in place; they must be returned as outputs."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args) -> None:
        """Declare outputs that get no gradient (they will not require grad; backward receives zeros for them)."""
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, graph.Node):
    """The node (and ctx) of one Function call; ``MyFnBackward`` subclasses it (torch's BackwardCFunction)."""

    _forward_cls = None

    def _setup(self, args) -> None:
        self.to_save = self.dirty_tensors = self.non_differentiable = ()
        self.materialize_grads = True
        self._saved = None
        self._arg_is_tensor = tuple(_is_tensor(a) for a in args)
        self.needs_input_grad = tuple(_is_tensor(a) and a._requires_grad for a in args)
        self._out_meta = ()

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward; raises if one was modified in place since, or after release."""
        if self._saved is None:
            if self._released:
                raise RuntimeError(_FREED)
            return tuple(self.to_save)
        return tuple(_unpack(self, s) for s in self._saved)

    def apply(self, grads: tuple) -> tuple:
        """Run the user's backward on the output gradients; one gradient per tensor input comes back."""
        if self.materialize_grads:
            grads = tuple(_zeros(m) if g is None and m is not None else g for g, m in zip(grads, self._out_meta))
        cls = self._forward_cls
        res = cls._backward_fn(self, *grads)
        return self._check_grads(res if type(res) is tuple else (res,))

    def _check_grads(self, res: tuple) -> tuple:
        kinds = self._arg_is_tensor
        n = len(kinds)
        if len(res) != n:
            if len(res) < n or any(g is not None for g in res[n:]):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected {n}, "
                                   f"got {len(res)})")
            res = res[:n]
        out = []
        for i, (g, is_tensor) in enumerate(zip(res, kinds)):
            if not is_tensor:
                if g is not None:
                    raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                       f"{i + 1}, but the corresponding forward input was not a Variable")
                continue
            if g is not None:
                shape = self._meta[len(out)][0]
                if not _is_tensor(g):
                    raise TypeError(f"function {self.name()} returned a gradient of type {type(g).__name__} at "
                                    f"position {i + 1}; expected a Tensor or None")
                gshape = g._data.shape
                if gshape != shape and not _expandable(shape, gshape):
                    raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {len(out)} - got "
                                       f"{list(gshape)} but expected shape compatible with {list(shape)}")
            out.append(g)
        return tuple(out)

    def release(self) -> None:
        self._released = True
        self._saved = None
        self.to_save = ()


class DelayedError(graph.Node):
    """Stands behind the gradients of a once_differentiable backward: differentiating them again raises."""

    __slots__ = ("n_outputs",)

    def apply(self, grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


class Function:
    """Base class of user-defined ops with a hand-written backward (torch.autograd.Function).

    Subclasses define static ``forward(ctx, *args)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)``) and ``backward(ctx, *grad_outputs)``, and are called through ``MyFn.apply(*args)``. Forward runs under
    no_grad; backward runs under no_grad too unless the backward pass was asked to create a graph.
    """

    _backward_cls = BackwardCFunction
    generate_vmap_rule = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__})

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD (ember has no forward-mode AD).")

    @classmethod
    def _backward_fn(cls, ctx, *grads):
        has_vjp = cls.vjp is not Function.vjp
        if has_vjp and cls.backward is not Function.backward:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You "
                               "should only implement one of them.")
        return (cls.vjp if has_vjp else cls.backward)(ctx, *grads)

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward and, when an input requires grad and grad mode is on, record a ``<Name>Backward`` node."""
        new_style = cls.setup_context is not Function.setup_context
        if kwargs or new_style:  # as torch: setup_context sees every argument of forward, defaults filled in
            args = _bind(cls.forward, args, kwargs, skip_first=not new_style)
        ctx = cls._backward_cls()
        ctx._setup(args)
        executable = STATE.grad_enabled and any(ctx.needs_input_grad)
        edges, meta = [], []
        if executable:
            for a in args:
                if _is_tensor(a):
                    edges.append(graph.edge_of(a))
                    meta.append((a._data.shape, a._data.dtype))
        ctx._init(tuple(edges), tuple(meta))
        prev = STATE.grad_enabled
        STATE.grad_enabled = False
        try:
            if new_style:
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args)
        finally:
            STATE.grad_enabled = prev
        return _wrap_outputs(ctx, args, output, executable)


def _wrap_outputs(ctx, args, output, executable: bool):
    """Attach the outputs to ctx (in-place ones rebased, returned inputs as views), then record the saved tensors."""
    is_tuple = type(output) is tuple
    outs = output if is_tuple else (output,)
    inputs = {id(a) for a in args if _is_tensor(a)}
    dirty = {id(t) for t in ctx.dirty_tensors}
    nondiff = {id(t) for t in ctx.non_differentiable}
    ctx.n_outputs = len(outs)
    results, meta = [], []
    for nr, o in enumerate(outs):
        if not _is_tensor(o):
            results.append(o)
            meta.append(None)
            continue
        meta.append((o._data.shape, o._data.dtype, o._device))
        if id(o) in dirty:
            dirty.discard(id(o))
            o._vc[0] += 1
            if executable:
                _rebase_dirty(ctx, o, nr)
                results.append(o)
                continue
        elif id(o) in inputs:
            with no_grad():  # a returned input becomes a view of itself, as in torch, so its own history is kept
                o = o.view_as(o)
        if executable and id(outs[nr]) not in nondiff and o.is_floating_point():
            o.grad_fn, o._output_nr, o._requires_grad = ctx, nr, True
        results.append(o)
    if dirty:
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. The "
                           "inputs that are modified inplace must all be outputs of the Function.")
    ctx._out_meta = tuple(meta)
    _save(ctx)
    return tuple(results) if is_tuple else results[0]


def _rebase_dirty(ctx, t, nr: int) -> None:
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
    base = t._base
    if base is None:
        t.grad_fn, t._output_nr, t._requires_grad = ctx, nr, True
        return
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if ctx.n_outputs != 1 or not ctx._arg_is_tensor or not ctx._arg_is_tensor[0]:
        raise NotImplementedError(f"{ctx.name()}: mark_dirty on a view is supported only for a Function with one "
                                  "output whose first argument is the modified view")
    from ..ops._registry import rebase_history
    rebase_history(t, ctx)


def _save(ctx) -> None:
    saved = []
    for i, t in enumerate(ctx.to_save):
        if t is None:
            saved.append(None)
        elif not _is_tensor(t):
            raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                            f"{type(t).__name__}")
        elif t.grad_fn is ctx:
            saved.append((t._data, t._device, t._vc, t._vc[0], t._output_nr))
        else:
            saved.append((t, t._vc[0]))
    ctx._saved = tuple(saved)
    ctx.to_save = ()


def _unpack(ctx, entry):
    if entry is None:
        return None
    if len(entry) == 2:
        t, version = entry
        if t._vc[0] != version:
            raise _modified_error(t, version, t.grad_fn, t._output_nr)
        return t
    from .._tensor import Tensor
    arr, device, vc, version, nr = entry
    t = Tensor._make(arr, device)
    t._vc = vc
    if vc[0] != version:
        raise _modified_error(t, version, ctx, nr)
    t.grad_fn, t._output_nr, t._requires_grad = ctx, nr, True
    return t


def _modified_error(t, version: int, fn, nr: int) -> RuntimeError:
    where = f", which is output {nr} of {fn.name()}," if fn is not None else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.dtype} {list(t.shape)}]{where} is at version {t._vc[0]}; expected version {version} instead. Hint: "
        "replace the in-place op that modified it by its out-of-place version, or save a clone.")


def once_differentiable(fn):
    """Decorate a Function's backward that is not itself differentiable (torch.autograd.function.once_differentiable).

    The backward runs under no_grad; when a graph was requested, its gradients come out behind a node that raises
    if anything tries to differentiate through them.
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not STATE.grad_enabled or not any(_is_tensor(a) and a._requires_grad for a in args):
            return outputs
        single = type(outputs) is not tuple
        outs = (outputs,) if single else outputs
        err = DelayedError()
        err._init((), ())
        err.n_outputs = len(outs)
        wrapped = []
        for nr, o in enumerate(outs):
            if _is_tensor(o):
                o = o.detach()
                o.grad_fn, o._output_nr, o._requires_grad = err, nr, True
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)
    return wrapper


def _bind(forward, args: tuple, kwargs: dict, skip_first: bool) -> tuple:
    """Positional arguments for forward from apply's args and kwargs, defaults filled in."""
    bound = _signature(forward, skip_first).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.args


@functools.lru_cache(maxsize=None)
def _signature(forward, skip_first: bool) -> inspect.Signature:
    sig = inspect.signature(forward)
    return sig.replace(parameters=list(sig.parameters.values())[1:]) if skip_first else sig


def _is_tensor(x) -> bool:
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def _expandable(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _zeros(meta):
    from .._dtype import from_np
    from ..ops.creation import zeros
    shape, dtype, device = meta
    return zeros(shape, dtype=from_np(dtype), device=device)
