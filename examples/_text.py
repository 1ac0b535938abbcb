"""Shared helpers for the text examples (char_lstm.py, tiny_gpt.py): the corpus, a character vocabulary, batching,
a progress bar, checkpoints and the common command line.

The corpus is the text of Python's own documentation topics (``pydoc_data.topics``, the prose behind ``help('for')``,
``help('class')`` ...), which ships inside every CPython install, so the examples run offline with nothing to
download. Licence: it is part of the Python documentation, under the PSF License (permissive, redistributable; it is
*not* public domain). Pass ``--text FILE`` to train on any other plain-text file instead, e.g. a Project Gutenberg book
(public domain in the US) that you saved yourself.
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Iterable, Iterator

import numpy as np

import ember as torch


def load_text(path: str | None = None) -> str:
    """The training text: the file at ``path``, or Python's bundled documentation topics (see module docstring)."""
    if path is not None:
        with open(path, encoding="utf-8") as f:
            return f.read()
    from pydoc_data.topics import topics
    text = "\n\n".join(topics[k] for k in sorted(topics))
    # Keep printable ASCII plus newline: the handful of other characters only bloats the vocabulary.
    return "".join(c for c in text if c == "\n" or " " <= c <= "~")


class CharVocab:
    """Character <-> integer id mapping built from a text."""

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> np.ndarray:
        return np.array([self.stoi[c] for c in s], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def known(self, s: str) -> str:
        """``s`` without the characters the vocabulary lacks (a sampling prompt for any --text file)."""
        return "".join(c for c in s if c in self.stoi) or self.chars[0]


def prepare(text: str, limit: int | None = None, val_fraction: float = 0.1) -> tuple[CharVocab, np.ndarray, np.ndarray]:
    """Vocabulary plus train/validation id arrays (the last ``val_fraction`` of the first ``limit`` characters)."""
    if limit is not None:
        text = text[:limit]
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    n_val = max(int(len(ids) * val_fraction), 2)
    return vocab, ids[:-n_val], ids[-n_val:]


def stream_batches(ids: np.ndarray, batch_size: int) -> torch.Tensor:
    """Cut ``ids`` into ``batch_size`` contiguous streams, shape (batch_size, length): row b continues from one chunk
    to the next, which is what truncated BPTT needs to carry the hidden state."""
    n = len(ids) // batch_size
    return torch.from_numpy(ids[: n * batch_size].reshape(batch_size, n).copy())


def random_blocks(ids: np.ndarray, block: int, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
    """A batch of random windows: inputs (batch_size, block) and targets shifted by one character."""
    starts = rng.integers(0, len(ids) - block - 1, size=batch_size)
    x = np.stack([ids[s:s + block] for s in starts])
    y = np.stack([ids[s + 1:s + block + 1] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(y)


def progress(iterable: Iterable, total: int, desc: str) -> Iterator:
    """tqdm progress bar when tqdm is installed, otherwise the plain iterable (the caller prints the loss)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iter(iterable)
    return tqdm(iterable, total=total, desc=desc, dynamic_ncols=True)


def report(bar: object, step: int, total: int, every: int, **values: float) -> None:
    """Show ``values`` on the tqdm bar, or print them every ``every`` steps when tqdm is absent."""
    if hasattr(bar, "set_postfix"):
        bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()})
    elif step % every == 0 or step == total - 1:
        print(f"step {step + 1:5d}/{total}  " + "  ".join(f"{k} {v:.4g}" for k, v in values.items()), flush=True)


def save_checkpoint(state: dict, out_dir: str, name: str) -> str:
    """Save ``state`` with ``ember.save`` when available, else tensors as a NumPy .npz; returns the path."""
    if hasattr(torch, "save"):
        path = os.path.join(out_dir, name + ".pt")
        torch.save(state, path)
        return path
    path = os.path.join(out_dir, name + ".npz")
    flat = {f"{group}.{k}": v.detach().numpy() for group, sd in state.items() if isinstance(sd, dict)
            for k, v in sd.items() if isinstance(v, torch.Tensor)}
    np.savez(path, **flat)
    return path


def finish(name: str, text: str, state: dict, out_dir: str, loss: float, seconds: float, temperature: float) -> None:
    """Print the sample, save the checkpoint and the sample under out_dir, and say where they went."""
    print(f"--- sample (temperature {temperature}) ---\n{text}\n---")
    os.makedirs(out_dir, exist_ok=True)
    ckpt = save_checkpoint(state, out_dir, name)
    sample_path = os.path.join(out_dir, f"{name}_sample.txt")
    with open(sample_path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"final train loss {loss:.3f} after {seconds:.1f} s")
    print(f"saved outputs to {os.path.abspath(out_dir)}: {os.path.basename(ckpt)}, {os.path.basename(sample_path)}")


def common_args(description: str, epochs: int) -> argparse.ArgumentParser:
    """Command line shared by the text examples."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the training text (default %(default)s)")
    p.add_argument("--quick", action="store_true", help="tiny model and data: a smoke run of a few seconds")
    p.add_argument("--out", default="outputs", help="directory for the checkpoint and samples (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--text", default=None, help="train on this UTF-8 text file instead of the bundled text")
    p.add_argument("--limit", type=int, default=None, help="use only the first LIMIT characters of the text")
    p.add_argument("--sample-len", type=int, default=300, help="characters to sample at the end")
    p.add_argument("--temperature", type=float, default=0.8)
    return p


def parse_args(p: argparse.ArgumentParser, quick: dict) -> argparse.Namespace:
    """Parse the command line; with --quick, ``quick`` replaces the defaults (options given explicitly still win)."""
    args = p.parse_args()
    if args.quick:
        p.set_defaults(**quick)
        args = p.parse_args()
    return args


class Timer:
    """Wall time since construction, in seconds."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start
