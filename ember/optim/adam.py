"""The Adam family: Adam, AdamW, Adamax, NAdam and RAdam, with torch.optim's operation order (so trajectories agree
to float32 rounding): the step is counted before use, bias corrections are Python floats, eps is added after the
bias-corrected square root."""
from __future__ import annotations

from .._tensor import Tensor
from .optimizer import (Optimizer, _addcdiv_, _blocks, _check_common, _decay_sq_, _grad, _lerp_, _scalar_state,
                        _to_scalar, _zeros_like)

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


def _moments(xp, g, m, v, beta1: float, beta2: float, tmp) -> None:
    """m.lerp_(g, 1 - beta1); v = v * beta2 + (1 - beta2) * g * g, in place (tmp is scratch)."""
    _lerp_(m, g, 1 - beta1, tmp, xp)
    _decay_sq_(xp, v, g, beta2, tmp)


def _adam(group: dict, params: list, grads: list, states: list) -> None:
    """One Adam/AdamW step over a group, in place (torch.optim.Adam, AdamW)."""
    lr, eps, decay = (_to_scalar(group[k]) for k in ("lr", "eps", "weight_decay"))
    beta1, beta2 = map(_to_scalar, group["betas"])
    amsgrad, maximize = group["amsgrad"], group["maximize"]
    decoupled = lr if group["decoupled_weight_decay"] else None
    for p, g, state in zip(params, grads, states):
        x, m, v, step = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data, state["step"]._data
        vmax = state["max_exp_avg_sq"]._data if amsgrad else None
        xp = p._device.xp
        step += 1
        k = float(step)
        step_size = lr / (1 - beta1 ** k)
        bias_correction2_sqrt = (1 - beta2 ** k) ** 0.5
        for b in _blocks(x):
            xb, mb, vb = x[b], m[b], v[b]
            gb = _grad(g[b], xb, maximize, decay, decoupled)
            tmp = xp.empty_like(xb)
            _moments(xp, gb, mb, vb, beta1, beta2, tmp)
            if amsgrad:
                vb = xp.maximum(vmax[b], vb, out=vmax[b])
            denom = xp.sqrt(vb, out=tmp)
            denom /= bias_correction2_sqrt
            denom += eps
            _addcdiv_(xp, xb, mb, denom, -step_size)


class Adam(Optimizer):
    """Adam (torch.optim.Adam); decoupled_weight_decay=True is AdamW. capturable, foreach, fused and
    differentiable are accepted and have no effect (there is one implementation, on arrays)."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_common(lr, eps, betas, weight_decay)
        if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _init_state(self, p, group):
        state = {"step": _scalar_state(0.0), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_like(p)
        return state

    def step(self, closure=None):
        """One Adam step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _adam)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _adamax(group: dict, params: list, grads: list, states: list) -> None:
    """One Adamax step over a group, in place (torch.optim.Adamax): the second moment is an infinity norm."""
    lr, eps, decay = (_to_scalar(group[k]) for k in ("lr", "eps", "weight_decay"))
    beta1, beta2 = map(_to_scalar, group["betas"])
    for p, g, state in zip(params, grads, states):
        x, m, u, step = p._data, state["exp_avg"]._data, state["exp_inf"]._data, state["step"]._data
        xp = p._device.xp
        step += 1
        clr = lr / (1 - beta1 ** float(step))
        for b in _blocks(x):
            xb, mb, ub = x[b], m[b], u[b]
            gb = _grad(g[b], xb, group["maximize"], decay)
            tmp = xp.empty_like(xb)
            _lerp_(mb, gb, 1 - beta1, tmp, xp)
            ub *= beta2
            xp.abs(gb, out=tmp)
            tmp += eps
            xp.maximum(ub, tmp, out=ub)
            _addcdiv_(xp, xb, mb, ub, -clr)


class Adamax(Optimizer):
    """Adamax, Adam with an infinity-norm second moment (torch.optim.Adamax)."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_common(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "exp_avg": _zeros_like(p), "exp_inf": _zeros_like(p)}

    def step(self, closure=None):
        """One Adamax step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _adamax)


def _nadam(group: dict, params: list, grads: list, states: list) -> None:
    """One NAdam step over a group, in place (torch.optim.NAdam): Adam with Nesterov momentum and a momentum
    schedule whose running product is state['mu_product'] (a float32 scalar, rounded as torch rounds it)."""
    lr, eps, decay, momentum_decay = (_to_scalar(group[k]) for k in ("lr", "eps", "weight_decay", "momentum_decay"))
    beta1, beta2 = map(_to_scalar, group["betas"])
    decoupled = lr if group["decoupled_weight_decay"] else None
    for p, g, state in zip(params, grads, states):
        x, m, v, step = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data, state["step"]._data
        mu_product = state["mu_product"]._data
        xp = p._device.xp
        step += 1
        k = float(step)
        bias_correction2 = 1 - beta2 ** k
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (k * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((k + 1) * momentum_decay)))
        mu_product *= mu
        product = float(mu_product)
        grad_scale, avg_scale = -lr * (1.0 - mu) / (1.0 - product), (-lr * mu_next) / (1.0 - product * mu_next)
        for b in _blocks(x):
            xb, mb, vb = x[b], m[b], v[b]
            gb = _grad(g[b], xb, group["maximize"], decay, decoupled)
            tmp = xp.empty_like(xb)
            _moments(xp, gb, mb, vb, beta1, beta2, tmp)
            denom = xp.divide(vb, bias_correction2, out=tmp)
            xp.sqrt(denom, out=denom)
            denom += eps
            _addcdiv_(xp, xb, gb, denom, grad_scale)
            _addcdiv_(xp, xb, mb, denom, avg_scale)


class NAdam(Optimizer):
    """NAdam, Adam with Nesterov momentum (torch.optim.NAdam); decoupled_weight_decay=True is NAdamW."""

    _scalar_state_keys = ("step", "mu_product")

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_common(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "mu_product": _scalar_state(1.0), "exp_avg": _zeros_like(p),
                "exp_avg_sq": _zeros_like(p)}

    def step(self, closure=None):
        """One NAdam step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _nadam)


def _radam(group: dict, params: list, grads: list, states: list) -> None:
    """One RAdam step over a group, in place (torch.optim.RAdam): the adaptive term is used only once the variance
    of the adaptive learning rate is tractable (rho_t > 5)."""
    lr, eps, decay = (_to_scalar(group[k]) for k in ("lr", "eps", "weight_decay"))
    beta1, beta2 = map(_to_scalar, group["betas"])
    decoupled = lr if group["decoupled_weight_decay"] else None
    rho_inf = 2 / (1 - beta2) - 1
    for p, g, state in zip(params, grads, states):
        x, m, v, step = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data, state["step"]._data
        xp = p._device.xp
        step += 1
        k = float(step)
        bias_correction1, bias_correction2 = 1 - beta1 ** k, 1 - beta2 ** k
        rho_t = rho_inf - 2 * k * (beta2 ** k) / bias_correction2
        rect = None
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        for b in _blocks(x):
            xb, mb, vb = x[b], m[b], v[b]
            gb = _grad(g[b], xb, group["maximize"], decay, decoupled)
            tmp = xp.empty_like(xb)
            _moments(xp, gb, mb, vb, beta1, beta2, tmp)
            update = xp.divide(mb, bias_correction1)
            update *= lr
            if rect is not None:
                xp.sqrt(vb, out=tmp)
                tmp += eps
                xp.divide(bias_correction2 ** 0.5, tmp, out=tmp)
                update *= tmp
                update *= rect
            xb -= update


class RAdam(Optimizer):
    """Rectified Adam (torch.optim.RAdam); decoupled_weight_decay=True is RAdamW."""

    _scalar_state_keys = ("step",)

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        _check_common(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _scalar_state(0.0), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}

    def step(self, closure=None):
        """One RAdam step; closure, when given, re-evaluates the loss under enable_grad and its value is returned."""
        return self._update_groups(closure, _radam)
