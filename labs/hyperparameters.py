"""The hyperparameter problem of lab 9: ridge regression on the diabetes data, where the regulariser matters.

The 10 baseline variables of scikit-learn's diabetes data are expanded to their 65 monomials of degree 1 and 2, and
only 80 patients are used for training: with almost as many features as examples, least squares over-fits badly, and
the validation error depends strongly on the ridge strength. The closed-form solution and the grid search are the
references the notebooks compare gradient-based answers with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from labs import data


@dataclass(frozen=True)
class RidgeProblem:
    """Standardised features and targets (float64), split into training, validation and test patients."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]


def polynomial_features(X: np.ndarray) -> np.ndarray:
    """The features themselves, then every product ``x_i x_j`` with ``i <= j`` (the degree-2 monomials)."""
    i, j = np.triu_indices(X.shape[1])
    return np.concatenate([X, X[:, i] * X[:, j]], axis=1)


def diabetes_ridge_problem(seed: int = 0, n_train: int = 80, n_val: int = 180) -> RidgeProblem:
    """A random split of the 442 patients (the rest are the test set), standardised with training statistics."""
    features, target = data.load("diabetes")
    X = polynomial_features(np.asarray(features, dtype=np.float64))
    y = np.asarray(target, dtype=np.float64)
    if n_train + n_val >= len(y):
        raise ValueError(f"n_train + n_val must leave test patients: {n_train} + {n_val} >= {len(y)}")
    order = np.random.default_rng(seed).permutation(len(y))
    train, val, test = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    X = (X - mean) / std
    y = (y - y[train].mean()) / y[train].std()
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    return RidgeProblem(as_tensor(X[train]), as_tensor(y[train]), as_tensor(X[val]), as_tensor(y[val]),
                        as_tensor(X[test]), as_tensor(y[test]))


def ridge_training_loss(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor, lam) -> torch.Tensor:
    """``0.5 * mean((X w - y)^2) + 0.5 * sum(lam * w^2)``: the inner objective of the lab (``lam`` a number, or one
    penalty per feature)."""
    return 0.5 * (X @ w - y).pow(2).mean() + 0.5 * (lam * w.pow(2)).sum()


def ridge_closed_form(X: torch.Tensor, y: torch.Tensor, lam) -> torch.Tensor:
    """The minimiser of ``ridge_training_loss``: ``(X^T X / n + lam I)^{-1} X^T y / n``."""
    n, d = X.shape
    return torch.linalg.solve(X.T @ X / n + lam * torch.eye(d, dtype=X.dtype), X.T @ y / n)


def mean_squared_error(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (X @ w - y).pow(2).mean()


def smoothness(X: torch.Tensor) -> float:
    """The largest eigenvalue of ``X^T X / n``: gradient descent on the ridge loss is stable for ``lr < 2 / (L + lam)``."""
    return torch.linalg.eigvalsh(X.T @ X / X.shape[0]).max().item()


def grid_search(problem: RidgeProblem, lams: np.ndarray) -> tuple[float, np.ndarray]:
    """Validation error of the exact ridge solution at each ``lam``; returns the best ``lam`` and all the errors."""
    errors = np.array([mean_squared_error(ridge_closed_form(problem.X_train, problem.y_train, float(lam)),
                                          problem.X_val, problem.y_val).item() for lam in lams])
    return float(lams[int(np.argmin(errors))]), errors
