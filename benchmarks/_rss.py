"""python -m benchmarks._rss WORKLOAD FRAMEWORK THREADS WARMUP STEPS: peak RSS of one workload in a fresh process.

The process imports only FRAMEWORK (ember, torch, or numpy for the hand-written reference), sets the harness's thread
limits, builds the workload, records the resident-set high-water mark, runs WARMUP + STEPS steps, records it again and
prints both in bytes as JSON ``{"before": ..., "after": ...}`` (null where the platform cannot measure it).
"""
from __future__ import annotations

import contextlib
import json
import sys

from .harness import build, thread_limits


def high_water() -> int | None:
    """The process's peak resident set size in bytes so far, or None where the platform cannot tell (Windows)."""
    # Linux keeps ru_maxrss across fork and exec, so in a child it starts at the parent's peak; VmHWM belongs to the
    # address space exec made, so it is this program's own
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    try:
        import resource
    except ImportError:
        return None
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def main(argv: list[str]) -> None:
    """Run the measurement described in the module docstring for argv = WORKLOAD FRAMEWORK THREADS WARMUP STEPS."""
    name, framework, threads, warmup, steps = argv[0], argv[1], *map(int, argv[2:5])
    with thread_limits(threads, torch=framework == "torch"):
        step, _ = build(name, framework)
        before = high_water()
        for _ in range(warmup + steps):
            step()
        after = high_water()
    # the number is only the framework's own if nothing else was loaded alongside it
    stray = sorted(({"ember", "torch"} - {framework}) & sys.modules.keys())
    if stray:
        raise SystemExit(f"the {framework} RSS child imported {', '.join(stray)}")
    print(json.dumps({"before": before, "after": after}))


if __name__ == "__main__":
    main(sys.argv[1:])
