"""Benchmarks: workloads written once against the PyTorch API, run with ember and with torch in the same process.

Run ``python -m benchmarks [--workload tiny] [--threads 1]``; see harness.py for the measurement and workloads.py
for the workloads (one function each).
"""
from .harness import Result, measure, run_once
from .workloads import WORKLOADS

__all__ = ["Result", "measure", "run_once", "WORKLOADS"]
