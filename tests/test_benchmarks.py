"""The benchmark harness runs, and both frameworks compute the same loss (no timing assertions)."""
import math

import pytest

from benchmarks import WORKLOADS, measure
from benchmarks.harness import table


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workload_runs_and_losses_agree(name):
    r = measure(name, reps=1, warmup=0, threads=1, min_seconds=0.0)
    assert set(r.us_per_op) == {"ember", "torch"} and all(len(v) == 1 and v[0] > 0 for v in r.us_per_op.values())
    assert math.isfinite(r.loss["torch"]) and r.loss["ember"] != 0
    assert math.isclose(r.loss["ember"], r.loss["torch"], rel_tol=1e-4, abs_tol=1e-5)
    assert name in table([r])
