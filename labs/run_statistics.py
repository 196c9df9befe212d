"""Confidence intervals and Welch's test for comparing training runs over seeds (lab 11).

These are the course's reference versions of the functions students write in lab 11.2. nbgrader runs each notebook in
its own kernel, so lab 11.3 cannot use the student's own copies: it uses these, so that a slip in notebook 2 does not
spoil the experiment of notebook 3 (one bug costs one exercise). The notebook 2 tests refuse them while the
student's functions run.
"""

from __future__ import annotations

import math

import torch
from scipy import stats


def _sample(xs) -> torch.Tensor:
    x = torch.as_tensor(xs, dtype=torch.float64).flatten()
    if x.numel() < 2:
        raise ValueError(f"need at least two values, got {x.numel()}")
    return x


def mean_ci(xs, level: float = 0.95) -> tuple[float, float]:
    """The Student-t confidence interval ``mean ± t_{n-1, (1+level)/2} · s / sqrt(n)`` as ``(low, high)``."""
    x = _sample(xs)
    n = x.numel()
    half = stats.t.ppf((1 + level) / 2, n - 1) * x.std(unbiased=True).item() / math.sqrt(n)
    mean = x.mean().item()
    return mean - half, mean + half


def bootstrap_ci(xs, stat, n_boot: int = 2000, level: float = 0.95, generator: torch.Generator | None = None
                 ) -> tuple[float, float]:
    """The percentile bootstrap interval: ``stat`` of ``n_boot`` resamples drawn with replacement (all at once, as
    ``torch.randint(n, (n_boot, n), generator=generator)``), cut at the ``(1-level)/2`` and ``(1+level)/2`` quantiles.

    ``stat`` maps a ``(n_boot, n)`` tensor of resamples to ``n_boot`` values (``lambda r: r.mean(-1)``).
    """
    x = torch.as_tensor(xs, dtype=torch.float64).flatten()
    index = torch.randint(x.numel(), (n_boot, x.numel()), generator=generator)
    values = torch.as_tensor(stat(x[index]), dtype=torch.float64)
    q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    low, high = torch.quantile(values, q)
    return low.item(), high.item()


def welch_t_test(a, b) -> tuple[float, float, float]:
    """Welch's unequal-variance t-test of equal means: ``(t, degrees of freedom, two-sided p-value)``."""
    x, y = _sample(a), _sample(b)
    va, vb = x.var(unbiased=True).item() / x.numel(), y.var(unbiased=True).item() / y.numel()
    t = (x.mean().item() - y.mean().item()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (x.numel() - 1) + vb ** 2 / (y.numel() - 1))
    return t, df, 2 * stats.t.sf(abs(t), df)
