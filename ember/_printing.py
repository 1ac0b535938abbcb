"""Tensor repr in PyTorch's format: 4 decimals, a shared width, scientific notation for wide ranges, summarisation."""
from __future__ import annotations

import numpy as np

from . import _dtype as D

_OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (torch.set_printoptions)."""
    if profile == "default":
        _OPTIONS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _OPTIONS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _OPTIONS.update(precision=4, threshold=np.inf, edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if v is not None:
            _OPTIONS[k] = v
    _OPTIONS["sci_mode"] = sci_mode


def _float_formatter(values: np.ndarray):
    p = _OPTIONS["precision"]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        fmt = lambda x: f"{x:.0f}" if np.isfinite(x) else str(x).replace("inf", "inf")  # noqa: E731
    else:
        nonzero = np.abs(finite[finite != 0])
        integral = bool(np.all(finite == np.round(finite)))
        amax = float(nonzero.max()) if nonzero.size else 0.0
        amin = float(nonzero.min()) if nonzero.size else 0.0
        sci = _OPTIONS["sci_mode"]
        if integral and sci is not True:
            sci = amax > 1e8
            fmt = (lambda x: f"{x:.{p}e}") if sci else (lambda x: f"{x:.0f}." if np.isfinite(x) else _nonfinite(x))
        else:
            if sci is None:
                sci = amax > 0 and (amax / amin > 1000.0 or amax > 1e8 or amin < 1e-4)
            fmt = (lambda x: f"{x:.{p}e}" if np.isfinite(x) else _nonfinite(x)) if sci else \
                (lambda x: f"{x:.{p}f}" if np.isfinite(x) else _nonfinite(x))
    return fmt


def _nonfinite(x) -> str:
    return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (for the shared width)."""
    e = _OPTIONS["edgeitems"]
    if a.size <= _OPTIONS["threshold"] or a.ndim == 0:
        return a.ravel()
    idx = tuple(np.r_[0:min(e, n), max(n - e, min(e, n)):n] for n in a.shape)
    return a[np.ix_(*idx)].ravel()


def array_str(a: np.ndarray, prefix: str) -> str:
    if a.dtype == D.bfloat16.np or a.dtype == np.float16:
        a = a.astype(np.float32)
    shown = _summarized(a)
    if a.dtype.kind == "f":
        fmt = _float_formatter(shown.astype(np.float64))
    elif a.dtype.kind == "b":
        fmt = str
    else:
        fmt = str
    width = max((len(fmt(v)) for v in shown.tolist()), default=1)
    kind = "float_kind" if a.dtype.kind == "f" else ("bool" if a.dtype.kind == "b" else "int")
    return np.array2string(a, separator=", ", prefix=prefix, max_line_width=_OPTIONS["linewidth"],
                           threshold=_OPTIONS["threshold"], edgeitems=_OPTIONS["edgeitems"],
                           formatter={kind: lambda v: fmt(v).rjust(width)})


def tensor_repr(t, name: str = "tensor") -> str:
    a = t._data
    if t._device.type != "cpu":
        a = t._device.xp.asnumpy(a)
    prefix = name + "("
    suffix = []
    if t._device.type != "cpu":
        suffix.append(f"device='{t._device}'")
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffix.append(f"size={tuple(a.shape)}")
    else:
        body = array_str(a, prefix)
    dt = D.FROM_NP[a.dtype]
    if dt not in (D.get_default_dtype(), D.int64, D.bool) or (a.size == 0 and dt is not D.get_default_dtype()):
        suffix.append(f"dtype={dt}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"
