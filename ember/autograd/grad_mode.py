"""Grad modes (torch.no_grad, enable_grad, set_grad_enabled, inference_mode), thread-local as in PyTorch."""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    grad_enabled = True
    inference = False
    anomaly = False
    anomaly_check_nan = True


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _Mode:
    """A context manager that is also a decorator, as torch's grad modes are."""

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:  # a bare decorator: @no_grad, @inference_mode
            return cls()(args[0])
        return super().__new__(cls)

    def __call__(self, fn):
        if isinstance(fn, type):
            raise TypeError(f"{type(self).__name__} can only decorate functions, not classes")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_Mode):
    """Disable gradient recording inside the block (torch.no_grad)."""

    def __enter__(self):
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = False

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev


class enable_grad(_Mode):
    """Enable gradient recording inside the block (torch.enable_grad)."""

    def __enter__(self):
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = True

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev


class set_grad_enabled(_Mode):
    """Set gradient recording on or off; works as a function, a context manager or a decorator (torch.set_grad_enabled)."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = self.mode

    def __call__(self, fn):
        STATE.grad_enabled = self.prev  # used as a decorator: the mode applies only inside the calls
        return super().__call__(fn)

    def __enter__(self):
        STATE.grad_enabled = self.mode

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev

    def clone(self):
        return type(self)(self.mode)


class inference_mode(_Mode):
    """Like no_grad (torch.inference_mode); ember has no separate inference tensors, so it only disables recording."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = (STATE.grad_enabled, STATE.inference)
        if self.mode:
            STATE.grad_enabled, STATE.inference = False, True

    def __exit__(self, *exc):
        STATE.grad_enabled, STATE.inference = self.prev

    def clone(self):
        return type(self)(self.mode)
