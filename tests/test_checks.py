"""labs.checks: the helpers that make visible tests explain themselves."""

from __future__ import annotations

import pytest
import torch

from labs.checks import assert_close, assert_no_loops, check_tensor, loops_in


def test_assert_close_message_names_the_difference_and_the_reference():
    with pytest.raises(AssertionError) as caught:
        assert_close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "f(x)", against="torch.f", rtol=0, atol=1e-6)
    message = str(caught.value)
    assert message.startswith("f(x): max |diff| = 5.0e-01 against torch.f")
    assert "index (1,)" in message and "got 2.5" in message


def test_assert_close_passes_within_tolerance_and_returns_none(capsys):
    # nbgrader reads a number shown as a test cell's result as partial credit: the helper returns None.
    assert assert_close(torch.tensor([1.0 + 1e-9]), torch.tensor([1.0]), "g", rtol=0, atol=1e-6) is None
    assert "g: max |diff|" in capsys.readouterr().out


def test_assert_close_checks_type_shape_and_nan():
    with pytest.raises(AssertionError, match="expected a torch.Tensor, got list"):
        assert_close([1.0], torch.tensor([1.0]), "h")
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), got \(1, 2\)"):
        assert_close(torch.ones(1, 2), torch.ones(2), "h")
    with pytest.raises(AssertionError, match="inf or nan"):
        assert_close(torch.tensor([float("nan")]), torch.tensor([0.0]), "h")


def test_assert_close_checks_non_finite_expected_entries():
    inf, nan = float("inf"), float("nan")
    # Matched exactly: the same infinities, nan where nan; the finite entries are compared as usual.
    assert_close(torch.tensor([1.0, inf, -inf, nan]), torch.tensor([1.0, inf, -inf, nan]), "h", quiet=True)
    assert_close(inf, inf, "scalar", quiet=True)
    # A finite answer where the reference is inf, naming the index (this used to pass silently).
    with pytest.raises(AssertionError, match=r"h: the reference is inf at index \(2,\) .*got 800"):
        assert_close(torch.tensor([0.0, 1.0, 800.0]), torch.tensor([0.0, 1.0, inf]), "h")
    with pytest.raises(AssertionError, match=r"is -inf at index \(0, 1\).*got inf"):
        assert_close(torch.tensor([[0.0, inf]]), torch.tensor([[0.0, -inf]]), "h")
    with pytest.raises(AssertionError, match=r"is nan at index \(1,\).*got 3"):
        assert_close(torch.tensor([1.0, 3.0]), torch.tensor([1.0, nan]), "h")
    with pytest.raises(AssertionError, match=r"scalar: torch.exp is inf and the answer must match it exactly, got nan"):
        assert_close(nan, inf, "scalar", against="torch.exp")
    # An inf or nan answer where the reference is finite fails even when other reference entries are not finite.
    with pytest.raises(AssertionError, match=r"inf or nan where the reference is finite \(first at index \(0,\)"):
        assert_close(torch.tensor([nan, inf]), torch.tensor([2.0, inf]), "h")


def test_check_tensor():
    assert check_tensor(torch.zeros(2, dtype=torch.float64), "t", shape=(2,), dtype=torch.float64) is None
    with pytest.raises(AssertionError, match="dtype"):
        check_tensor(torch.zeros(2), "t", dtype=torch.float64)
    with pytest.raises(AssertionError, match="shape"):
        check_tensor(torch.zeros(3), "t", shape=(2,))


def vectorised(a):
    return (a * a).sum()


def looped(a):
    total = 0
    for v in a:
        total += v
    return total + sum(x for x in a)


def test_loops_are_found():
    assert loops_in(vectorised) == []
    assert len(loops_in(looped)) == 2
    assert_no_loops(vectorised)
    with pytest.raises(AssertionError, match="not Python loops"):
        assert_no_loops(looped)


def test_python_floats_are_compared_in_double_precision():
    with pytest.raises(AssertionError, match="max \\|diff\\| = 1.0e-09"):
        assert_close(1.0 + 1e-9, 1.0, "x", rtol=0, atol=1e-12)
    assert_close(1.0 + 1e-13, 1.0, "x", rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- forbid


def _reference_softmax(z):
    e = (z - z.max(-1, keepdim=True).values).exp()
    return e / e.sum(-1, keepdim=True)


def test_forbid_catches_every_way_of_reaching_the_function():
    import numpy
    import torch.nn.functional as functional
    from torch.nn.functional import cosine_similarity as renamed

    from labs.checks import ForbiddenCall, forbid

    x = torch.randn(4, 5)
    attempts = {
        "imported under another name": lambda: renamed(x, x),
        "through a module alias": lambda: functional.cosine_similarity(x, x),
        "through a module": lambda: torch.nn.CosineSimilarity()(x, x),
        "as a method": lambda: x.softmax(-1),
        "the torch function": lambda: torch.softmax(x, -1),
        "a NumPy function": lambda: numpy.linalg.pinv(x.numpy()),
        "a Python function": lambda: torch.nn.utils.rnn.pad_sequence([x, x]),
    }
    banned = ("torch.nn.functional.cosine_similarity", "torch.softmax", "numpy.linalg.pinv",
              "torch.nn.utils.rnn.pad_sequence")
    for how, attempt in attempts.items():
        with pytest.raises(ForbiddenCall, match="my_exercise: the exercise asks you not to call"):
            with forbid(*banned, exercise="my_exercise"):
                attempt()
        assert attempt() is not None, f"{how}: the function must work again after the block"


def test_forbid_lets_everything_else_through_and_sees_swallowed_calls():
    from labs.checks import ForbiddenCall, forbid

    z = torch.randn(3, 7, dtype=torch.float64)
    with forbid("torch.softmax", "torch.Tensor.softmax", exercise="softmax"):
        own = _reference_softmax(z)  # exp, max, sum and division are allowed
    assert torch.allclose(own, torch.softmax(z, -1))

    def sneaky(t):
        try:
            return t.softmax(-1)
        except Exception:
            return None

    with pytest.raises(ForbiddenCall, match="torch.softmax"):
        with forbid("torch.softmax", exercise="softmax"):
            sneaky(z)

    def swallows_padding(seqs):
        try:
            return torch.nn.utils.rnn.pad_sequence(seqs)
        except Exception:
            return None

    with pytest.raises(ForbiddenCall, match="pad_sequence"):  # a Python function, its error swallowed
        with forbid("torch.nn.utils.rnn.pad_sequence", exercise="pad"):
            swallows_padding([z[0], z[1]])
    with forbid("torch.cdist", exercise="outer"):  # nested blocks: each reports its own refusals only
        with pytest.raises(ForbiddenCall, match="inner"):
            with forbid("torch.softmax", exercise="inner"):
                sneaky(z)
        assert sneaky(z) is not None  # softmax is allowed again once the inner block has ended
    with pytest.raises(ForbiddenCall, match="outer"):
        with forbid("torch.cdist", exercise="outer"):
            with forbid("torch.softmax", exercise="inner"):
                torch.cdist(z, z)


def _mse_of(x, y):
    return lambda model: torch.nn.functional.mse_loss(model(x), y)


def test_assert_trainable_passes_a_working_model_and_leaves_it_unchanged(capsys):
    from labs.checks import assert_trainable

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(16, 4), torch.randn(16, 2)
    assert assert_trainable(model, _mse_of(x, y), "mlp") is None
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())
    assert "mlp: gradients reach all 4 parameter tensors" in capsys.readouterr().out


def test_assert_trainable_catches_a_cut_graph_unused_parameters_and_unregistered_layers():
    from labs.checks import assert_trainable

    x, y = torch.randn(16, 4), torch.randn(16, 2)

    class Detached(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.second = torch.nn.Linear(4, 8), torch.nn.Linear(8, 2)

        def forward(self, x):
            return self.second(self.first(x).detach().relu())

    class Frozen(Detached):
        def forward(self, x):
            return self.second(self.first(x).relu()).detach()

    class Unused(Detached):
        def forward(self, x):
            return torch.zeros(len(x), 8) @ torch.ones(8, 2) + self.first(x)[:, :2]

    class Listed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [torch.nn.Linear(4, 2)]

        def forward(self, x):
            return self.layers[0](x)

    with pytest.raises(AssertionError, match=r"no gradient reaches first\.weight, first\.bias"):
        assert_trainable(Detached(), _mse_of(x, y), "detached")
    with pytest.raises(AssertionError, match="cuts the graph"):
        assert_trainable(Frozen(), _mse_of(x, y), "frozen")
    with pytest.raises(AssertionError, match=r"no gradient reaches second\.weight, second\.bias"):
        assert_trainable(Unused(), _mse_of(x, y), "unused")
    with pytest.raises(AssertionError, match="no parameters"):
        assert_trainable(Listed(), _mse_of(x, y), "listed")


def test_assert_trainable_catches_a_loss_that_rises_along_its_gradient():
    from labs.checks import assert_trainable

    class Upside(torch.nn.Module):  # its output's gradient is computed for the opposite sign
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3))

        def forward(self, x):
            return _Flip.apply(x * self.w)

    class _Flip(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return -grad

    x = torch.ones(5, 3)
    with pytest.raises(AssertionError, match="does not lower the loss"):
        assert_trainable(Upside(), lambda m: (m(x) ** 2).sum(), "upside")
