"""Report the environment ember runs in, for bug reports and install checks (torch.utils.collect_env).

    python -m ember.utils.collect_env

Optional packages are looked up by their installed metadata, not imported, so that the report is fast and works when
one of them is broken; only NumPy (for its BLAS) and CuPy (through ember.cuda, for the reason CUDA is unavailable)
are imported.
"""
from __future__ import annotations

import platform
import sys
from importlib import metadata

import numpy as np

# The packages pyproject.toml's extras bring: {label: distribution names to try, the first one found wins}.
OPTIONAL_PACKAGES = {
    "torch": ("torch",),
    "scikit-learn": ("scikit-learn",),
    "tqdm": ("tqdm",),
    "matplotlib": ("matplotlib",),
    "onnx": ("onnx",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "mpi4py": ("mpi4py",),
    "safetensors": ("safetensors",),
    "threadpoolctl": ("threadpoolctl",),
    "cupy": ("cupy", "cupy-cuda12x", "cupy-cuda13x"),
}


def _version(*distributions: str) -> str | None:
    """The installed version of the first distribution present, with its name when it is not the first one."""
    for name in distributions:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        return version if name == distributions[0] else f"{version} ({name})"
    return None


def _blas_info() -> str:
    """The BLAS NumPy uses: threadpoolctl's runtime view (library, version, threads) if available, else the build's."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        libs = [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads, "
                f"{i.get('threading_layer', 'unknown')} threading, {i.get('architecture', 'unknown')})"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        if libs:
            return "; ".join(libs)
    try:
        config = np.show_config(mode="dicts")  # NumPy >= 1.25
    except TypeError:
        return "unknown (install threadpoolctl or see numpy.show_config())"
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')} (build configuration)".replace("  ", " ")


def get_env_info() -> dict[str, str]:
    """The report's fields as {label: value}."""
    import ember
    from ember import cuda

    reason = cuda.unavailable_reason()
    info = {
        "ember version": ember.__version__,
        "ember location": ember.__path__[0],
        "Python version": f"{platform.python_version()} ({platform.python_implementation()}, "
                          f"{platform.architecture()[0]})",
        "Python executable": sys.executable,
        "Platform": platform.platform(),
        "Machine": platform.machine(),
        "NumPy version": np.__version__,
        "NumPy BLAS": _blas_info(),
        "ml_dtypes version": _version("ml_dtypes") or "not installed",
        "CUDA available": "yes" if cuda.is_available() else f"no: {reason}",
        "malloc tuning": "on (glibc keeps freed memory)" if ember._malloc.TUNED else
                         "off (not glibc, or EMBER_MALLOC_TUNING=0)",
    }
    for label, distributions in OPTIONAL_PACKAGES.items():
        info[label] = _version(*distributions) or "not installed"
    return info


def get_pretty_env_info() -> str:
    """The report as text, one `label: value` line each, optional packages grouped at the end."""
    info = get_env_info()
    width = max(map(len, info)) + 1
    lines = []
    for label, value in info.items():
        if label == next(iter(OPTIONAL_PACKAGES)):
            lines.append("\nOptional packages:")
        lines.append(f"{label + ':':<{width}} {value}")
    return "\n".join(lines)


def main() -> None:
    print("Collecting environment information...")
    print(get_pretty_env_info())


if __name__ == "__main__":
    main()
