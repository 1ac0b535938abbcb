"""Large arrays from a worker to the main process through shared memory instead of the pipe.

NOTE [ Sharing batches ]
Pickled into the result queue, a 38 MB batch costs ~90 ms (serialize, pipe, deserialize: several copies). In a
worker, NumPy arrays of at least SHARE_THRESHOLD bytes are instead copied once into an anonymous memory file
(memfd_create) whose descriptor travels with multiprocessing's own fd passing (reduction.DupFd: a socket and
SCM_RIGHTS); the main process maps it and wraps it as an array, with no further copy. Nothing can leak: the file
has no name, and a descriptor nobody claims dies with the worker. An ember Tensor pickles as its array, so tensors
anywhere in a batch take this path. Only Linux has memfd_create; elsewhere batches are pickled whole.
"""
from __future__ import annotations

import mmap
import os
from multiprocessing import reduction

import numpy as np

SHARE_THRESHOLD = 1 << 20  # below this, pickling is cheaper than a descriptor round trip


_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # populate: map all pages now, not fault by fault


def _rebuild_shared(dup_fd, dtype, shape):
    fd = dup_fd.detach()
    try:
        buf = mmap.mmap(fd, int(np.prod(shape)) * dtype.itemsize, flags=_MAP_FLAGS)
    finally:
        os.close(fd)  # the mapping keeps the memory; the array keeps the mapping
    return np.ndarray(shape, dtype, buffer=buf)


def _reduce_ndarray(arr: np.ndarray):
    if arr.nbytes < SHARE_THRESHOLD or arr.dtype.hasobject:
        return arr.__reduce__()  # valid under every protocol
    fd = os.memfd_create("ember-dataloader-batch", os.MFD_CLOEXEC)
    try:
        # write(), not a mapping: the kernel fills the pages as it copies, without a page fault per page
        data, done = memoryview(np.ascontiguousarray(arr).reshape(-1).view(np.uint8)), 0
        while done < len(data):
            done += os.write(fd, data[done:])
        return _rebuild_shared, (reduction.DupFd(fd), arr.dtype, arr.shape)
    finally:
        os.close(fd)  # DupFd holds its own duplicate until the main process claims it


def share_large_arrays() -> None:
    """In a worker process: send large arrays through shared memory from now on (NOTE [ Sharing batches ])."""
    if hasattr(os, "memfd_create"):
        reduction.ForkingPickler.register(np.ndarray, _reduce_ndarray)
