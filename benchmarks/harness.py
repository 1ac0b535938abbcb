"""Timing: warm up, then alternate ember, torch and the NumPy reference (where a workload has one) repetitions in one
process, with the same thread limits; peak RSS: one fresh process per framework (see _rss.py)."""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from .numpy_ref import NUMPY_REF
from .workloads import WORKLOADS

FRAMEWORKS = ("ember", "torch", "numpy")
RSS_STEPS = 3  # steps after warm-up in the RSS child: allocator growth that the first steps miss shows up here
_ROOT = Path(__file__).resolve().parent.parent  # where `python -m benchmarks._rss` finds the package


@dataclasses.dataclass
class Result:
    """Per-op latency (microseconds) of one workload in each framework, one entry per repetition; the loss of the
    last untimed step; peak RSS per framework in MiB as (process peak, growth during the steps), None where the
    platform cannot measure it, and no entry when not measured."""

    workload: str
    threads: int
    us_per_op: dict[str, list[float]]
    loss: dict[str, float]
    rss: dict[str, tuple[float, float] | None] = dataclasses.field(default_factory=dict)

    def ratios(self, framework: str = "ember") -> list[float]:
        """framework / torch latency, per repetition."""
        return [a / t for a, t in zip(self.us_per_op[framework], self.us_per_op["torch"])]


def frameworks(name: str) -> tuple[str, ...]:
    """The frameworks a workload runs in: ember and torch, and numpy where it has a hand-written reference."""
    return FRAMEWORKS if name in NUMPY_REF else FRAMEWORKS[:2]


def build(name: str, framework: str) -> tuple[Callable[[], float], int]:
    """(step, n_ops) of a workload: ember or torch by module name, or "numpy" for the hand-written reference."""
    if framework == "numpy":
        return NUMPY_REF[name]()
    return WORKLOADS[name](importlib.import_module(framework))


@contextlib.contextmanager
def thread_limits(threads: int, torch: bool = True):
    """Limit NumPy's BLAS threads (threadpoolctl) and, when torch, torch's intra-op threads to `threads`; restore both
    after."""
    from threadpoolctl import threadpool_limits
    with contextlib.ExitStack() as stack:
        if torch:  # imported first, so that threadpoolctl also sees the OpenMP pool torch loads
            import torch as module
            stack.callback(module.set_num_threads, module.get_num_threads())
            module.set_num_threads(threads)
        stack.enter_context(threadpool_limits(limits=threads))
        yield


def run_once(name: str, framework: str) -> float:
    """One step of a workload in one framework (see build); returns the loss."""
    step, _ = build(name, framework)
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


def measure(name: str, reps: int = 7, warmup: int = 2, threads: int = 1, min_seconds: float = 0.2,
            rss: bool = False) -> Result:
    """Time a workload in each of its frameworks, alternating repetitions so drift hits all alike; with rss, also
    measure peak RSS (measure_rss, after the same warm-up)."""
    fws = frameworks(name)
    with thread_limits(threads):
        steps, loss = {}, {}
        for fw in fws:
            step, n_ops = steps[fw] = build(name, fw)
            for _ in range(warmup):
                step()
            loss[fw] = step()
        times = {fw: [] for fw in fws}
        for _ in range(reps):
            for fw in fws:
                times[fw].append(_time(*steps[fw], min_seconds))
    return Result(name, threads, times, loss, measure_rss(name, threads, warmup) if rss else {})


def measure_rss(name: str, threads: int = 1, warmup: int = 2,
                steps: int = RSS_STEPS) -> dict[str, tuple[float, float] | None]:
    """Per framework, (peak RSS, growth over warmup + steps) in MiB, each from a fresh process importing only that
    framework; None where the platform cannot measure it (Windows)."""
    out = {}
    for fw in frameworks(name):
        args = [sys.executable, "-m", "benchmarks._rss", name, fw, str(threads), str(warmup), str(steps)]
        child = subprocess.run(args, cwd=_ROOT, capture_output=True, text=True)
        if child.returncode:
            raise RuntimeError(f"RSS child for {name} in {fw} failed:\n{child.stderr}")
        got = json.loads(child.stdout.splitlines()[-1])
        out[fw] = None if got["after"] is None else (got["after"] / 2**20, (got["after"] - got["before"]) / 2**20)
    return out


def _cpu() -> str:
    """The CPU's model name (/proc/cpuinfo where there is one) and logical core count."""
    name = ""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    return f"{name or platform.processor() or 'unknown CPU'} ({os.cpu_count()} logical cores)"


def header(threads: int) -> str:
    """What the numbers were measured on: thread limits and how they were set, CPU, versions."""
    import numpy
    import torch

    import ember
    blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return (f"threads: {threads} in every framework (torch.set_num_threads; threadpoolctl for NumPy's BLAS and the "
            f"OpenMP pools)\nCPU: {_cpu()}\nPython {platform.python_version()}, numpy {numpy.__version__} "
            f"({blas['name']} {blas['version']}), torch {torch.__version__}, ember {ember.__version__}")


def _num(x: float) -> str:
    """x to about four significant digits, without an exponent."""
    return f"{x:.{max(0, 3 - math.floor(math.log10(x)))}f}" if x > 0 else f"{x:.2f}"


def _stat(values: list[float], fmt: Callable[[float], str] = _num) -> str:
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def _rss_cell(r: Result, fw: str) -> str:
    if fw not in r.us_per_op:
        return ""
    if fw not in r.rss:
        return "-"
    return "n/a" if r.rss[fw] is None else f"{r.rss[fw][0]:.0f} / +{r.rss[fw][1]:.1f}"


def table(results: list[Result]) -> str:
    """Two tables, one row per workload: latency (median with min-max over repetitions) and ratios to torch; then
    peak RSS and the final losses, side by side."""
    width = max([12, *(len(r.workload) + 1 for r in results)])
    time_head = [f"{fw} us/op" for fw in FRAMEWORKS]
    head = f"{'workload':<{width}}" + "".join(f"{h:>22}" for h in time_head) + f"{'ember/torch':>17}{'numpy/torch':>17}"
    rows = [head, "-" * len(head)]
    for r in results:
        cells = [_stat(r.us_per_op[fw]) if fw in r.us_per_op else "" for fw in FRAMEWORKS]
        ratios = [_stat(r.ratios(fw), "{:.2f}".format) if fw in r.us_per_op else "" for fw in ("ember", "numpy")]
        rows.append(f"{r.workload:<{width}}" + "".join(f"{c:>22}" for c in cells) + "".join(f"{c:>17}" for c in ratios))
    reps = {len(v) for r in results for v in r.us_per_op.values()}
    rows += [f"us/op: median (min-max) of {'/'.join(map(str, sorted(reps)))} alternating repetitions after warm-up; "
             "model workloads are one op per step", ""]
    head = (f"{'workload':<{width}}" + "".join(f"{fw + ' MiB':>17}" for fw in FRAMEWORKS)
            + "".join(f"{'loss ' + fw:>14}" for fw in FRAMEWORKS))
    rows += [head, "-" * len(head)]
    for r in results:
        losses = [f"{r.loss[fw]:.7g}" if fw in r.loss else "" for fw in FRAMEWORKS]
        rows.append(f"{r.workload:<{width}}" + "".join(f"{_rss_cell(r, fw):>17}" for fw in FRAMEWORKS)
                    + "".join(f"{c:>14}" for c in losses))
    rows += [f"MiB: peak RSS of a fresh process running only that framework / +growth during warm-up and {RSS_STEPS} "
             "steps (the", "training working set); loss: the last warm-up step's, each framework from the same weights "
             "and data"]
    return "\n".join(row.rstrip() for row in rows)
