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


def plot_graph(edges, labels: dict, ax=None, title: str = "", edge_labels: dict | None = None):
    """Draw a computational graph, inputs on the left and the output on the right; returns the axes.

    ``edges`` are ``(parent, child)`` pairs of node keys (any hashable objects: ``Var``s, autograd nodes, ids)
    and ``labels`` maps every node to its text. Each node is drawn as far right as its children allow (one
    column left of its leftmost child), so every edge points to the right and an input sits next to where it
    is used. ``edge_labels`` optionally maps ``(parent, child)`` to a short text written on that edge (a
    local derivative, say).
    """
    nodes = list(labels)
    children: dict = {node: [] for node in nodes}
    has_parent = set()
    for parent, child in edges:
        children[parent].append(child)
        has_parent.add(child)
    to_sink: dict = {}

    def steps_to_sink(node):
        if node not in to_sink:
            to_sink[node] = 1 + max((steps_to_sink(c) for c in children[node]), default=-1)
        return to_sink[node]

    last = max(steps_to_sink(node) for node in nodes)
    columns: dict[int, list] = {}
    for node in nodes:
        columns.setdefault(last - to_sink[node], []).append(node)
    height = max(len(column) for column in columns.values())
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * len(columns) + 1, 0.9 * height + 1))
    position = {}
    for d in sorted(columns, reverse=True):  # right to left: order a column by where its children are
        column = sorted(columns[d], key=lambda n: -np.mean([position[c][1] for c in children[n]]) if children[n] else 0.0)
        for k, node in enumerate(column):
            position[node] = (d, (len(column) - 1) / 2 - k)
    for parent, child in edges:
        ax.annotate("", xy=position[child], xytext=position[parent],
                    arrowprops=dict(arrowstyle="->", color="0.45", shrinkA=24, shrinkB=24))
        if edge_labels and (parent, child) in edge_labels:
            (x0, y0), (x1, y1) = position[parent], position[child]
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, edge_labels[(parent, child)], fontsize=7, color="tab:red",
                    ha="center", va="center", bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
    for node, (x, y) in position.items():
        ax.text(x, y, labels[node], ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.3", fc="lavender" if node in has_parent else "honeydew", ec="0.4"))
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(-height / 2, height / 2)
    ax.axis("off")
    ax.set_title(title)
    return ax
