"""Plain gradient steps: SGD, averaged SGD (ASGD) and resilient backpropagation (Rprop), as in torch.optim."""
from __future__ import annotations

from .._tensor import Tensor
from .optimizer import (Optimizer, _blocks, _check, _check_common, _full_like, _grad, _scalar_state, _to_scalar,
                        _zeros_like)

__all__ = ["SGD", "ASGD", "Rprop"]


def _sgd(group: dict, params: list, grads: list, states: list) -> None:
    """One SGD step over a group, in place (torch.optim.SGD)."""
    lr, momentum, decay, dampening = (_to_scalar(group[k]) for k in ("lr", "momentum", "weight_decay", "dampening"))
    maximize, nesterov = group["maximize"], group["nesterov"]
    for p, g, state in zip(params, grads, states):
        x, xp = p._data, p._device.xp
        first = momentum != 0 and state.get("momentum_buffer") is None
        if first:  # the buffer starts as the first gradient (decayed, negated to maximize)
            state["momentum_buffer"] = Tensor._make(xp.empty_like(x), p._device)
        buf = state["momentum_buffer"]._data if momentum != 0 else None
        for b in _blocks(x):
            xb = x[b]
            gb = _grad(g[b], xb, maximize, decay)
            if buf is not None:
                bb = buf[b]
                if first:
                    bb[...] = gb
                else:
                    bb *= momentum
                    bb += gb if dampening == 0 else (1 - dampening) * gb
                gb = gb + momentum * bb if nesterov else bb
            xb -= lr * gb


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay (torch.optim.SGD)."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_common(lr)
        _check(("momentum value", momentum, momentum >= 0.0),
               ("weight_decay value", weight_decay, weight_decay >= 0.0))
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {} if group["momentum"] != 0 else None

    def step(self, closure=None):
        """One SGD step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _sgd)


def _asgd(group: dict, params: list, grads: list, states: list) -> None:
    """One averaged-SGD step over a group, in place (torch.optim.ASGD)."""
    lr, lambd, alpha, t0, decay = (_to_scalar(group[k]) for k in ("lr", "lambd", "alpha", "t0", "weight_decay"))
    for p, g, state in zip(params, grads, states):
        x, ax, step, eta, mu = p._data, state["ax"]._data, state["step"]._data, state["eta"]._data, state["mu"]._data
        step += 1
        eta_value, mu_value = float(eta), float(mu)
        for b in _blocks(x):
            xb, axb = x[b], ax[b]
            gb = _grad(g[b], xb, group["maximize"], decay)
            xb *= 1 - lambd * eta_value
            xb -= eta_value * gb
            if mu_value != 1:
                axb += (xb - axb) * mu_value
            else:
                axb[...] = xb
        k = float(step)
        eta[...] = lr / ((1 + lambd * lr * k) ** alpha)
        mu[...] = 1 / max(1, k - t0)


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (torch.optim.ASGD); the average is state['ax']."""

    _scalar_state_keys = ("step", "eta", "mu")

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_common(lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "eta": _scalar_state(_to_scalar(group["lr"])), "mu": _scalar_state(1.0),
                "ax": _zeros_like(p)}

    def step(self, closure=None):
        """One ASGD step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _asgd)


def _rprop(group: dict, params: list, grads: list, states: list) -> None:
    """One Rprop step over a group, in place (torch.optim.Rprop): per-element step sizes follow the gradient's sign."""
    etaminus, etaplus = map(_to_scalar, group["etas"])
    lo, hi = map(_to_scalar, group["step_sizes"])
    for p, g, state in zip(params, grads, states):
        x, prev, size, step = p._data, state["prev"]._data, state["step_size"]._data, state["step"]._data
        xp = p._device.xp
        step += 1
        for b in _blocks(x):
            xb, prevb, sizeb = x[b], prev[b], size[b]
            gb = _grad(g[b], xb, group["maximize"], 0)
            sign = gb * prevb
            grew, shrank = sign > 0, sign < 0
            factor = xp.ones_like(gb)
            factor[grew] = etaplus
            factor[shrank] = etaminus
            sizeb *= factor
            xp.clip(sizeb, lo, hi, out=sizeb)
            gb = gb.copy()
            gb[shrank] = 0  # after a sign change the step is skipped and the next one starts afresh
            xb -= xp.sign(gb) * sizeb
            prevb[...] = gb


class Rprop(Optimizer):
    """The resilient backpropagation algorithm (torch.optim.Rprop)."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_common(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "prev": _zeros_like(p), "step_size": _full_like(p, _to_scalar(group["lr"]))}

    def step(self, closure=None):
        """One Rprop step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _rprop)
