"""nn modules: Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout (torch.nn.modules.dropout).

Masks come from ember's default generator (ember.manual_seed): reproducible under a seed, but not torch's numbers.
"""
from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


def _dropout(name: str, fn, doc: str) -> type:
    return type(name, (_DropoutNd,), {"_fn": staticmethod(fn), "__doc__": doc, "__module__": __name__})


Dropout = _dropout("Dropout", F.dropout, "Zero elements with probability p in training, scaling the rest by "
                   "1 / (1 - p) (torch.nn.Dropout).")
Dropout1d = _dropout("Dropout1d", F.dropout1d, "Zero whole channels of (N, C, L) input (torch.nn.Dropout1d).")
Dropout2d = _dropout("Dropout2d", F.dropout2d, "Zero whole channels of (N, C, H, W) input (torch.nn.Dropout2d).")
Dropout3d = _dropout("Dropout3d", F.dropout3d, "Zero whole channels of (N, C, D, H, W) input (torch.nn.Dropout3d).")
AlphaDropout = _dropout("AlphaDropout", F.alpha_dropout, "Dropout that keeps SELU's self-normalising property "
                        "(torch.nn.AlphaDropout).")
FeatureAlphaDropout = _dropout("FeatureAlphaDropout", F.feature_alpha_dropout, "Alpha dropout of whole channels "
                               "(torch.nn.FeatureAlphaDropout).")
