"""NOTE [ Keeping freed memory ]: glibc is tuned at import unless EMBER_MALLOC_TUNING=0; elsewhere nothing happens."""
import os
import subprocess
import sys

import pytest

from ember import _malloc


def _tuned_in_child(**env) -> str:
    code = "import ember; print(ember._malloc.TUNED)"
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(not _malloc._glibc(), reason="glibc only")
def test_glibc_is_tuned_at_import_and_can_be_turned_off():
    assert _tuned_in_child() == "True"
    assert _tuned_in_child(EMBER_MALLOC_TUNING="0") == "False"


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(_malloc, "_glibc", lambda: False)
    assert _malloc.tune() is False
