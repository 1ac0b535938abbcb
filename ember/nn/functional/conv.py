"""nn.functional: conv (being written)."""
__all__: list = []
