"""Comparisons for test cells that say what is wrong, not just that something is.

Every helper raises ``AssertionError`` with a message such as::

    pinv_svd: max |diff| = 3.1e-02 against torch.linalg.pinv (tolerance 1e-06 + 1e-06 * |expected|)

and prints one line when the check passes, so a student sees what was checked.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
import types
from collections.abc import Callable

import numpy as np
import torch


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

    Checks the type and shape first. Where ``expected`` is not finite, ``actual`` must match it exactly
    (inf of the same sign, nan where it is nan); where ``expected`` is finite, so must ``actual`` be.
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
    finite = torch.isfinite(e)
    if not finite.all():  # a non-finite reference entry is matched exactly or not at all
        unmatched = ~finite & ~((a == e) | (torch.isnan(a) & torch.isnan(e)))
        if bool(unmatched.any()):
            index = tuple(int(i) for i in torch.nonzero(unmatched)[0])
            at = f"at index {index} " if index else ""
            raise AssertionError(f"{name}: {against} is {float(e[index])} {at}and the answer must match it exactly, "
                                 f"got {float(a[index]):.6g} ({int(unmatched.sum())} such entries)")
    wild = finite & ~torch.isfinite(a)
    if bool(wild.any()):
        bad = int(wild.sum())
        if finite.all():
            raise AssertionError(f"{name}: {bad} entries are inf or nan; {against} has none")
        index = tuple(int(i) for i in torch.nonzero(wild)[0])
        raise AssertionError(f"{name}: {bad} entries are inf or nan where {against} is finite "
                             f"(first at index {index}: got {float(a[index])}, expected {float(e[index]):.6g})")
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


def assert_trainable(model: torch.nn.Module, loss_of: Callable[[torch.nn.Module], torch.Tensor], name: str) -> None:
    """Training ``model`` can work: the loss reaches every parameter, and one small gradient step lowers it.

    ``loss_of(model)`` returns a scalar loss of the model on a fixed batch (it must be deterministic: seed
    any noise it draws). The check runs on a copy, so ``model`` is left as it was. It catches a forward pass
    that cuts the graph (``.detach()``, ``.item()``, ``torch.no_grad()``, a tensor rebuilt from numbers),
    parameters the forward pass never uses, and layers kept in a plain list instead of an ``nn.ModuleList``.
    """
    import copy

    trial = copy.deepcopy(model)
    parameters = dict(trial.named_parameters())
    if not parameters:
        raise AssertionError(f"{name}: the model has no parameters (layers kept in a plain list or dict are not "
                             "registered: use nn.ModuleList / nn.ModuleDict or attributes)")
    loss = loss_of(trial)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise AssertionError(f"{name}: the loss must be a scalar tensor")
    if not loss.requires_grad:
        raise AssertionError(f"{name}: the loss does not depend on any parameter: the forward pass cuts the graph "
                             "(.detach(), .item(), torch.no_grad() or a tensor rebuilt from numbers)")
    trial.zero_grad()
    loss.backward()
    unreached = [n for n, p in parameters.items() if p.requires_grad and (p.grad is None or not bool(p.grad.abs().sum() > 0))]
    if unreached:
        raise AssertionError(f"{name}: no gradient reaches {', '.join(unreached[:4])}"
                             f"{' ...' if len(unreached) > 4 else ''}: the forward pass does not use them or cuts the graph")
    if not all(bool(torch.isfinite(p.grad).all()) for p in parameters.values() if p.grad is not None):
        raise AssertionError(f"{name}: some gradients are inf or nan")
    before = float(loss.detach())
    state = {n: p.detach().clone() for n, p in parameters.items()}
    grads = {n: p.grad.detach().clone() for n, p in parameters.items() if p.grad is not None}
    scale = max(float(g.abs().max()) for g in grads.values())
    after = before
    for lr in (1e-2, 1e-3, 1e-4, 1e-5):  # a small enough step along minus the gradient lowers a smooth loss
        with torch.no_grad():
            for n, p in parameters.items():
                p.copy_(state[n] - lr / scale * grads[n] if n in grads else state[n])
            after = float(loss_of(trial))
        if after < before:
            break
    if not after < before:
        raise AssertionError(f"{name}: a small gradient step does not lower the loss ({before:.6g} -> {after:.6g})")
    print(f"{name}: gradients reach all {len(parameters)} parameter tensors; one step lowers the loss "
          f"{before:.4g} -> {after:.4g} (ok)")


# ----------------------------------------------------------------------------- forbidden calls


class ForbiddenCall(AssertionError):
    """The student's code called a function that the exercise forbids."""


def _resolve(dotted: str):
    """The object named by a dotted path such as ``torch.nn.functional.softmax`` or ``torch.Tensor.softmax``."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ValueError(f"cannot import {dotted!r}")


# The forbid() blocks now running, innermost last: each collects the refusals made while it runs.
_REFUSALS: list[list[str]] = []


def _refused(message: str) -> ForbiddenCall:
    """Record a refused call with the innermost forbid() block (even if the caller swallows the error)."""
    if _REFUSALS:
        _REFUSALS[-1].append(message)
    return ForbiddenCall(message)


def _raising_code(message: str):
    """A code object that raises ForbiddenCall(message) through this module, whatever globals it runs with."""
    namespace: dict = {}
    exec(f"def _forbidden(*args, **kwargs):\n    raise __import__('labs.checks', fromlist=['_refused'])._refused({message!r})\n",
         {}, namespace)
    return namespace["_forbidden"].__code__


@contextlib.contextmanager
def forbid(*names: str, exercise: str = "this exercise"):
    """While the block runs, calling any of the named library functions raises ``ForbiddenCall``.

    ``names`` are dotted paths (``"torch.nn.functional.cosine_similarity"``, ``"torch.cdist"``). Every way of
    reaching them is caught: an import under another name or through a module alias, the method form of
    a torch function (forbidding ``torch.softmax`` forbids ``x.softmax(-1)`` too), and a module whose forward
    calls them (``nn.CosineSimilarity`` calls ``F.cosine_similarity``). A library function that calls a
    forbidden one internally is not seen (``F.softmax`` reaches ``Tensor.softmax`` inside torch): list such
    wrappers too.

    Torch functions are caught by a ``TorchFunctionMode`` (it sees every call to a torch operation, whatever
    name it was reached by); plain Python functions without a closure have their code swapped for the
    duration, so that every reference to them fails; anything else is replaced where it lives. A refused
    call is reported again on leaving the block, even if the student's code swallowed the error.
    """
    import torch
    from torch.overrides import TorchFunctionMode

    torch_targets: dict[object, str] = {}
    python_targets: dict[types.FunctionType, str] = {}
    attribute_patches: list[tuple[object, str, object]] = []
    for name in names:
        target = _resolve(name)
        if isinstance(target, types.FunctionType) and not target.__code__.co_freevars:
            python_targets[target] = name
        elif isinstance(target, types.BuiltinFunctionType | types.MethodDescriptorType | types.WrapperDescriptorType) \
                or name.startswith("torch."):
            torch_targets[target] = name
            method = getattr(torch.Tensor, getattr(target, "__name__", ""), None)
            if method is not None and name.startswith("torch.") and not name.startswith("torch.Tensor."):
                torch_targets.setdefault(method, f"{name} (as a method)")
        else:  # another kind of callable (a NumPy dispatcher, a closure): replace it where it lives
            module_name, _, attribute = name.rpartition(".")
            attribute_patches.append((_resolve(module_name), attribute, target))

    def message(name: str) -> str:
        return f"{exercise}: the exercise asks you not to call {name}; write that step yourself"

    class Refuse(TorchFunctionMode):
        def __torch_function__(self, func, types_, args=(), kwargs=None):
            name = torch_targets.get(func)
            if name is not None:
                raise _refused(message(name))
            return func(*args, **(kwargs or {}))

    calls: list[str] = []
    saved_code = {function: function.__code__ for function in python_targets}
    _REFUSALS.append(calls)
    try:
        for function, name in python_targets.items():
            function.__code__ = _raising_code(message(name))
        for owner, attribute, _ in attribute_patches:
            def stand_in(*args, _message=message(_name_of(owner, attribute)), **kwargs):
                raise _refused(_message)
            setattr(owner, attribute, stand_in)
        with Refuse():
            yield
    finally:
        del _REFUSALS[next(i for i in reversed(range(len(_REFUSALS))) if _REFUSALS[i] is calls)]
        for function, code in saved_code.items():
            function.__code__ = code
        for owner, attribute, original in attribute_patches:
            setattr(owner, attribute, original)
    if calls:
        raise ForbiddenCall(calls[0])


def _name_of(owner, attribute: str) -> str:
    return f"{getattr(owner, '__name__', type(owner).__name__)}.{attribute}"
