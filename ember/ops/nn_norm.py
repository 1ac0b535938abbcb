"""Fused nn ops: nn_norm (being written)."""
from __future__ import annotations
