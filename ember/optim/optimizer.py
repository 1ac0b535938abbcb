"""The Optimizer base class (torch.optim.Optimizer): parameter groups, per-parameter state, state_dict, hooks.

Subclasses follow PyTorch's contract: ``__init__(params, defaults)``, ``step(closure=None)``. Every ``step`` a class
defines is wrapped once, when the class is created, by ``_hooked_step``: it runs the global and per-instance step
pre-hooks, then the step, then the post-hooks, and keeps two attributes the lr schedulers read:

- ``optimizer._opt_called``: False until ``step()`` is first called (torch's scheduler sets the same flag from its
  own wrapper, so a scheduler may rely on either).
- ``optimizer._step_count``: how many times ``step()`` was called (torch < 2.2 kept this counter on the optimizer).

A nested call (a subclass's ``step`` calling ``super().step()``) runs the hooks and counts once.

The built-in optimizers keep each algorithm in one function ``update(group, params, grads, states)`` over a group's
parameters that have a gradient (params: Tensors; grads: arrays; states: the per-parameter state dicts of Tensors),
updating the arrays in place; ``Optimizer._update_groups`` runs it and bumps each updated parameter's version once.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable

from .._dtype import float32, float64, get_default_dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..nn.modules.module import _add_hook

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]


class _RequiredParameter:
    """Marks a hyperparameter every param group must set (torch.optim.optimizer.required)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()
_global_pre_hooks: dict = {}
_global_post_hooks: dict = {}


def register_optimizer_step_pre_hook(hook: Callable):
    """Call hook(optimizer, args, kwargs) before every optimizer's step (torch.optim.optimizer)."""
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable):
    """Call hook(optimizer, args, kwargs) after every optimizer's step (torch.optim.optimizer)."""
    return _add_hook(_global_post_hooks, hook)


def _hooked_step(func: Callable) -> Callable:
    """Wrap a step method with the step hooks and the _opt_called/_step_count bookkeeping."""
    @functools.wraps(func)
    def step(self, *args, **kwargs):
        if self.__dict__.get("_stepping"):
            return func(self, *args, **kwargs)
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        self._opt_called = True
        self._step_count = self.__dict__.get("_step_count", 0) + 1
        self._stepping = True
        try:
            out = func(self, *args, **kwargs)
        finally:
            self._stepping = False
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step.hooked = True
    return step


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _scalar_dtype():
    """The dtype of scalar state such as 'step' (torch's _get_scalar_dtype): float64 only under that default."""
    return float64 if get_default_dtype() == float64 else float32


def _scalar_state(value: float) -> Tensor:
    from .. import tensor
    return tensor(float(value), dtype=_scalar_dtype())


def _to_scalar(x) -> float:
    """A hyperparameter as a Python float: a 1-element tensor (torch accepts them for lr, betas) or a NumPy scalar
    (which NumPy would not treat as a weak scalar, so float32 arrays would be promoted) becomes a plain float."""
    return float(x)


def _check(*checks: tuple) -> None:
    """Raise torch's ValueError for the first failed check of (label, value, ok)."""
    for label, value, ok in checks:
        if not ok:
            raise ValueError(f"Invalid {label}: {value}")


def _check_common(lr, eps=None, betas=None, weight_decay=None) -> None:
    """The checks most optimizers share, in torch's order and wording."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    _check(("learning rate", lr, 0.0 <= lr))
    if eps is not None:
        _check(("epsilon value", eps, 0.0 <= eps))
    if betas is not None:
        _check(("beta parameter at index 0", betas[0], 0.0 <= betas[0] < 1.0),
               ("beta parameter at index 1", betas[1], 0.0 <= betas[1] < 1.0))
    if weight_decay is not None:
        _check(("weight_decay value", weight_decay, 0.0 <= weight_decay))


def _grad(g, x, maximize: bool, decay: float, decoupled_lr: float | None = None):
    """The gradient an update follows: negated to maximize, plus decay * x (an L2 penalty); given decoupled_lr, the
    weights shrink in place by a factor 1 - lr * decay instead (AdamW's decoupled weight decay)."""
    if maximize:
        g = -g
    if decay != 0:
        if decoupled_lr is None:
            g = g + decay * x
        else:
            x *= 1 - decoupled_lr * decay
    return g


def _lerp_(a, b, weight: float, tmp, xp) -> None:
    """a.lerp_(b, weight) in place with torch's formulas (it switches at weight 0.5 so that both ends are exact)."""
    xp.subtract(b, a, out=tmp)
    if weight < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= tmp.dtype.type(1) - tmp.dtype.type(weight)  # torch forms 1 - weight in the tensors' dtype
        xp.subtract(b, tmp, out=a)


def _decay_sq_(xp, v, g, beta: float, tmp) -> None:
    """v.mul_(beta).addcmul_(g, g, value=1 - beta) in place: a running mean of squares (tmp is scratch)."""
    v *= beta
    xp.multiply(g, 1 - beta, out=tmp)
    tmp *= g
    v += tmp


def _addcdiv_(xp, x, a, b, value: float) -> None:
    """x.addcdiv_(a, b, value=value) in place, rounded as torch rounds it: x + (value * a) / b."""
    t = xp.multiply(a, value)
    t /= b
    x += t


# NOTE [ Blocked updates ]
# An update makes about a dozen elementwise passes (NumPy has no fused multiply-add or lerp). Over a large parameter
# each pass streams every array through memory; over blocks of ~256 KiB per array the passes after the first hit the
# cache, which halves the time of an Adam step on a 512x784 weight. Blocks are slices of the first axis, so they are
# views for any strides (a gradient may be a transposed array) and every write lands in the parameter or the state.
_BLOCK_BYTES = 1 << 18


def _blocks(x) -> list:
    """Index expressions that cover x in first-axis blocks of about _BLOCK_BYTES (one Ellipsis for small x)."""
    if x.nbytes <= _BLOCK_BYTES or x.ndim == 0 or x.shape[0] <= 1:
        return [...]
    n = x.shape[0]
    rows = max(1, _BLOCK_BYTES * n // x.nbytes)
    return [slice(i, i + rows) for i in range(0, n, rows)]


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(p._device.xp.zeros_like(p._data), p._device)


def _full_like(p: Tensor, value: float) -> Tensor:
    return Tensor._make(p._device.xp.full_like(p._data, value), p._device)


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer).

    ``params`` is an iterable of Tensors, of (name, Tensor) pairs, or of dicts that define parameter groups (a
    'params' entry plus hyperparameters that override ``defaults``).
    """

    # state entries kept as 0-d tensors: older checkpoints that hold plain numbers are converted on load
    _scalar_state_keys: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked_step(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: dict = {}
        self._optimizer_step_post_hooks: dict = {}
        self._optimizer_state_dict_pre_hooks: dict = {}
        self._optimizer_state_dict_post_hooks: dict = {}
        self._optimizer_load_state_dict_pre_hooks: dict = {}
        self._optimizer_load_state_dict_post_hooks: dict = {}
        self._opt_called = False
        self._step_count = 0
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            "got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for store in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                      "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                      "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(store, {})
        self.__dict__.setdefault("_opt_called", False)
        self.__dict__.setdefault("_step_count", 0)
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:  # groups saved by an older version lack newer options
            for name, default in self.defaults.items():
                if default is not required:
                    group.setdefault(name, default)
        for key in self._scalar_state_keys:
            for s in self.state.values():
                if isinstance(s, dict) and key in s and not isinstance(s[key], Tensor):
                    s[key] = _scalar_state(s[key])

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- hooks -------------------------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable):
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), run before step()."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable):
        """hook(optimizer, args, kwargs) -> None, run after step()."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """hook(optimizer), run before state_dict() builds its result."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """hook(optimizer, state_dict) -> None or a replacement state_dict."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """hook(optimizer, state_dict) -> None or a replacement state_dict, run before loading."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """hook(optimizer), run after loading."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state_dict --------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: per-parameter state}, 'param_groups': [group with 'params' as indices]} (torch's).

        As in torch, the state tensors are the optimizer's own, not copies: save or deepcopy before stepping on.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            index.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index})
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state_dict() result: groups matched by order, state tensors cast to their parameter's dtype."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                             "group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        special = {i: g for g in state_dict["param_groups"] for i in g["params"]}

        def cast(param, value, group, key=None):
            if isinstance(value, Tensor):
                if key == "step":  # torch keeps 'step' as saved (its float32 dtype), unless fused or capturable
                    return value.to(dtype=float32) if group.get("fused") or group.get("capturable") else value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, group, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v, group) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v, special.get(k, {}))
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state, "param_groups": [update_group(g, s) for g, s in zip(groups, saved_groups)]})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # -- gradients and groups ----------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None, or to zeros in place (torch's zero_grad)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g._data[...] = 0
                g._vc[0] += 1

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; closure re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own hyperparameters, to param_groups (torch's add_param_group)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        seen: set = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- the built-in optimizers' step -------------------------------------------------------------------------
    def _init_state(self, p: Tensor, group: dict) -> dict | None:
        """The state a parameter starts with on its first step; None keeps it stateless (built-ins override)."""
        return {}

    def _update_groups(self, closure: Callable | None, update: Callable):
        """Run closure under enable_grad, then update(group, params, grads, states) over each group's parameters
        that have a gradient; each updated parameter's version counter moves once."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, states = [], [], []
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                state = self.state.get(p)
                if state is None:  # a parameter without state gets no entry at all, as in torch
                    state = self._init_state(p, group)
                    if state is not None:
                        self.state[p] = state
                params.append(p)
                grads.append(grad._data)
                states.append(state)
            if params:
                update(group, params, grads, states)
                for p in params:
                    p._vc[0] += 1
        return loss

