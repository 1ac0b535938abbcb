"""The op table: every ``tests/oracle/opdb_*.py`` module contributes OPS (OpInfo rows), ERRORS (ErrorInput rows)
and UNTESTED (registered op name -> why it has no row)."""
from __future__ import annotations

import importlib
import pathlib

OPDB, ERRORS, UNTESTED = [], [], {}
for _path in sorted(pathlib.Path(__file__).parent.glob("opdb_*.py")):
    _mod = importlib.import_module(f"tests.oracle.{_path.stem}")
    OPDB += getattr(_mod, "OPS", [])
    ERRORS += getattr(_mod, "ERRORS", [])
    UNTESTED.update(getattr(_mod, "UNTESTED", {}))
