"""Fused nn ops: nn_act (being written)."""
from __future__ import annotations
