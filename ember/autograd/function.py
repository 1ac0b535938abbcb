"""autograd function (being written)."""
from __future__ import annotations
