"""safetensors for ember tensors (being written)."""
from __future__ import annotations
