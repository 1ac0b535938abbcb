"""nn modules: BatchNorm1d/2d/3d and the base they share with InstanceNorm (torch.nn.modules.batchnorm)."""
from __future__ import annotations

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.creation import ones, tensor, zeros
from .. import functional as F
from .. import init
from .module import Module, register_weight_bias

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Parameters (weight, bias), running statistics and their state_dict versioning (torch's _NormBase)."""

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_weight_bias(self, num_features, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=D.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        # checkpoints from before num_batches_tracked existed (version < 2) load with the current count (or 0)
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                                   else tensor(0, dtype=D.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            # momentum=None: a cumulative moving average, each batch weighted 1 / (batches seen)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_running else None,
                            self.running_var if use_running else None, self.weight, self.bias, training, factor,
                            self.eps)


def _batch_norm(name: str, dims: tuple, doc: str) -> type:
    want = " or ".join(f"{d}D" for d in dims)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in dims:
            raise ValueError(f"expected {want} input (got {input.dim()}D input)")
    return type(name, (_BatchNorm,), {"_check_input_dim": _check_input_dim, "__doc__": doc, "__module__": __name__})


BatchNorm1d = _batch_norm("BatchNorm1d", (2, 3), "Batch normalisation of (N, C) or (N, C, L) input "
                          "(torch.nn.BatchNorm1d).")
BatchNorm2d = _batch_norm("BatchNorm2d", (4,), "Batch normalisation of (N, C, H, W) input (torch.nn.BatchNorm2d).")
BatchNorm3d = _batch_norm("BatchNorm3d", (5,), "Batch normalisation of (N, C, D, H, W) input "
                          "(torch.nn.BatchNorm3d).")
