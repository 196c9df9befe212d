"""MNIST-1D and the model-family experiment of lab 11: the data, the three model families and the training loop.

Lab 11.3 reproduces, on a CPU budget, the headline ordering of Greydanus & Kobak's MNIST-1D benchmark (*Scaling down
deep learning with MNIST-1D*, arXiv:2011.14439): logistic regression < MLP < CNN in test accuracy, and the CNN's
advantage vanishing when the positions of every signal are shuffled by one fixed permutation. What is not an exercise
lives here: generating the data offline, the models, the training loop and the reference ``run_seeds`` (which the
notebook's tests forbid the student's version to call).

The data come from the PyPI package ``mnist1d`` through ``mnist1d.data.make_dataset`` (generated from the ten
templates, never downloaded). ``make_dataset`` reseeds NumPy's and Python's *global* generators with its own seed (42):
``load_mnist1d`` saves and restores both, so that loading the data does not silently reset a notebook's seeds.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

#: Test accuracies reported in the README of github.com/greydanus/mnist1d (commit 011d9bea, "Comparing MNIST and
#: MNIST-1D"), in percent, for the default data (4,000 training and 1,000 test examples) and for the same data with
#: the spatial dimension shuffled by a fixed permutation.
PAPER_ACCURACY = {
    "logistic": {"original": 32.0, "shuffled": 32.0},
    "mlp": {"original": 68.0, "shuffled": 68.0},
    "cnn": {"original": 94.0, "shuffled": 56.0},
    "gru": {"original": 91.0, "shuffled": 57.0},
}

LENGTH, CLASSES = 40, 10


@dataclass(frozen=True)
class MNIST1D:
    """Signals ``x_*`` of shape ``(n, 40)`` (float32) and digit labels ``y_*`` of shape ``(n,)`` (int64)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@functools.lru_cache(maxsize=4)
def load_mnist1d(num_samples: int = 5000, seed: int = 42) -> MNIST1D:
    """MNIST-1D generated offline with the package's default arguments (80 % train, 20 % test).

    The default, 5,000 examples, is the paper's data set (4,000 + 1,000); it takes about a second to generate and is
    cached for the rest of the process. The global NumPy and Python random states are left as they were.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    if num_samples < 20:
        raise ValueError(f"num_samples must be at least 20, got {num_samples}")
    args = get_dataset_args()
    args.num_samples, args.seed = int(num_samples), int(seed)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    return MNIST1D(
        x_train=torch.tensor(data["x"], dtype=torch.float32),
        y_train=torch.tensor(data["y"], dtype=torch.int64),
        x_test=torch.tensor(data["x_test"], dtype=torch.float32),
        y_test=torch.tensor(data["y_test"], dtype=torch.int64),
    )


def shuffle_positions(data: MNIST1D, seed: int = 0) -> MNIST1D:
    """The same examples with their 40 positions reordered by one fixed random permutation (the paper's "shuffle").

    Every example gets the same permutation, so no information is lost: a model that ignores the order of its inputs
    (logistic regression, an MLP) can do exactly as well as before, but neighbouring values are no longer neighbours.
    """
    order = torch.randperm(data.x_train.shape[1], generator=torch.Generator().manual_seed(seed))
    return MNIST1D(data.x_train[:, order], data.y_train, data.x_test[:, order], data.y_test)


def logistic_regression() -> nn.Module:
    """Multinomial logistic regression: one linear layer from the 40 values to the 10 class logits (410 parameters)."""
    return nn.Linear(LENGTH, CLASSES)


def mlp(hidden: int = 100) -> nn.Module:
    """Two hidden ReLU layers of ``hidden`` units (the paper's MLP family; 15,210 parameters for 100 units)."""
    return nn.Sequential(nn.Linear(LENGTH, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, CLASSES))


class ConvNet(nn.Module):
    """The reference CNN: three 1-D convolutions with stride 2 and ReLU, then a linear classifier.

    Input ``(batch, 40)``; lengths 40 -> 19 -> 10 -> 5; ``channels`` filters per layer (the paper uses 25).
    """

    def __init__(self, channels: int = 16):
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, kernel_size=5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, kernel_size=3, stride=2, padding=1)
        self.linear = nn.Linear(5 * channels, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.unsqueeze(1)
        h = torch.relu(self.conv1(h))
        h = torch.relu(self.conv2(h))
        h = torch.relu(self.conv3(h))
        return self.linear(h.flatten(1))


MODEL_FAMILIES = {"logistic": logistic_regression, "mlp": mlp, "cnn": ConvNet}

#: The training budget of lab 11.3 (the paper trains for 8,000 steps of 100 examples with Adam at 1e-2).
STEPS, BATCH_SIZE, LEARNING_RATE = 500, 100, 1e-2


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of examples whose highest logit is the label."""
    with torch.no_grad():
        return (model(x).argmax(dim=-1) == y).float().mean().item()


def train(model: nn.Module, data: MNIST1D, generator: torch.Generator, *, steps: int = STEPS,
          batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE) -> float:
    """Adam on the cross-entropy of mini-batches drawn with ``generator`` (a fresh random order each epoch); returns
    the test accuracy of the trained model.

    All the randomness of training is in ``generator`` and in the model's initial weights, so the same initial
    weights and the same generator state give the same result, bit for bit, on the same machine and thread count.
    """
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    n = data.x_train.shape[0]
    order, position = torch.randperm(n, generator=generator), 0
    model.train()
    for _ in range(steps):
        if position + batch_size > n:
            order, position = torch.randperm(n, generator=generator), 0
        batch = order[position:position + batch_size]
        position += batch_size
        loss = nn.functional.cross_entropy(model(data.x_train[batch]), data.y_train[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    return accuracy(model, data.x_test, data.y_test)


def run_seeds(make_model, data: MNIST1D, seeds, **train_options) -> torch.Tensor:
    """Reference: for each seed, a model built after ``torch.manual_seed(seed)`` and trained with a generator seeded
    with ``seed``; the test accuracies as a float64 tensor, one per seed, in the order of ``seeds``."""
    accuracies = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = make_model()
        accuracies.append(train(model, data, torch.Generator().manual_seed(seed), **train_options))
    return torch.tensor(accuracies, dtype=torch.float64)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
