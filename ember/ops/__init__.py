"""Op declarations by family. Importing this package registers every op (ember.X, Tensor.X, operators)."""
from . import _registry
from . import pointwise, pointwise2, reduce, sort, shape, join, index, gather, creation, random  # noqa: F401
from . import linalg, decomp, matfun, convert  # noqa: F401
from . import nn_act, nn_loss, nn_conv, nn_pool, nn_norm, nn_rnn, nn_attn  # noqa: F401  (fused nn ops)

EXPORTS = _registry.EXPORTS
REGISTRY = _registry.REGISTRY
