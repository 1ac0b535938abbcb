"""Op declarations by family. Importing this package registers every op (ember.X, Tensor.X, operators)."""
from . import _registry
from . import pointwise, pointwise2, reduce, sort, shape, join, index, gather, creation, random, linalg, decomp, matfun, convert  # noqa: F401

EXPORTS = _registry.EXPORTS
REGISTRY = _registry.REGISTRY
