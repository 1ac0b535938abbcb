"""Layer oracle: build the same layer in torch and ember, copy torch's weights into ember through state_dict, run
the same inputs, and compare outputs, input gradients and parameter gradients."""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

import ember
from tests.oracle.core import OpInfo, compare, flatten, to_ember, to_torch, torch_to_numpy


def ember_state(tmod) -> dict:
    """torch state_dict -> dict of ember tensors (same names, same values and dtypes)."""
    return {k: ember.tensor(torch_to_numpy(v)) if v.dtype != torch.bfloat16 else
            ember.tensor(torch_to_numpy(v), dtype=ember.bfloat16) for k, v in tmod.state_dict().items()}


def copy_weights(emod, tmod) -> None:
    emod.load_state_dict(ember_state(tmod))


def _inputs(m, arrays, grad):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            rg = grad and a.dtype.kind == "f"
            out.append(to_ember(a, rg) if m is ember else to_torch(a, rg))
        else:
            out.append(a)
    return out


def check_module(make, arrays, *, train: bool = True, grad: bool = True, atol: float = 1e-5, rtol: float = 1e-4,
                 grad_atol: float | None = None, call=None, seed: int = 0, dtype=None):
    """make(m) builds the layer with m = torch or ember; arrays are numpy inputs (float ones get requires_grad).

    call(module, *inputs) runs it (default: module(*inputs)). Returns (ember module, torch module).
    """
    torch.manual_seed(seed)
    tmod = make(torch)
    emod = make(ember)
    if dtype is not None:
        tmod = tmod.to(getattr(torch, dtype))
        emod = emod.to(getattr(ember, dtype))
    copy_weights(emod, tmod)
    tmod.train(train)
    emod.train(train)
    call = call or (lambda mod, *xs: mod(*xs))
    t_in = _inputs(torch, arrays, grad)
    e_in = _inputs(ember, arrays, grad)
    t_out = call(tmod, *t_in)
    e_out = call(emod, *e_in)
    info = OpInfo("module", None, [], atol=atol, rtol=rtol)
    compare(e_out, t_out, "float32", info)
    if not grad:
        return emod, tmod
    t_outs = [o for o in flatten(t_out) if isinstance(o, torch.Tensor) and o.requires_grad]
    e_outs = [o for o in flatten(e_out) if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(t_outs) == len(e_outs), f"{len(e_outs)} ember outputs require grad, torch {len(t_outs)}"
    if not t_outs:
        return emod, tmod
    rng = np.random.default_rng(seed)
    cots = [rng.uniform(-1, 1, tuple(o.shape)).astype(torch_to_numpy(o).dtype) for o in t_outs]
    torch.autograd.backward(t_outs, [to_torch(c) for c in cots])
    ember.autograd.backward(e_outs, [to_ember(c) for c in cots])
    ginfo = dataclasses.replace(info, atol=grad_atol if grad_atol is not None else atol * 10, rtol=rtol * 10)
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert (e.grad is None) == (t.grad is None), f"input {i}: ember grad {e.grad is not None}, torch {t.grad}"
            if t.grad is not None:
                compare(e.grad, t.grad, "float32", ginfo, what=f"grad of input {i}")
    e_params = dict(emod.named_parameters())
    for name, tp in tmod.named_parameters():
        assert name in e_params, f"ember has no parameter {name}"
        ep = e_params[name]
        assert (ep.grad is None) == (tp.grad is None), f"{name}: ember grad {ep.grad is not None}, torch {tp.grad is not None}"
        if tp.grad is not None:
            compare(ep.grad, tp.grad, "float32", ginfo, what=f"grad of {name}")
    assert list(e_params) == [n for n, _ in tmod.named_parameters()], "parameter names or order differ from torch"
    return emod, tmod
