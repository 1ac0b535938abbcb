"""python -m benchmarks [--workload NAME ...] [--threads N] [--reps R] [--no-rss]: latency, peak RSS and final losses
of ember vs torch (and the hand-written NumPy reference where a workload has one)."""
from __future__ import annotations

import argparse
import sys

from .harness import header, measure, table
from .workloads import WORKLOADS


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                        help="workload to run (repeatable; default: all)")
    parser.add_argument("--threads", type=_positive_int, default=1,
                        help="threads for torch and NumPy's BLAS in every framework (default 1)")
    parser.add_argument("--reps", type=_positive_int, default=7, help="timed repetitions per framework (default 7)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per framework first (default 2)")
    parser.add_argument("--min-seconds", type=float, default=0.2, help="minimum duration of one repetition")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS child processes")
    args = parser.parse_args(argv)
    results = []
    for name in args.workload or list(WORKLOADS):
        results.append(measure(name, args.reps, args.warmup, args.threads, args.min_seconds, rss=not args.no_rss))
        print(f"{name} done", file=sys.stderr, flush=True)  # progress, kept out of the pasteable output
    print(header(args.threads))
    print()
    print(table(results))


if __name__ == "__main__":
    main()
