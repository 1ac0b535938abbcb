"""ember.nn.utils (torch.nn.utils)."""
from . import rnn, parametrize, parametrizations  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
