"""Fused nn ops: nn_rnn (being written)."""
from __future__ import annotations
