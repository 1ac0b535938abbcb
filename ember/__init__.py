"""ember: a define-by-run deep-learning framework on NumPy that speaks PyTorch's API (``import ember as torch``)."""
from __future__ import annotations

__version__ = "0.1.0"

import warnings as _warnings

# NumPy warns on overflow, 0/0 and log(0) inside an op's forward; torch returns inf/nan silently, and so does ember.
# The filter matches warnings raised from ember's own modules only: the user's NumPy code keeps its warnings.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

from . import _malloc  # noqa: F401  (NOTE [ Keeping freed memory ]: before the first large array)
from . import _dtype
from ._dtype import (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, dtype, finfo, iinfo,
                     get_default_dtype, set_default_dtype, promote_types, can_cast)
from ._dtype import float16 as half, float32 as float, float64 as double, int16 as short, int32 as int, int64 as long
from .backends import device
from ._tensor import Tensor, Size
from ._printing import set_printoptions
from . import autograd
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled, is_inference_mode_enabled
from .autograd.anomaly_mode import is_anomaly_enabled, is_anomaly_check_nan_enabled, set_anomaly_enabled
from . import ops as _ops
from . import linalg
from . import cuda

globals().update(_ops.EXPORTS)
from .ops.convert import LEGACY_TYPES as _LEGACY  # noqa: E402

globals().update(_LEGACY)
del _LEGACY

from ._dtype import result_type  # noqa: E402,F811


def is_tensor(obj):
    """True for ember tensors (torch.is_tensor)."""
    return isinstance(obj, Tensor)


from . import random  # noqa: E402
from .random import Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state  # noqa: E402,E501

from . import nn, optim, utils  # noqa: E402
from . import serialization  # noqa: E402
from .serialization import *  # noqa: E402,F401,F403
globals().update(_ops.EXPORTS)  # torch-level functions composed in nn.functional (torch.layer_norm, ...)
