"""ember.optim: optimizers (torch.optim) and learning-rate schedulers (ember.optim.lr_scheduler)."""
from .adagrad import Adadelta, Adagrad, RMSprop
from .adam import Adam, Adamax, AdamW, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import ASGD, SGD, Rprop
from . import lr_scheduler  # noqa: E402  (after the optimizers: schedulers may import them from the package)

__all__ = ["Optimizer", "SGD", "ASGD", "Rprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta",
           "RMSprop", "LBFGS", "lr_scheduler"]
