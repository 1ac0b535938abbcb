"""The CUDA backend: CuPy, imported lazily. The only module of ember that imports cupy."""
from __future__ import annotations


def unavailable_reason() -> str | None:
    """None when CuPy imports and sees a GPU, otherwise why not, in words."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'ember[cuda12]' or 'ember[cuda13]')"
    except Exception as e:  # a broken CUDA install raises arbitrary errors at import
        return f"CuPy failed to import: {e}"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return f"CUDA runtime error: {e}"
    return None if n > 0 else "no CUDA GPU is visible"


def xp():
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"CUDA is not available: {reason}")
    raise RuntimeError("CUDA tensors are not supported yet: the CUDA backend lands with the CUDA issue")
