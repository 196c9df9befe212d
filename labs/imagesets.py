"""Image datasets as PyTorch tensors for the vision labs, and accuracy on held-out images.

Lab 4 has students write a Fashion-MNIST ``Dataset`` themselves; later notebooks use these ready-made
versions so that they do not depend on a student's answer from another notebook.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from labs import data

# Pixel mean and standard deviation of the 60,000 Fashion-MNIST training images, scaled to [0, 1]
# (tests/test_imagesets.py recomputes them from the data).
FASHION_MNIST_MEAN = 0.2860
FASHION_MNIST_STD = 0.3530
FASHION_MNIST_CLASSES = data.FASHION_MNIST_CLASSES


def to_float_images(images: np.ndarray) -> torch.Tensor:
    """uint8 images (N, H, W) in 0..255 as a float32 tensor (N, 1, H, W) in [0, 1]."""
    array = np.asarray(images)
    if array.ndim != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected uint8 images of shape (N, H, W), got {array.dtype} {array.shape}")
    return torch.from_numpy(array.astype(np.float32) / 255.0).unsqueeze(1)


def fashion_mnist(split: str = "train", *, normalise: bool = True) -> TensorDataset:
    """Fashion-MNIST ``split`` ("train" or "test") as (image (1, 28, 28), label) pairs.

    With ``normalise`` the images are standardised with the *training* mean and standard deviation,
    for both splits, as a model will see them.
    """
    images, labels = data.load_fashion_mnist(split)
    x = to_float_images(images)
    if normalise:
        x = (x - FASHION_MNIST_MEAN) / FASHION_MNIST_STD
    return TensorDataset(x, torch.from_numpy(labels))


def mnist_digits() -> TensorDataset:
    """The 5,000 MNIST digits (sorted by label) as (image (1, 28, 28) in [0, 1], label) pairs."""
    images, labels = data.load_mnist_digits()
    return TensorDataset(to_float_images(images), torch.from_numpy(labels))


@torch.no_grad()
def accuracy(model: torch.nn.Module, dataset: torch.utils.data.Dataset, batch_size: int = 1000) -> float:
    """Fraction of ``dataset`` that ``model`` classifies correctly (argmax of its outputs).

    The model is evaluated in eval mode on the device of its parameters and left in the mode it was in.
    """
    was_training = model.training
    device = next(model.parameters()).device
    model.eval()
    correct = total = 0
    try:
        for x, y in DataLoader(dataset, batch_size=batch_size):
            predictions = model(x.to(device)).argmax(dim=1).cpu()
            correct += int((predictions == y).sum())
            total += len(y)
    finally:
        model.train(was_training)
    return correct / total
