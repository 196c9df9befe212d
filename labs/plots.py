"""Figures that several lab notebooks draw: image grids and training curves."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def show_images(images, titles: Sequence[str] | None = None, ncols: int = 8, size: float = 1.3,
                cmap: str = "gray", symmetric: bool = False):
    """Draw images (N, H, W) or (N, 1, H, W), tensor or array, in a grid with optional titles; returns the figure.

    Each image is scaled on its own; with ``symmetric`` the scale is centred on zero (for filters and
    saliency maps, where the sign matters).
    """
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(f"expected images (N, H, W) or (N, 1, H, W), got shape {array.shape}")
    if titles is not None and len(titles) != len(array):
        raise ValueError(f"{len(titles)} titles for {len(array)} images")
    n = len(array)
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * nrows * (titles is not None)),
                             squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= n:
            continue
        image = array[index]
        if symmetric:
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
        else:
            ax.imshow(image, cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize=8)
    fig.tight_layout()
    return fig


def plot_history(history: Sequence[dict], keys: Sequence[str] = ("loss", "val_loss"), ax=None, title: str = ""):
    """Plot per-epoch values from a list of dicts (a Torchbearer history) against the epoch number."""
    if ax is None:
        _, ax = plt.subplots()
    epochs = np.arange(1, len(history) + 1)
    for key in keys:
        values = [row[key] for row in history if key in row]
        if len(values) == len(history):
            ax.plot(epochs, values, marker="o", label=key)
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.legend()
    return ax
