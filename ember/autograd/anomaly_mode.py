"""autograd anomaly_mode (being written)."""
from __future__ import annotations
