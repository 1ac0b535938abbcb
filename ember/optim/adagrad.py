"""Per-element step sizes from accumulated squared gradients: Adagrad, Adadelta and RMSprop (torch.optim)."""
from __future__ import annotations

from .optimizer import (Optimizer, _addcdiv_, _blocks, _check, _check_common, _decay_sq_, _full_like, _grad, _lerp_,
                        _scalar_state, _to_scalar, _zeros_like)

__all__ = ["Adagrad", "Adadelta", "RMSprop"]


def _adagrad(group: dict, params: list, grads: list, states: list) -> None:
    """One Adagrad step over a group, in place (torch.optim.Adagrad)."""
    lr, lr_decay, eps, decay = (_to_scalar(group[k]) for k in ("lr", "lr_decay", "eps", "weight_decay"))
    for p, g, state in zip(params, grads, states):
        x, total, step = p._data, state["sum"]._data, state["step"]._data
        xp = p._device.xp
        step += 1
        clr = lr / (1 + (float(step) - 1) * lr_decay)
        for b in _blocks(x):
            xb, totalb = x[b], total[b]
            gb = _grad(g[b], xb, group["maximize"], decay)
            std = gb * gb
            totalb += std
            xp.sqrt(totalb, out=std)
            std += eps
            _addcdiv_(xp, xb, gb, std, -clr)


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad). As in torch, state is created for every parameter at construction, and
    parameters added later start from defaults['initial_accumulator_value']."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        _check_common(lr)
        _check(("lr_decay value", lr_decay, 0.0 <= lr_decay),
               ("weight_decay value", weight_decay, 0.0 <= weight_decay),
               ("initial_accumulator_value value", initial_accumulator_value, 0.0 <= initial_accumulator_value),
               ("epsilon value", eps, 0.0 <= eps))
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "sum": _full_like(p, self.defaults["initial_accumulator_value"])}

    def step(self, closure=None):
        """One Adagrad step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _adagrad)


def _adadelta(group: dict, params: list, grads: list, states: list) -> None:
    """One Adadelta step over a group, in place (torch.optim.Adadelta)."""
    lr, rho, eps, decay = (_to_scalar(group[k]) for k in ("lr", "rho", "eps", "weight_decay"))
    for p, g, state in zip(params, grads, states):
        x, step = p._data, state["step"]._data
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        xp = p._device.xp
        step += 1
        for b in _blocks(x):
            xb, sqb, accb = x[b], square_avg[b], acc_delta[b]
            gb = _grad(g[b], xb, group["maximize"], decay)
            tmp = xp.empty_like(xb)
            _decay_sq_(xp, sqb, gb, rho, tmp)
            std = xp.add(sqb, eps, out=tmp)
            xp.sqrt(std, out=std)
            delta = xp.add(accb, eps)
            xp.sqrt(delta, out=delta)
            delta /= std
            delta *= gb
            _decay_sq_(xp, accb, delta, rho, tmp)
            delta *= lr
            xb -= delta


class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta)."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_common(lr)
        _check(("rho value", rho, 0.0 <= rho <= 1.0), ("epsilon value", eps, 0.0 <= eps),
               ("weight_decay value", weight_decay, 0.0 <= weight_decay))
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "square_avg": _zeros_like(p), "acc_delta": _zeros_like(p)}

    def step(self, closure=None):
        """One Adadelta step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _adadelta)


def _rmsprop(group: dict, params: list, grads: list, states: list) -> None:
    """One RMSprop step over a group, in place (torch.optim.RMSprop)."""
    lr, alpha, eps, decay, momentum = (_to_scalar(group[k]) for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
    centered = group["centered"]
    for p, g, state in zip(params, grads, states):
        x, square_avg, step = p._data, state["square_avg"]._data, state["step"]._data
        grad_avg = state["grad_avg"]._data if centered else None
        buf = state["momentum_buffer"]._data if momentum > 0 else None
        xp = p._device.xp
        step += 1
        for b in _blocks(x):
            xb, sqb = x[b], square_avg[b]
            gb = _grad(g[b], xb, group["maximize"], decay)
            avg = xp.empty_like(xb)
            _decay_sq_(xp, sqb, gb, alpha, avg)
            if centered:
                gab = grad_avg[b]
                _lerp_(gab, gb, 1 - alpha, avg, xp)
                xp.multiply(gab, gab, out=avg)
                xp.subtract(sqb, avg, out=avg)
                xp.sqrt(avg, out=avg)
            else:
                xp.sqrt(sqb, out=avg)
            avg += eps
            if buf is not None:
                bb = buf[b]
                bb *= momentum
                xp.divide(gb, avg, out=avg)
                bb += avg
                xp.multiply(bb, lr, out=avg)
                xb -= avg
            else:
                _addcdiv_(xp, xb, gb, avg, -lr)


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop), optionally centered and with momentum."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_common(lr, eps)
        _check(("momentum value", momentum, 0.0 <= momentum),
               ("weight_decay value", weight_decay, 0.0 <= weight_decay),
               ("alpha value", alpha, 0.0 <= alpha))
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        state = {"step": _scalar_state(0.0), "square_avg": _zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = _zeros_like(p)
        return state

    def step(self, closure=None):
        """One RMSprop step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _rmsprop)
