"""Random number generators and the global seed (torch.Generator, torch.random).

NOTE [ Random streams ]
A Generator is NumPy's PCG64 bit generator with PyTorch's interface. Seeding makes ember reproducible run to run
(same seed, same calls -> same numbers), but ember cannot reproduce torch's streams: torch draws from mt19937 on the
CPU and Philox on CUDA, so ``manual_seed(0)`` gives other numbers here than in PyTorch. Every device draws from the
CPU generators and copies the numbers over, so one ``manual_seed`` seeds everything (torch also seeds all devices).
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

from ._tensor import Tensor
from .backends import CPU, to_device

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "fork_rng"]

DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val: a fresh Generator starts from it, as in torch
_MASK = (1 << 64) - 1
_STATE_BYTES = 48  # seed (8) + PCG64 state (16) + increment (16) + has_uint32 (4) + uinteger (4)


class Generator:
    """A source of random numbers for ops that take ``generator=`` (torch.Generator).

    Backed by NumPy's PCG64: a seed gives reproducible numbers, but not torch's numbers (see NOTE [ Random streams ]).
    ``get_state`` returns a uint8 tensor of 48 bytes (torch's CPU state has 5056); only ember states are accepted.
    """

    __slots__ = ("_bits", "_seed", "_device")

    def __init__(self, device="cpu"):
        self._device = to_device(device)
        self.manual_seed(DEFAULT_SEED)

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed) -> "Generator":
        """Seed the generator; negative seeds wrap to 64 bits as in torch. Returns self."""
        if isinstance(seed, Tensor) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _MASK:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _MASK
        self._bits = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed (torch.Generator.seed)."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor (torch.Generator.get_state)."""
        st = self._bits.bit_generator.state
        raw = (self._seed.to_bytes(8, "little") + st["state"]["state"].to_bytes(16, "little")
               + st["state"]["inc"].to_bytes(16, "little") + st["has_uint32"].to_bytes(4, "little")
               + st["uinteger"].to_bytes(4, "little"))
        return Tensor._make(np.frombuffer(raw, np.uint8).copy(), CPU)

    def set_state(self, new_state: Tensor) -> "Generator":
        """Restore a state from get_state (torch.Generator.set_state). Returns self."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state.numpy(force=True)).tobytes()
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Expected an ember PCG64 generator state of size {_STATE_BYTES} but found the input "
                               f"RNG state size to be {len(raw)}")
        seed = int.from_bytes(raw[:8], "little")
        bits = np.random.PCG64()
        bits.state = {"bit_generator": "PCG64",
                      "state": {"state": int.from_bytes(raw[8:24], "little"), "inc": int.from_bytes(raw[24:40], "little")},
                      "has_uint32": int.from_bytes(raw[40:44], "little"), "uinteger": int.from_bytes(raw[44:48], "little")}
        self._seed, self._bits = seed, np.random.Generator(bits)
        return self

    def __reduce__(self):
        return (_rebuild, (str(self._device), self.get_state()._data.tobytes()))

    def __repr__(self):
        return f"<ember.Generator device={self._device} initial_seed={self._seed}>"


def _rebuild(device: str, raw: bytes) -> Generator:
    g = Generator(device)
    return g.set_state(Tensor._make(np.frombuffer(raw, np.uint8).copy(), CPU))


default_generator = Generator()


def bits(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: generator's, or the default one's."""
    if generator is None:
        return default_generator._bits
    if type(generator) is not Generator:
        raise TypeError(f"expected an ember.Generator for 'generator', got {type(generator).__name__}")
    return generator._bits


def manual_seed(seed) -> Generator:
    """Seed the default generator, which every random op, nn.init and dropout use (torch.manual_seed).

    Returns the default generator. ember's numbers differ from torch's for the same seed (NOTE [ Random streams ]).
    """
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator non-deterministically and return the seed (torch.seed)."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed (torch.initial_seed)."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor (torch.get_rng_state)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state (torch.set_rng_state)."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type: str | None = None):
    """Restore the default generator's state when the block exits (torch.random.fork_rng).

    devices and device_type are accepted for compatibility: every device draws from the default generator here.
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
