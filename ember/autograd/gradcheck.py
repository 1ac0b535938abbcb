"""gradcheck and gradgradcheck: analytical gradients against central finite differences (torch.autograd.gradcheck)."""
from __future__ import annotations

import numpy as np



class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients differ (torch.autograd.GradcheckError)."""


def _tensors(x):
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _outputs(func, inputs):
    from .._tensor import Tensor
    out = func(*inputs)
    outs = (out,) if isinstance(out, Tensor) else tuple(o for o in out if isinstance(o, Tensor))
    return outs


def _numerical(func, inputs, diff_idx, outs, eps):
    """One Jacobian block per (input, output): d out.flatten() / d input.flatten(), by central differences."""
    jac = []
    for i in diff_idx:
        x = inputs[i]
        flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck needs contiguous inputs")
        blocks = [np.zeros((x._data.size, o._data.size)) for o in outs]
        for k in range(x._data.size):
            orig = flat[k].item()
            flat[k] = orig + eps  # array writes: the function itself may need autograd (gradgradcheck)
            plus = [o._data.astype(np.float64).ravel().copy() for o in _outputs(func, inputs)]
            flat[k] = orig - eps
            minus = [o._data.astype(np.float64).ravel().copy() for o in _outputs(func, inputs)]
            flat[k] = orig
            for b, p, m in zip(blocks, plus, minus):
                b[k] = (p - m) / (2 * eps)
        jac.append(blocks)
    return jac


def _analytical(inputs, diff_idx, outs):
    from . import grad as autograd_grad
    from .._tensor import Tensor
    jac = [[np.zeros((inputs[i]._data.size, o._data.size)) for o in outs] for i in diff_idx]
    for j, o in enumerate(outs):
        if not o._requires_grad:
            continue
        for k in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[k] = 1
            gs = autograd_grad(o, [inputs[i] for i in diff_idx], Tensor._make(seed.reshape(o._data.shape)),
                               retain_graph=True, allow_unused=True)
            for n, g in enumerate(gs):
                if g is not None:
                    jac[n][j][:, k] = g._data.astype(np.float64).ravel()
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False, fast_mode: bool = False,
              masked=None) -> bool:
    """Compare analytical gradients of func at inputs with finite differences; inputs should be float64."""
    inputs = _tensors(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if getattr(t, "_requires_grad", False)]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    outs = _outputs(func, inputs)
    analytical = _analytical(inputs, diff_idx, outs)
    numerical = _numerical(func, inputs, diff_idx, outs, eps)
    for n, i in enumerate(diff_idx):
        for j in range(len(outs)):
            a, num = analytical[n][j], numerical[n][j]
            if not np.allclose(a, num, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {j} with respect to input {i},\n"
                                     f"numerical:{num}\nanalytical:{a}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """gradcheck of the first derivative: second derivatives against finite differences of the first."""
    from . import grad as autograd_grad
    from .._tensor import Tensor
    inputs = _tensors(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_()
                             for o in outs)
    grad_outputs = _tensors(grad_outputs)
    n_in = len(inputs)
    diff = [t for t in inputs if getattr(t, "_requires_grad", False)]

    def first(*args):
        xs, gos = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(func, xs) if o._requires_grad]
        gs = autograd_grad(outs, [t for t in xs if getattr(t, "_requires_grad", False)], gos[:len(outs)],
                           create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    del diff
    return gradcheck(first, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
