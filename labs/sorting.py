"""Sets of numbers to sort, a learned pairwise comparison and the training loop of lab 9's sorting model.

The model of lab 9.4 orders a set by optimising a (relaxed) permutation matrix inside its forward pass, after Zhang,
Hare & Prügel-Bennett, *Learning Representations of Sets through Optimized Permutations* (ICLR 2019). Its forward
pass returns ``P`` of shape ``(batch, n, n)`` with ``P[b, u, p]`` the weight of item ``u`` at position ``p``. What is
not the exercise lives here: the data, the comparison network, the loss and the loop. ``sinkhorn`` is the reference
for notebook 3's exercise, which the notebook 3 tests forbid.
"""

from __future__ import annotations

import torch
from torch import nn


def random_sets(batch: int, n: int, generator: torch.Generator, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(batch, n)`` numbers drawn uniformly from [0, 1): ``batch`` sets of ``n`` numbers to sort."""
    return torch.rand(batch, n, generator=generator, dtype=dtype)


def sinkhorn(log_alpha: torch.Tensor, iters: int) -> torch.Tensor:
    """Sinkhorn normalisation in log space: each iteration normalises the rows, then the columns, of the last two
    dimensions; returns ``exp`` of the result (columns sum to 1 exactly, rows approximately)."""
    for _ in range(iters):
        log_alpha = log_alpha - log_alpha.logsumexp(dim=-1, keepdim=True)
        log_alpha = log_alpha - log_alpha.logsumexp(dim=-2, keepdim=True)
    return log_alpha.exp()


class PairwiseComparator(nn.Module):
    """``C[b, u, v] = f(x_u, x_v) - f(x_v, x_u)`` for a small MLP ``f``: antisymmetric by construction, so that
    ``C[u, v] > 0`` says "u goes before v" exactly when ``C[v, u] < 0`` says it the other way round."""

    def __init__(self, hidden: int = 32):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        first = x.unsqueeze(-1).expand(*x.shape, n)
        second = x.unsqueeze(-2).expand(*x.shape[:-1], n, n)
        f = self.f(torch.stack([first, second], dim=-1)).squeeze(-1)
        return f - f.transpose(-1, -2)


def apply_permutation(P: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The set reordered by ``P``: position ``p`` gets ``sum_u P[u, p] x_u`` (``P^T x``), shape ``(batch, n)``."""
    return (P.transpose(-1, -2) @ x.unsqueeze(-1)).squeeze(-1)


def exact_sort_accuracy(P: torch.Tensor, x: torch.Tensor) -> float:
    """The fraction of sets whose every position ``p`` is given to the right item (``argmax_u P[u, p]`` is the
    ``p``-th smallest number)."""
    return (P.argmax(dim=-2) == x.argsort(dim=-1)).all(dim=-1).float().mean().item()


def train_sorter(model: nn.Module, steps: int, generator: torch.Generator, *, n: int = 5, batch: int = 64,
                 lr: float = 3e-3) -> list[float]:
    """Adam on the mean squared error between the reordered set and the sorted set; returns the loss per step."""
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x = random_sets(batch, n, generator)
        loss = (apply_permutation(model(x), x) - x.sort(dim=-1).values).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return losses
