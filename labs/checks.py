"""Comparisons for test cells that say what is wrong, not just that something is.

Every helper raises ``AssertionError`` with a message such as::

    pinv_svd: max |diff| = 3.1e-02 against torch.linalg.pinv (tolerance 1e-06 + 1e-06 * |expected|)

and prints one line when the check passes, so a student sees what was checked.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable

import numpy as np
import torch

Number = int | float


def _as_tensor(value, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (int, float)):  # Python numbers are double precision: keep them so
        return torch.tensor(float(value), dtype=torch.float64)
    if isinstance(value, (np.ndarray, np.generic)):
        return torch.as_tensor(np.asarray(value))
    raise AssertionError(f"{name}: expected a tensor, got {type(value).__name__}")


def check_tensor(value, name: str, *, shape: tuple[int, ...] | None = None, dtype: torch.dtype | None = None) -> None:
    """``value`` is a tensor of the given shape and dtype (either may be omitted)."""
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{name}: expected shape {tuple(shape)}, got {tuple(value.shape)}")
    if dtype is not None and value.dtype != dtype:
        raise AssertionError(f"{name}: expected dtype {dtype}, got {value.dtype}")


def assert_close(
    actual,
    expected,
    name: str,
    *,
    against: str = "the reference",
    rtol: float = 1e-6,
    atol: float = 1e-6,
    quiet: bool = False,
) -> None:
    """``actual`` matches ``expected`` elementwise within ``atol + rtol * |expected|``.

    Checks the type and shape first.
    """
    expected_t = _as_tensor(expected, f"{name} (reference)")
    if isinstance(expected, torch.Tensor) and not isinstance(actual, torch.Tensor):
        raise AssertionError(f"{name}: expected a torch.Tensor, got {type(actual).__name__}")
    actual_t = _as_tensor(actual, name)
    if actual_t.shape != expected_t.shape:
        raise AssertionError(f"{name}: expected shape {tuple(expected_t.shape)}, got {tuple(actual_t.shape)}")
    a = actual_t.detach().to(torch.float64).cpu()
    e = expected_t.detach().to(torch.float64).cpu()
    if a.numel() == 0:
        return
    if not torch.isfinite(a).all() and torch.isfinite(e).all():
        bad = int((~torch.isfinite(a)).sum())
        raise AssertionError(f"{name}: {bad} entries are inf or nan; {against} has none")
    diff = (a - e).abs()
    diff = torch.where(torch.isfinite(diff), diff, torch.zeros_like(diff))
    too_far = diff > atol + rtol * e.abs()
    largest = float(diff.max())
    if bool(too_far.any()):
        index = tuple(int(i) for i in torch.nonzero(too_far)[0])
        where = f" (first at index {index}: got {float(a[index]):.6g}, expected {float(e[index]):.6g})" if index else ""
        raise AssertionError(
            f"{name}: max |diff| = {largest:.1e} against {against} "
            f"(tolerance {atol:g} + {rtol:g} * |expected|){where}"
        )
    if not quiet:
        print(f"{name}: max |diff| = {largest:.1e} against {against} (ok)")


def assert_true(condition: bool, message: str) -> None:
    """Like ``assert`` but never stripped and always with a message."""
    if not condition:
        raise AssertionError(message)


def loops_in(function: Callable) -> list[str]:
    """The Python loops (``for``, ``while``, comprehensions) in a function's source."""
    source = textwrap.dedent(inspect.getsource(function))
    kinds = (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return [
        f"{type(node).__name__} on line {node.lineno}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, kinds)
    ]


def assert_no_loops(function: Callable) -> None:
    """The exercise asks for vectorised code: no Python loops in ``function``."""
    found = loops_in(function)
    if found:
        raise AssertionError(f"{function.__name__}: use tensor operations, not Python loops (found {', '.join(found)})")
    print(f"{function.__name__}: no Python loops (ok)")
