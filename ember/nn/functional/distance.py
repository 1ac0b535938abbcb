"""nn.functional: distances and similarities, composed from ember ops (also ember.cosine_similarity, ...)."""
from __future__ import annotations

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import creation
from ...ops._registry import export
from ...ops.join import broadcast_tensors

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def _broadcast(x1: Tensor, x2: Tensor) -> tuple:
    a, b = tuple(x1.shape), tuple(x2.shape)
    if a == b:
        return x1, x2
    n = max(len(a), len(b))
    for i in range(1, n + 1):
        x, y = (a[-i] if i <= len(a) else 1), (b[-i] if i <= len(b) else 1)
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {n - i}")
    return broadcast_tensors(x1, x2)


@export(method=False)
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along dim, after broadcasting (torch.nn.functional.cosine_similarity).

    As in torch, each input is divided by its own norm first (the result stays in [-1, 1]), and the norms are clamped
    at eps without that clamp entering the gradient.
    """
    common = D.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_cname(common)}")
    x1, x2 = x1.to(common), x2.to(common)
    x1, x2 = _broadcast(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _cname(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(
        str(dt).split(".")[-1], str(dt))


@export(method=False)
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """p-norm of x1 - x2 + eps over the last dim (torch.nn.functional.pairwise_distance)."""
    dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim=keepdim)


@export(method=False)
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """p-norm distance between each pair of rows i < j of a 2-D input, in row-major order (torch.pdist)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = creation.triu_indices(input.shape[0], input.shape[0], 1, device=input.device)
    return (input[i] - input[j]).norm(p, 1)
