"""Tensor repr in PyTorch's format (torch/_tensor_str.py): one shared width, 4 decimals, '1.' for integral floats,
scientific notation for wide ranges, summarisation past `threshold` elements, and PyTorch's suffixes."""
from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype as D

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {"default": _DEFAULTS, "short": {**_DEFAULTS, "precision": 2, "edgeitems": 2},
             "full": {**_DEFAULTS, "threshold": math.inf}}
OPTIONS = {**_DEFAULTS, "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (torch.set_printoptions); sci_mode is reset to automatic unless given, as in torch."""
    if profile is not None:
        OPTIONS.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            OPTIONS[key] = value
    OPTIONS["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for set_printoptions (torch._tensor_str.get_printoptions)."""
    return dict(OPTIONS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a with block (torch._tensor_str.printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one format and width for all shown elements, from the values torch looks at (nonzero, finite)."""

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f" or a.dtype == D.bfloat16.np
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = OPTIONS["precision"]
        if not self.floating:
            self.width = max((len(str(v)) for v in np.unique(a).tolist()), default=1)
            return
        a = a.astype(np.float64).ravel()
        vals = a[np.isfinite(a) & (a != 0)]
        if vals.size == 0:
            return
        vals = np.unique(vals)
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        sci = OPTIONS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if sci is None else sci
        if self.sci_mode:
            spec, extra = f".{p}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # the trailing '.'
        else:
            spec, extra = f".{p}f", 0
        self.width = max(len(format(v, spec)) for v in vals.tolist()) + extra

    def format(self, value) -> str:
        if not self.floating:
            s = str(value)
        elif self.sci_mode:
            s = f"{value:{self.width}.{OPTIONS['precision']}e}"
        elif self.int_mode:
            s = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            s = f"{value:.{OPTIONS['precision']}f}"
        return s.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (torch's get_summarized_data), for the formatter."""
    e = OPTIONS["edgeitems"]
    if not e and a.ndim > 1:
        return a[(slice(0, 0),) * a.ndim]
    idx = [np.r_[0:e, n - e:n] if n > 2 * e else np.arange(n) for n in a.shape]
    return a[np.ix_(*idx)] if a.ndim else a


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((OPTIONS["linewidth"] - indent) / (fmt.width + 2)))
    e = OPTIONS["edgeitems"]
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = OPTIONS["edgeitems"]
    if summarize and a.shape[0] > 2 * e:
        rows = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
               [_array_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0] - e, a.shape[0])]
    else:
        rows = [_array_str(r, indent + 1, summarize, fmt) for r in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def array_str(a: np.ndarray, indent: int = 0) -> str:
    """The bracketed body of a tensor's repr (torch's _tensor_str)."""
    if a.size == 0:
        return "[]"
    if a.dtype.kind == "f" or a.dtype == D.bfloat16.np:
        a = a.astype(np.float64)  # exact for float16/bfloat16/float32: the Python floats torch formats
    summarize = a.size > OPTIONS["threshold"]
    return _array_str(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))


def _add_suffixes(body: str, suffixes: list, indent: int) -> str:
    parts = [body]
    last = len(body) - body.rfind("\n") + 1  # torch's count, off by two on the first line
    for s in suffixes:
        if last + len(s) + 2 > OPTIONS["linewidth"]:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    return "".join(parts) + ")"


def tensor_repr(t, tensor_contents: str | None = None) -> str:
    """repr(t) as PyTorch prints it, with ember.<dtype>; a subclass outside ember prints its class name."""
    cls = type(t)
    prefix = "tensor(" if cls.__module__.startswith("ember") else cls.__name__ + "("
    indent = len(prefix)
    a = t._data
    if t._device.type != "cpu":
        a = t._device.xp.asnumpy(a)
    dt = D.FROM_NP[a.dtype]
    default = D.get_default_dtype()
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not default:
            suffixes.append(f"dtype={dt}")
        body = "[]"
    else:
        if not OPTIONS["edgeitems"]:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt not in (default, D.int64, D.bool):
            suffixes.append(f"dtype={dt}")
        body = array_str(a, indent)
    if tensor_contents is not None:
        body = tensor_contents
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
