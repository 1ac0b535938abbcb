"""ember.utils (torch.utils)."""
from . import checkpoint  # noqa: F401
