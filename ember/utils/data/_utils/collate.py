"""Turning lists of samples into batches: default_collate, default_convert and the extensible collate
(torch.utils.data._utils.collate).

The rules are torch's: tensors are stacked, NumPy arrays and scalars become tensors of their dtype, Python ints
int64 tensors, Python floats float64 tensors, bools bool tensors, strings and bytes stay lists; mappings,
namedtuples and sequences are collated field by field (tuples come back as lists, as in torch).
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Callable

import numpy as np

from ...._dtype import float64
from ...._tensor import Tensor
from ....ops.creation import as_tensor, tensor
from ....ops.join import stack

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")  # NumPy dtype codes of strings and objects: not numbers

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                                  "lists; found {}")


def _rebuild_like(data, items: dict | list):
    """A container of data's type holding items (torch's rules: copy mutable ones, else call the type, else plain)."""
    mapping = isinstance(data, collections.abc.Mapping)
    try:
        if isinstance(data, collections.abc.MutableMapping if mapping else collections.abc.MutableSequence):
            clone = copy.copy(data)
            if mapping:
                clone.update(items)
            else:
                for i, item in enumerate(items):
                    clone[i] = item
            return clone
        return type(data)(items)
    except TypeError:  # a container type whose constructor takes something else
        return items


def default_convert(data):
    """Convert NumPy arrays and scalars inside data to tensors, keeping everything else (torch's default_convert).

    The collate_fn of a DataLoader with ``batch_size=None``: samples are not batched, only converted.
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_like(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as torch returns for backwards compatibility
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_like(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate a batch, dispatching on the first element's type through collate_fn_map (torch's collate).

    collate_fn_map maps a type (or tuple of types) to ``fn(batch, *, collate_fn_map)``; an exact type match wins,
    then the first key the element is an instance of. Containers are walked here and their fields collated again.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_like(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                                    for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if any(len(e) != elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_like(elem, fields)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    return as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch with a new leading dimension (torch's default_collate).

    The collate_fn of a DataLoader with a batch size. Tensors are stacked (sizes must match: RuntimeError as
    torch.stack), numbers become tensors, strings stay lists; dicts, namedtuples and lists are collated per field.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
