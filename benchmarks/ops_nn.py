"""Fused-op benchmark lines (ops_nn): workloads registered into WORKLOADS (being written)."""
from __future__ import annotations

from .workloads import WORKLOADS  # noqa: F401
