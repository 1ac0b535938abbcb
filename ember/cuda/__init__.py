"""ember.cuda: CUDA availability (torch.cuda). The CUDA backend itself lands with its own issue; until then CUDA
tensors raise a RuntimeError that says why."""
from __future__ import annotations

from ..backends import cuda as _backend


def unavailable_reason() -> str | None:
    """Why CUDA cannot be used here, or None. ember-only: torch.cuda.is_available() gives no reason."""
    return _backend.unavailable_reason() or "the CUDA backend is not implemented yet"


def is_available() -> bool:
    """False: CuPy is missing, no GPU is visible, or the backend is not implemented yet (see unavailable_reason)."""
    return False


def device_count() -> int:
    return 0


def current_device() -> int:
    raise RuntimeError(f"CUDA is not available: {unavailable_reason()}")


def synchronize(device=None) -> None:
    current_device()


def manual_seed(seed: int) -> None:
    """Accepted and ignored while there is no CUDA backend (torch.cuda.manual_seed is a no-op without a GPU too)."""


manual_seed_all = manual_seed
