"""The benchmark harness runs, every framework computes the same loss, and the RSS child measures (no timing
assertions)."""
import math

import pytest

from benchmarks import WORKLOADS, measure
from benchmarks._rss import high_water
from benchmarks.harness import build, measure_rss, table, thread_limits
from benchmarks.numpy_ref import NUMPY_REF


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workload_runs_and_losses_agree(name):
    r = measure(name, reps=1, warmup=0, threads=1, min_seconds=0.0)
    fws = {"ember", "torch", "numpy"} if name in NUMPY_REF else {"ember", "torch"}
    assert set(r.us_per_op) == fws and all(len(v) == 1 and v[0] > 0 for v in r.us_per_op.values())
    assert math.isfinite(r.loss["torch"]) and r.loss["ember"] != 0
    assert math.isclose(r.loss["ember"], r.loss["torch"], rel_tol=1e-4, abs_tol=1e-5)
    if name in NUMPY_REF:
        assert math.isclose(r.loss["numpy"], r.loss["torch"], rel_tol=1e-5)
    assert name in table([r])


@pytest.mark.parametrize("name", ["mlp", "mlp_infer", "lenet", "lenet_infer"])
def test_numpy_reference_follows_torch_over_steps(name):
    # the first loss only checks the forward; the later ones check the backward and the optimizer too
    with thread_limits(1):
        steps = [build(name, fw)[0] for fw in ("numpy", "torch")]
        for _ in range(3):
            ref, expected = (step() for step in steps)
            assert math.isclose(ref, expected, rel_tol=1e-5)


@pytest.mark.skipif(high_water() is None, reason="no peak-RSS measure on this platform")
def test_rss_child_measures_each_framework():
    rss = measure_rss("mlp", threads=1, warmup=0, steps=1)
    assert set(rss) == {"ember", "torch", "numpy"}
    for peak, growth in rss.values():
        assert peak > 0 and 0 <= growth <= peak
    r = measure("mlp", reps=1, warmup=0, min_seconds=0.0)
    r.rss = rss
    assert " / +" in table([r])
