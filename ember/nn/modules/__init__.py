"""Layers (torch.nn.modules)."""
from .module import Module  # noqa: F401
