"""Correct answers to lab 9 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab09.py)."""

from labs.qa.faults import alternative

GS, GS_T = "lab09-gumbel-softmax", ("lab09-gumbel-softmax-tests",)

ALTERNATIVES = [
    alternative("gs-straight-through-other-order", GS, GS_T, replace=(("return y_hard - y.detach() + y", "return y_hard + y - y.detach()"),),
                why="the straight-through sum in another order (one rounding away from one-hot)"),
    alternative("gs-eps-guard", GS, GS_T, replace=(("gumbels = -torch.log(-torch.log(u))", "gumbels = -torch.log(-torch.log(u + 1e-10) + 1e-10)"),),
                why="the common guard against log(0)"),
    alternative("gs-one-hot", GS, GS_T, replace=(("y_hard = torch.zeros_like(y).scatter_(-1, y.argmax(dim=-1, keepdim=True), 1.0)",
                                                  "y_hard = F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype)"),),
                why="F.one_hot instead of scatter"),
]
