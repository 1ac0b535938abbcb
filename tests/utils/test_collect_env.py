"""python -m ember.utils.collect_env reports what a bug report needs, with values that match this interpreter."""
import os
import pathlib
import platform
import re
import subprocess
import sys
from importlib import metadata

import numpy as np

import ember
from ember.utils import collect_env

ROOT = pathlib.Path(__file__).resolve().parents[2]


def fields(text: str) -> dict:
    return dict(m.groups() for m in re.finditer(r"^([^:\n]+): +(.*)$", text, re.M))


def test_module_runs_and_reports_the_environment():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-m", "ember.utils.collect_env"], capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no warnings (e.g. runpy's "found in sys.modules") on a plain run
    info = fields(proc.stdout)
    assert info["ember version"] == ember.__version__
    assert info["Python version"].startswith(platform.python_version())
    assert info["NumPy version"] == np.__version__
    assert info["ml_dtypes version"] == metadata.version("ml_dtypes")
    assert info["NumPy BLAS"] and "unknown" not in info["NumPy BLAS"].split()[0], info["NumPy BLAS"]
    assert info["Platform"] == platform.platform()
    # CUDA: yes, or no with the reason ember.cuda gives
    if ember.cuda.is_available():
        assert info["CUDA available"] == "yes"
    else:
        assert info["CUDA available"] == f"no: {ember.cuda.unavailable_reason()}"
    assert info["malloc tuning"].startswith("on" if ember._malloc.TUNED else "off")
    for name in ("torch", "scikit-learn", "tqdm", "matplotlib", "onnx", "onnxruntime", "mpi4py", "safetensors"):
        assert name in info, f"{name} missing from the report:\n{proc.stdout}"
        try:
            expected = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = "not installed"
        assert info[name] == expected, (name, info[name])


def test_get_pretty_env_info_is_the_printed_text(capsys):
    text = collect_env.get_pretty_env_info()
    assert isinstance(text, str) and "ember version:" in text and "Optional packages:" in text
    collect_env.main()
    assert text in capsys.readouterr().out


def test_missing_package_reads_not_installed():
    assert collect_env._version("no-such-distribution-ember-test") is None
    assert collect_env._version("no-such-distribution-ember-test", "numpy") == f"{np.__version__} (numpy)"
