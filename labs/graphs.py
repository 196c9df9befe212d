"""Measuring what differentiating through a computation costs: the memory autograd keeps, and the time."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def saved_tensor_bytes(fn: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Run ``fn`` and count the bytes of the tensors autograd saves for the backward pass while it runs.

    This is the memory a graph holds until ``backward`` frees it: for an unrolled loop it grows with the number of
    steps. Tensors saved twice are counted once (by storage); returns ``(fn(), bytes)``.
    """
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = max(storages.get(storage.data_ptr(), 0), storage.nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        result = fn()
    return result, sum(storages.values())


def seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    """The best of ``repeat`` wall-clock times of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
