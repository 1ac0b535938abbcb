"""ember.linalg: linear algebra (torch.linalg)."""
from __future__ import annotations

from .ops._registry import LinAlgError  # noqa: F401
