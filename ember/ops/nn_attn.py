"""Fused nn ops: nn_attn (being written)."""
from __future__ import annotations
