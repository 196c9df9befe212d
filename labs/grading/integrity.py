"""A run-time check, inside the grading kernel, that the tests' machinery still does its job.

Student code shares the kernel with the tests, so it can make a helper or a comparison always succeed in ways that
a review of its source does not recognise (:mod:`labs.grading.tamper` reads the source). After every test cell the
grader evaluates :func:`probe` in the kernel (an IPython *user expression*, not a cell: nothing is added to the
notebook) and flags ``tamper`` for review by hand when it reports anything:

- each helper of :mod:`labs.checks` must still reject a wrong answer, and its code must be the code of
  ``labs/checks.py`` on disk (compared with a fresh compilation of that file);
- PyTorch's and NumPy's comparisons must still tell 0 from 1, and the builtins the tests use must still compute.

A submission written to fool this probe as well can still do so (it runs in the student's kernel); the probe raises
the bar from "patch a helper" to "patch a helper and recognise the grader's probe", and the static review flags most
ways of reaching either. The threat model says so (``docs/threat-model.md``).
"""

from __future__ import annotations

import json

EXPRESSION = "__import__('labs.grading.integrity', fromlist=['probe']).probe()"


def probe() -> str:
    """What of the tests' machinery no longer behaves, as a JSON list of short descriptions ("[]": all well)."""
    failures: list[str] = []

    def must_fail(what: str, call) -> None:
        try:
            call()
        except Exception:  # (the helpers raise AssertionError; any failure is a failure)
            return
        failures.append(f"{what} accepted a wrong answer")

    try:
        import numpy as np
        import torch

        from labs import checks

        zeros, ones = torch.zeros(3), torch.ones(3)
        must_fail("labs.checks.assert_close", lambda: checks.assert_close(zeros, ones, "probe", quiet=True))
        must_fail("labs.checks.assert_true", lambda: checks.assert_true(False, "probe"))
        must_fail("labs.checks.check_tensor", lambda: checks.check_tensor(zeros, "probe", shape=(2,)))
        must_fail("numpy.testing.assert_allclose", lambda: np.testing.assert_allclose(np.zeros(3), np.ones(3)))
        comparisons = {
            "torch.allclose": lambda: torch.allclose(zeros, ones),
            "torch.equal": lambda: torch.equal(zeros, ones),
            "torch.isclose": lambda: bool(torch.isclose(zeros, ones).any()),
            "torch.Tensor.__eq__": lambda: bool((zeros == ones).any()),
            "numpy.allclose": lambda: bool(np.allclose(np.zeros(3), np.ones(3))),
            "numpy.ndarray.__eq__": lambda: bool((np.zeros(3) == np.ones(3)).any()),
            "all": lambda: all([False]),
            "any": lambda: any([False]),
            "isinstance": lambda: isinstance(1, str),
            "abs, len, sum, max": lambda: (abs(-2), len([1, 2]), sum([1, 2]), max([1, 2])) != (2, 2, 3, 2),
        }
        for what, says_equal in comparisons.items():
            if says_equal():
                failures.append(f"{what} says different values are the same")
        failures += _changed_code(checks)
    except Exception as error:  # the probe itself was broken: as suspicious as a wrong answer
        failures.append(f"the probe could not run ({type(error).__name__})")
    return json.dumps(failures)


def _changed_code(module) -> list[str]:
    """The functions of ``module`` whose code is no longer the code of its file on disk."""
    import types

    with open(module.__file__, encoding="utf-8") as handle:
        fresh = compile(handle.read(), module.__file__, "exec")
    originals = {const.co_name: const for const in fresh.co_consts if isinstance(const, types.CodeType)}
    changed = []
    for name, code in originals.items():
        function = module.__dict__.get(name)
        if isinstance(function, type):  # a class body's code: the class itself is checked through its methods' use
            continue
        function = getattr(function, "__wrapped__", function)  # a decorated helper: the function it wraps
        current = getattr(function, "__code__", None)
        if current is None or current.co_code != code.co_code or current.co_consts != code.co_consts:
            changed.append(f"labs.checks.{name} is not the code of labs/checks.py")
    return changed
