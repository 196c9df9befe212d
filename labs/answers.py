"""Answers given as Python values (the in-class tests): check their form, then read them in one canonical form.

A test question asks for a number, a shape, a few numbers or a letter, and a student may write any reasonable
form of it: ``15``, ``15.0`` or ``torch.tensor(15)``; ``(1, 16, 15, 15)``, ``[1, 16, 15, 15]`` or
``torch.Size([1, 16, 15, 15])``; ``"b"``, ``"B"`` or ``" (b) "``. Each reader here accepts every such form,
refuses what is not an answer of that kind (a string for a number, ``True`` for ``1``, ``nan``) with a message
that says what was expected, and returns the canonical value (``int``, ``float``, ``tuple``, ``str``), so that a
visible test can check the form without revealing the value, and a hidden test can compare the value alone::

    q3 = labs.answers.integer(q3, "q3")          # visible: an int, or it raises AssertionError
    assert q3 == reference_count, "q3: ..."      # hidden
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

__all__ = ["choice", "close", "integer", "number", "shape", "vector"]


def _name(name: str) -> str:
    return name or "your answer"


def _scalar(value, name: str, kind: str):
    """A Python int or float from a number, a NumPy scalar or a one-element tensor/array; refuses the rest."""
    if isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{_name(name)}: expected {kind}, got the truth value {value!r}")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise AssertionError(f"{_name(name)}: expected {kind}, got a tensor of shape {tuple(value.shape)}")
        if value.dtype == torch.bool or value.is_complex():
            raise AssertionError(f"{_name(name)}: expected {kind}, got a {value.dtype} tensor")
        return value.detach().cpu().item()
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype.kind not in "iuf":
            raise AssertionError(f"{_name(name)}: expected {kind}, got an array of shape {value.shape}, dtype {value.dtype}")
        return value.reshape(()).item()
    if isinstance(value, np.generic) and value.dtype.kind in "iuf":
        return value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):  # float, fractions.Fraction, decimal-free reals
        return float(value)
    raise AssertionError(f"{_name(name)}: expected {kind}, got {type(value).__name__} {value!r:.60}")


def number(value, name: str = "") -> float:
    """A finite real number (int, float, fraction, NumPy scalar, one-element tensor), as a ``float``."""
    result = float(_scalar(value, name, "a number"))
    if not math.isfinite(result):
        raise AssertionError(f"{_name(name)}: expected a finite number, got {result}")
    return result


def integer(value, name: str = "") -> int:
    """A whole number (``7``, ``7.0``, ``np.int64(7)``, ``torch.tensor(7)``), as an ``int``."""
    result = _scalar(value, name, "a whole number")
    if isinstance(result, float) and not (math.isfinite(result) and result.is_integer()):
        raise AssertionError(f"{_name(name)}: expected a whole number, got {result}")
    return int(result)


def vector(value, name: str = "", length: int | None = None) -> tuple[float, ...]:
    """A flat sequence of finite numbers (tuple, list, 1-d tensor or array), as a tuple of floats."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        if value.ndim != 1:
            raise AssertionError(f"{_name(name)}: expected a flat sequence of numbers, got shape {tuple(value.shape)}")
        items = list(value)
    elif isinstance(value, (tuple, list)):
        items = list(value)
    else:
        raise AssertionError(f"{_name(name)}: expected a list, tuple or 1-d tensor of numbers, got {type(value).__name__}")
    if length is not None and len(items) != length:
        raise AssertionError(f"{_name(name)}: expected {length} numbers, got {len(items)}")
    return tuple(number(item, f"{_name(name)}[{i}]") for i, item in enumerate(items))


def shape(value, name: str = "", ndim: int | None = None) -> tuple[int, ...]:
    """A shape: a tuple, list or ``torch.Size`` of non-negative whole numbers, as a tuple of ints."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 1:
        value = list(value)
    if not isinstance(value, (tuple, list)):  # torch.Size is a tuple
        raise AssertionError(f"{_name(name)}: expected a shape (a tuple such as (2, 3)), got {type(value).__name__}")
    if ndim is not None and len(value) != ndim:
        raise AssertionError(f"{_name(name)}: expected a shape with {ndim} dimensions, got {len(value)}")
    result = tuple(integer(size, f"{_name(name)}[{i}]") for i, size in enumerate(value))
    if any(size < 0 for size in result):
        raise AssertionError(f"{_name(name)}: sizes cannot be negative, got {result}")
    return result


def choice(value, options: str, name: str = "") -> str:
    """One option letter among ``options`` (e.g. ``"abcd"``), in any case, with or without brackets: lower case."""
    if not isinstance(value, str):
        raise AssertionError(f"{_name(name)}: expected one letter among {', '.join(repr(o) for o in options)}, "
                             f"got {type(value).__name__}")
    letter = value.strip().strip("()[].").strip().lower()
    if len(letter) != 1 or letter not in options.lower():
        raise AssertionError(f"{_name(name)}: expected one letter among {', '.join(repr(o) for o in options)}, got {value!r}")
    return letter


def close(actual: float | tuple[float, ...], expected, rel: float = 1e-3, abs_: float = 1e-6) -> bool:
    """``actual`` (as read above) equals ``expected`` to a relative ``rel`` (answers are worked out by hand)."""
    if isinstance(actual, tuple) or isinstance(expected, (tuple, list)):
        expected = tuple(float(e) for e in expected)
        return isinstance(actual, tuple) and len(actual) == len(expected) and all(
            math.isclose(a, e, rel_tol=rel, abs_tol=abs_) for a, e in zip(actual, expected))
    return math.isclose(actual, float(expected), rel_tol=rel, abs_tol=abs_)
