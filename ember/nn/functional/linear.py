"""nn.functional: linear and bilinear maps."""
from __future__ import annotations

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops._registry import export
from ...ops.nn_norm import linear as _linear

__all__ = ["linear", "bilinear"]

linear = _linear.public


def _check_bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    if not (input1.dtype == input2.dtype == weight.dtype) or (bias is not None and bias.dtype != weight.dtype):
        names = ", ".join(f"{n}: {D.to_dtype(t.dtype).name}" for n, t in
                          (("input1", input1), ("input2", input2), ("weight", weight), ("bias", bias)) if t is not None)
        raise RuntimeError(f"All tensors must have the same dtype, got {names.replace('float32', 'float')}"
                           .replace("float64", "double"))
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} "
                               f"and {input2.shape[i]}")
    for k, t in ((1, input1), (2, input2)):
        if t.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got {t.shape[-1]} but "
                               f"expected {weight.shape[k]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but expected "
                           f"{weight.shape[0]}")


@export(method=False)
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x1^T A x2 + b for each out feature, with weight A of shape (out, in1, in2) (torch.nn.functional.bilinear)."""
    _check_bilinear(input1, input2, weight, bias)
    n_out, n1, n2 = weight.shape
    # one GEMM: x1 (N, in1) @ A as (in1, out * in2), then a product with x2 summed over in2
    t = input1.reshape(-1, n1) @ weight.transpose(0, 1).reshape(n1, n_out * n2)
    y = (t.reshape(-1, n_out, n2) * input2.reshape(-1, 1, n2)).sum(-1)
    y = y.reshape(input1.shape[:-1] + (n_out,))
    return y if bias is None else y + bias
