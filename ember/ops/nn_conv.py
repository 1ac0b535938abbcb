"""Fused nn ops: nn_conv (being written)."""
from __future__ import annotations
