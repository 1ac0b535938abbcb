"""README never lies: its Python tour runs and the quickstart example learns. (The first command's example,
digits_cnn.py, is run by tests/test_examples.py; the second command is .ci/run's.)"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_tour_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tour saves a checkpoint in the working directory
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README has no Python tour"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})


def test_quickstart_example_learns():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    w, b = map(float, re.search(r"learned w=(\S+) b=(\S+)", out).groups())
    assert abs(w - 3) < 0.1 and abs(b + 2) < 0.1, out
