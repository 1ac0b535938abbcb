"""glibc's allocator told to keep freed memory (NOTE [ Keeping freed memory ]); EMBER_MALLOC_TUNING=0 turns it off."""
from __future__ import annotations

import os

# NOTE [ Keeping freed memory ]
# A training step allocates and frees the same large temporaries every step. glibc serves a block above its mmap
# threshold (128 KiB at first) with fresh pages from the OS and unmaps it when freed, and gives the heap's free top
# back past its trim threshold, so each step pays the page faults (and the kernel's zeroing) again. At import, on
# Linux with glibc only, ember raises the mmap threshold to 32 MiB, the trim threshold to 1 GiB and the top pad to
# 64 MiB, so freed blocks are reused. Measured, one thread, ember step time default -> tuned: gpt 114 -> 96 ms,
# resnet 77 -> 62 ms, lstm 87-95 -> 80 ms, lenet 9.2-9.9 -> 9.0-9.2 ms, mlp 4.6 -> 4.9 ms (its 256 KiB-2 MiB
# arrays were already reused). The cost: memory freed after a peak stays with the process (the peak itself does not
# grow). It changes the allocator of the whole process, so it can be turned off with EMBER_MALLOC_TUNING=0 (read at
# import); other platforms and C libraries are left alone.
_SETTINGS = ((-3, 32 << 20), (-1, 1 << 30), (-2, 64 << 20))  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # no confstr (Windows) or no such name (musl, macOS)
        return False


def tune() -> bool:
    """Apply the settings above through mallopt; True when glibc accepted all of them."""
    if os.environ.get("EMBER_MALLOC_TUNING", "1") == "0" or not _glibc():
        return False
    import ctypes
    libc = ctypes.CDLL(None)
    return all(libc.mallopt(param, value) == 1 for param, value in _SETTINGS)


TUNED = tune()
