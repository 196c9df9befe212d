"""labs.answers reads every correct form of a test answer and refuses what is not an answer of its kind."""

from __future__ import annotations

import fractions

import numpy as np
import pytest
import torch

from labs import answers


@pytest.mark.parametrize("value", [15, 15.0, np.int64(15), np.float32(15), torch.tensor(15), torch.tensor([15.0]),
                                   np.array(15), fractions.Fraction(30, 2)])
def test_integer_accepts_every_form_of_a_whole_number(value):
    result = answers.integer(value, "q")
    assert result == 15 and type(result) is int


@pytest.mark.parametrize(("value", "message"), [
    ("15", "expected a whole number, got str"), (True, "truth value"), (15.5, "whole number, got 15.5"),
    (float("nan"), "whole number"), (torch.tensor([1, 2]), "tensor of shape (2,)"), (None, "got NoneType"),
    ([15], "got list"), (torch.tensor(True), "torch.bool"),
])
def test_integer_refuses_other_values(value, message):
    with pytest.raises(AssertionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        answers.integer(value, "q")


@pytest.mark.parametrize("value", [0.25, 1 / 4, np.float64(0.25), torch.tensor(0.25), fractions.Fraction(1, 4), np.array([0.25])])
def test_number_accepts_every_form(value):
    result = answers.number(value)
    assert result == 0.25 and type(result) is float


@pytest.mark.parametrize("value", ["0.25", float("inf"), float("nan"), np.bool_(True), 1j, torch.tensor([0.25, 1.0])])
def test_number_refuses_other_values(value):
    with pytest.raises(AssertionError):
        answers.number(value, "q")


@pytest.mark.parametrize("value", [(1, 16, 15, 15), [1, 16, 15, 15], torch.Size([1, 16, 15, 15]), (1.0, 16, np.int64(15), torch.tensor(15)),
                                   torch.tensor([1, 16, 15, 15]), np.array([1, 16, 15, 15])])
def test_shape_accepts_every_form(value):
    assert answers.shape(value, "q", ndim=4) == (1, 16, 15, 15)


@pytest.mark.parametrize(("value", "message"), [
    ((1, 16, 15), "4 dimensions, got 3"), ((1, 16, 15.5, 15), "whole number"), ((1, -16, 15, 15), "negative"),
    ("(1, 16, 15, 15)", "got str"), (torch.zeros(1, 16, 15, 15), "got Tensor"),
])
def test_shape_refuses_other_values(value, message):
    with pytest.raises(AssertionError, match=message):
        answers.shape(value, "q", ndim=4)


def test_vector_reads_sequences_of_numbers():
    for value in [(-0.75, 0.25, 0.5), [-0.75, 0.25, 0.5], torch.tensor([-0.75, 0.25, 0.5]), np.array([-0.75, 0.25, 0.5])]:
        assert answers.vector(value, "q", length=3) == (-0.75, 0.25, 0.5)
    for wrong in [(1, 2), "1, 2, 3", torch.zeros(3, 1), (1, "2", 3), 3.0]:
        with pytest.raises(AssertionError):
            answers.vector(wrong, "q", length=3)


def test_choice_accepts_any_case_and_brackets():
    for value in ["b", "B", " b ", "(b)", "B."]:
        assert answers.choice(value, "abcd", "q") == "b"
    for wrong in ["e", "ab", "", 2, ["b"], None]:
        with pytest.raises(AssertionError, match="one letter among"):
            answers.choice(wrong, "abcd", "q")


def test_close_accepts_four_significant_figures_and_refuses_a_near_miss():
    assert answers.close(0.8668, 0.866813) and answers.close(1.307, 1.306853)
    assert not answers.close(0.9684, 0.99) and not answers.close(0.87, 0.8668)
    assert answers.close((1.0, 0.25), [1, 0.25]) and not answers.close((1.0,), [1.0, 0.25])
    assert not answers.close((1.0, 0.5), [1.0, 0.25])
