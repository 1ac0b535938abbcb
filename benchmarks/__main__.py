"""python -m benchmarks [--workload NAME ...] [--threads N] [--reps R]: print per-op latency of ember vs torch."""
from __future__ import annotations

import argparse

from .harness import measure, table
from .workloads import WORKLOADS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                        help="workload to run (repeatable; default: all)")
    parser.add_argument("--threads", type=int, default=1, help="threads for torch and NumPy's BLAS (default 1)")
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions per framework (default 7)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per framework first (default 2)")
    parser.add_argument("--min-seconds", type=float, default=0.2, help="minimum duration of one repetition")
    args = parser.parse_args(argv)
    results = []
    for name in args.workload or list(WORKLOADS):
        results.append(measure(name, args.reps, args.warmup, args.threads, args.min_seconds))
        print(f"{name}: final loss ember {results[-1].loss['ember']:.6g}, torch {results[-1].loss['torch']:.6g}",
              flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
