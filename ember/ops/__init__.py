"""Op declarations by family. Importing this package registers every op (ember.X, Tensor.X, operators)."""
from . import _registry
from . import pointwise, reduce, shape, index, creation, convert  # noqa: F401  (registration)

EXPORTS = _registry.EXPORTS
REGISTRY = _registry.REGISTRY
