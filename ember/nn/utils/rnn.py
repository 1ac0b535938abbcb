"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence, packing, padding.

Packing and padding are each one gather (advanced indexing with a precomputed index), so their backward is one
scatter-add, whatever the number of sequences.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.creation import full, tensor as _tensor
from ...ops.join import cat

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """The steps of a batch of sequences, sorted by length and packed time-major (torch.nn.utils.rnn.PackedSequence).

    data holds step 0 of every sequence, then step 1 of those that are long enough, ...; batch_sizes[t] counts the
    sequences at step t (int64, CPU); sorted_indices / unsorted_indices map between the caller's order and the
    length-sorted one (None when the caller's batch was sorted already). Make them with pack_padded_sequence or
    pack_sequence.
    """

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> "PackedSequence":
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        """data converted as Tensor.to(...) does; the indices follow it to its device. self when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if t is None else t.to(data.device) for t in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cuda(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        return self.to("cuda", *args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        return self.to("cpu", *args, **kwargs)

    def double(self) -> "PackedSequence":
        return self.to(dtype=D.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=D.float32)

    def half(self) -> "PackedSequence":
        return self.to(dtype=D.float16)

    def long(self) -> "PackedSequence":
        return self.to(dtype=D.int64)

    def int(self) -> "PackedSequence":
        return self.to(dtype=D.int32)

    def short(self) -> "PackedSequence":
        return self.to(dtype=D.int16)

    def char(self) -> "PackedSequence":
        return self.to(dtype=D.int8)

    def byte(self) -> "PackedSequence":
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether data lives on a GPU."""
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (torch.nn.utils.rnn.invert_permutation); None stays None."""
    if permutation is None:
        return None
    return permutation.argsort()


def _int64(values) -> Tensor:
    return _tensor(np.asarray(values, dtype=np.int64))


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths.detach().cpu().numpy().astype(np.int64)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) or (B, T, *) of sequences with the given lengths
    (torch.nn.utils.rnn.pack_padded_sequence). enforce_sorted=False sorts by length and records the permutation.

    Unlike torch, a length beyond the padded length raises RuntimeError (torch reads past the input).
    """
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _int64(order).to(input.device)
    batch = input.shape[batch_dim]
    if len(lens) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
                           f"(batch_size={batch})")
    if len(lens) and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if np.any(lens[:-1] < lens[1:]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if len(lens) and lens[0] > input.shape[1 - batch_dim]:
        raise RuntimeError(f"pack_padded_sequence: a length ({lens[0]}) exceeds the padded length "
                           f"({input.shape[1 - batch_dim]})")
    batch_sizes = (lens[None, :] > np.arange(lens[0] if len(lens) else 0)[:, None]).sum(1)
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    rows = np.arange(len(steps)) - np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    src = rows if sorted_indices is None else order[rows]
    data = input[_int64(src), _int64(steps)] if batch_first else input[_int64(steps), _int64(src)]
    return PackedSequence(data, _int64(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple:
    """Undo pack_padded_sequence: (padded batch, lengths as int64) in the caller's order
    (torch.nn.utils.rnn.pad_packed_sequence); total_length pads to at least that many steps."""
    batch_sizes = _lengths_array(sequence.batch_sizes)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    index = np.full((steps, batch), data.shape[0], dtype=np.int64)  # the padding row, appended below
    offsets = np.cumsum(batch_sizes) - batch_sizes
    t, b = np.nonzero(np.arange(batch)[None, :] < batch_sizes[:, None])
    index[t, b] = offsets[t] + b
    if sequence.unsorted_indices is not None:
        unsorted = _lengths_array(sequence.unsorted_indices)
        index, lengths = index[:, unsorted], lengths[unsorted]
    pad = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad], 0)[_int64(index.T if batch_first else index)]
    return padded, _int64(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with batch_first), padded on the right
    or the left (torch.nn.utils.rnn.pad_sequence)."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing shape {list(trailing)} of the "
                               f"first, got {list(s.shape)}")
    lens = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, total = int(lens.max()), int(lens.sum())
    starts = np.cumsum(lens) - lens
    pos = np.arange(steps)[:, None]
    if padding_side == "left":
        pos = pos - (steps - lens)[None, :]
    index = np.where((pos >= 0) & (pos < lens[None, :]), starts[None, :] + pos, total)
    dtype = sequences[0].dtype
    pad = full((1,) + trailing, padding_value, dtype=dtype, device=sequences[0].device)
    flat = cat([s.to(dtype) for s in sequences] + [pad], 0)
    return flat[_int64(index.T if batch_first else index)]


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list:
    """The sequences of a padded batch, each cut to its length (torch.nn.utils.rnn.unpad_sequence).

    Unlike torch, the input is not transposed in place when batch_first is False.
    """
    batch_dim = 0 if batch_first else 1
    return [seq[:int(n)] for seq, n in zip(padded_sequences.unbind(batch_dim), _lengths_array(lengths), strict=True)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) (torch.nn.utils.rnn.pack_sequence)."""
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences in a PackedSequence, in the caller's order (torch.nn.utils.rnn.unpack_sequence)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
