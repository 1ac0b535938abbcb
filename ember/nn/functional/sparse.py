"""nn.functional: sparse (being written)."""
__all__: list = []
