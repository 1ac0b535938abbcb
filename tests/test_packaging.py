"""ember builds as a pure-Python wheel that installs (numpy and ml_dtypes only) and imports in a fresh venv."""
import glob
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)], check=True,
                   timeout=300)
    (whl,) = glob.glob(str(out / "*.whl"))
    return pathlib.Path(whl)


def test_wheel_is_pure_python(wheel):
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert "ember/__init__.py" in names and "ember/nn/modules/module.py" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dll"))]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    required = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert sorted(r.split()[1].split(">")[0].split("=")[0].split(";")[0] for r in required) == ["ml_dtypes", "numpy"]


def test_wheel_installs_from_a_mirror_and_imports_in_a_fresh_venv(wheel, tmp_path):
    """README's mirror recipe: pip install --index-url <mirror>/simple, here a PEP 503 folder serving the wheel."""
    project = tmp_path / "simple" / "ember"
    project.mkdir(parents=True)
    (project / wheel.name).write_bytes(wheel.read_bytes())
    (project / "index.html").write_text(f'<html><body><a href="{wheel.name}">{wheel.name}</a></body></html>')
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    index = (tmp_path / "simple").as_uri()
    # numpy and ml_dtypes come from the machine's configured sources; ember only from the mirror
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--index-url", index, "ember==0.1.0"], check=True, timeout=600)
    code = ("import ember as torch; x = torch.ones(2, 3, requires_grad=True); (x * x).sum().backward(); "
            "print(torch.__version__, x.grad.sum().item())")
    out = subprocess.run([str(py), "-c", code], check=True, capture_output=True, text=True, timeout=120,
                         cwd=tmp_path).stdout
    assert out.split() == ["0.1.0", "12.0"], out
