"""The DataLoader worker process: its loop, its seeding and get_worker_info (torch.utils.data._utils.worker).

NOTE [ Worker protocol ]
The main process sends ``(task_idx, index)`` on a worker's own index queue; the worker answers ``(task_idx, batch)``
on the result queue all workers share, or ``(task_idx, ExceptionWrapper)`` when fetching raised (the worker goes on),
or ``(task_idx, _IterableDatasetStopIteration)`` when its copy of an IterableDataset is spent. ``None`` asks the
worker to exit; ``_ResumeIteration`` (persistent workers) starts a new epoch and is echoed back, so the main process
can discard whatever was still in flight from the last one. A worker also exits when its parent dies (orphan check).
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from .... import random as _random
from . import MP_STATUS_CHECK_INTERVAL
from .fetch import create_fetcher
from .sharing import share_large_arrays

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info: "WorkerInfo | None" = None


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker knows about itself: id, num_workers, seed and its copy of the dataset (torch's WorkerInfo)."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """The current DataLoader worker's WorkerInfo, or None in the main process (torch.utils.data.get_worker_info).

    An IterableDataset uses it in ``__iter__`` to pick its shard; worker_init_fn can use it to configure the copy.
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    seed: int | None = None


class KeyErrorMessage(str):
    """A str whose repr is itself, so a re-raised KeyError shows the traceback text rather than its repr."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception and its traceback as text, to re-raise in another process (torch._utils.ExceptionWrapper)."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the wrapped exception type with "Caught X <where>.\nOriginal Traceback ..." as its message."""
        raise self._exception()  # built elsewhere: a local here would make exception -> traceback -> frame a cycle

    def _exception(self) -> BaseException:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            return self.exc_type(message=msg)
        try:
            return self.exc_type(msg)
        except Exception:  # a type that needs other arguments
            return RuntimeError(msg)


def _numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The 4-word seed of NumPy's global RNG in a worker: SeedSequence over (worker_id, base_seed), which is what
    torch's _generate_state computes, so it differs from the ``random``/ember seed."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4).tolist()


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's random, ember's default generator and NumPy's global RNG as torch seeds a worker."""
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


def _worker_loop(iterable: bool, dataset, index_queue, data_queue, done_event, auto_collation: bool, collate_fn,
                 drop_last: bool, base_seed: int, init_fn, worker_id: int, num_workers: int) -> None:
    """A worker's life: seed, run worker_init_fn, then answer index requests until told to stop (NOTE [ Worker
    protocol ])."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        share_large_arrays()
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        def start():  # a fetcher, or the error that prevents one: every request then gets that error
            try:
                return create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last), None
            except Exception:
                return None, ExceptionWrapper(where=where)

        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher, failure = start()
        except Exception:
            fetcher, failure = None, ExceptionWrapper(where=where)
        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher, failure = start()
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if fetcher is None:
                data = failure
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where=where)
            data_queue.put((idx, data))
            del data, idx, index, r  # drop the batch now, not when the next one arrives
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the main process handles it
        pass
    if done_event.is_set():
        # the main process may have stopped reading: do not wait at exit to flush results nobody will take
        data_queue.cancel_join_thread()
        data_queue.close()
