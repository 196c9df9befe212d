"""Target data for the transfer-learning lab: Fashion-MNIST as an ImageNet network expects its inputs.

The pretrained EfficientNet-Lite0 of :mod:`labs.pretrained` reads RGB images with pixel values v in 0..255
fed as (v - 127) / 128, at sides that are multiples of 32. Fashion-MNIST is 28 x 28 greyscale, so each image
is upscaled (bilinear) and its one channel repeated three times. None of this is the point of the lab, so
it lives here; the notebooks show what it does.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from labs import data, pretrained

FASHION_MNIST_CLASSES = data.FASHION_MNIST_CLASSES


def balanced_indices(labels: np.ndarray, per_class: int, generator: torch.Generator) -> torch.Tensor:
    """``per_class`` random indices of each class 0..9 of ``labels``, class by class (a tensor of 10 * per_class)."""
    labels = np.asarray(labels)
    chosen = []
    for c in range(len(FASHION_MNIST_CLASSES)):
        members = torch.from_numpy(np.nonzero(labels == c)[0])
        if len(members) < per_class:
            raise ValueError(f"class {c} has only {len(members)} images, asked for {per_class}")
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(chosen)


def to_network_input(images: np.ndarray | torch.Tensor, size: int = 64) -> torch.Tensor:
    """uint8 greyscale images (N, 28, 28) as float32 (N, 3, size, size) in the network's scale (v - 127) / 128."""
    if size % 32:
        raise ValueError(f"the network needs sides that are multiples of 32, not {size}")
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32).unsqueeze(1)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = (x - pretrained.PIXEL_MEAN) / pretrained.PIXEL_SCALE
    return x.expand(-1, 3, -1, -1).contiguous()


def fashion_mnist_rgb(split: str, per_class: int, seed: int, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """A class-balanced random sample of Fashion-MNIST ``split`` for the pretrained network.

    Returns images (10 * per_class, 3, size, size) float32 in the network's input scale and labels (int64),
    ordered class by class. The same ``seed`` gives the same sample.
    """
    images, labels = data.load_fashion_mnist(split)
    index = balanced_indices(labels, per_class, torch.Generator().manual_seed(seed))
    return to_network_input(images[index.numpy()], size), torch.from_numpy(labels[index.numpy()])
