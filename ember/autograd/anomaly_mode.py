"""Anomaly mode (torch.autograd.detect_anomaly, set_detect_anomaly): NaN checks on every backward result.

Every node records the user's forward line, always; anomaly mode adds the check that no backward function returns
NaN, raising with the node's name and that line. Unlike torch's process-wide flag, the mode is thread-local here,
like the grad modes.
"""
from __future__ import annotations

import warnings

from .grad_mode import STATE


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (torch.is_anomaly_enabled)."""
    return STATE.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for NaN (torch.is_anomaly_check_nan_enabled)."""
    return STATE.anomaly_check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (torch.set_anomaly_enabled)."""
    STATE.anomaly = bool(enabled)
    STATE.anomaly_check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager that turns anomaly detection on inside its block (torch.autograd.detect_anomaly)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = STATE.anomaly
        self.check_nan = check_nan
        self.prev_check_nan = STATE.anomaly_check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off, as a call or for a with-block (torch.autograd.set_detect_anomaly)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = STATE.anomaly
        self.prev_check_nan = STATE.anomaly_check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
