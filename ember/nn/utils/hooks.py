"""nn.utils: hooks (being written)."""
__all__: list = []
