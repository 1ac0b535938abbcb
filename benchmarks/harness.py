"""Timing: warm up, then alternate ember and torch repetitions in one process, with the same thread limits."""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import statistics
import time

from .workloads import WORKLOADS

FRAMEWORKS = ("ember", "torch")


@dataclasses.dataclass
class Result:
    """Per-op latency (microseconds) of one workload in each framework, one entry per repetition."""

    workload: str
    threads: int
    us_per_op: dict[str, list[float]]
    loss: dict[str, float]

    def ratios(self) -> list[float]:
        return [e / t for e, t in zip(self.us_per_op["ember"], self.us_per_op["torch"])]


@contextlib.contextmanager
def thread_limits(threads: int):
    """Limit torch's intra-op threads and NumPy's BLAS threads (threadpoolctl) to `threads`, restoring both after."""
    import torch
    from threadpoolctl import threadpool_limits
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(old)


def run_once(name: str, framework: str) -> float:
    """One step of a workload in one framework (by module name); returns the loss."""
    step, _ = WORKLOADS[name](importlib.import_module(framework))
    return step()


def _time(step, n_ops: int, min_seconds: float) -> float:
    """Microseconds per op over as many steps as fill min_seconds (at least one)."""
    calls, start = 0, time.perf_counter()
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / (calls * n_ops) * 1e6


def measure(name: str, reps: int = 7, warmup: int = 2, threads: int = 1, min_seconds: float = 0.2) -> Result:
    """Time a workload in ember and torch, alternating repetitions so drift hits both alike."""
    with thread_limits(threads):
        steps, loss = {}, {}
        for fw in FRAMEWORKS:
            step, n_ops = WORKLOADS[name](importlib.import_module(fw))
            steps[fw] = step, n_ops
            for _ in range(warmup):
                step()
            loss[fw] = step()
        times = {fw: [] for fw in FRAMEWORKS}
        for _ in range(reps):
            for fw in FRAMEWORKS:
                times[fw].append(_time(*steps[fw], min_seconds))
    return Result(name, threads, times, loss)


def _stat(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def table(results: list[Result]) -> str:
    """Median with min-max over repetitions, one row per workload."""
    head = f"{'workload':<10} {'ember us/op':>24} {'torch us/op':>24} {'ratio ember/torch':>24}"
    rows = [head, "-" * len(head)]
    for r in results:
        cells = [_stat(r.us_per_op["ember"], ".2f"), _stat(r.us_per_op["torch"], ".2f"), _stat(r.ratios(), ".2f")]
        rows.append(f"{r.workload:<10} " + " ".join(f"{c:>24}" for c in cells))
    threads = {r.threads for r in results}
    rows.append(f"threads: {', '.join(map(str, sorted(threads)))} "
                "(torch.set_num_threads; threadpoolctl for NumPy's BLAS)")
    return "\n".join(rows)
