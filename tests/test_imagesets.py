"""labs.imagesets and labs.plots: the image helpers the vision notebooks share."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from labs import data, imagesets, plots

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(not FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")


@needs_fashion
def test_fashion_statistics_are_those_of_the_training_images():
    images, _ = data.load_fashion_mnist("train")
    pixels = images.astype(np.float64) / 255
    assert abs(pixels.mean() - imagesets.FASHION_MNIST_MEAN) < 5e-5
    assert abs(pixels.std() - imagesets.FASHION_MNIST_STD) < 5e-5


@needs_fashion
def test_fashion_splits_are_normalised_with_training_statistics():
    train, test = imagesets.fashion_mnist("train"), imagesets.fashion_mnist("test")
    assert len(train) == 60000 and len(test) == 10000
    x, y = test[0]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert abs(float(train.tensors[0].mean())) < 1e-3 and abs(float(train.tensors[0].std()) - 1) < 1e-3
    raw = imagesets.fashion_mnist("test", normalise=False).tensors[0]
    assert float(raw.min()) == 0.0 and float(raw.max()) == 1.0
    torch.testing.assert_close(test.tensors[0], (raw - imagesets.FASHION_MNIST_MEAN) / imagesets.FASHION_MNIST_STD)


def test_digits_are_unit_range_images():
    digits = imagesets.mnist_digits()
    x, y = digits.tensors
    assert x.shape == (5000, 1, 28, 28) and 0 <= float(x.min()) and float(x.max()) == 1.0
    assert torch.bincount(y).tolist() == [500] * 10


def test_to_float_images_rejects_the_wrong_input():
    out = imagesets.to_float_images(np.array([[[0, 255]]], dtype=np.uint8))
    assert out.shape == (1, 1, 1, 2) and out.tolist() == [[[[0.0, 1.0]]]]
    with pytest.raises(ValueError, match="uint8"):
        imagesets.to_float_images(np.zeros((2, 3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        imagesets.to_float_images(np.zeros((3, 3), dtype=np.uint8))


class _PicksFirstFeature(torch.nn.Module):
    """Predicts class 0 when the first pixel is positive, else class 1; a parameter gives it a device."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, x):
        first = x.flatten(1)[:, 0] * self.scale
        return torch.stack([first, -first], dim=1)


def test_accuracy_counts_correct_predictions_and_keeps_the_mode():
    x = torch.tensor([1.0, -1.0, 2.0, -3.0, 0.5]).reshape(5, 1, 1, 1)
    y = torch.tensor([0, 1, 1, 1, 0])  # the third is wrong
    model = _PicksFirstFeature().train()
    dataset = torch.utils.data.TensorDataset(x, y)
    assert imagesets.accuracy(model, dataset, batch_size=2) == pytest.approx(4 / 5)
    assert model.training
    assert imagesets.accuracy(model.eval(), dataset) == pytest.approx(4 / 5) and not model.training


def test_show_images_lays_out_a_titled_grid():
    fig = plots.show_images(torch.rand(10, 1, 5, 5), titles=[str(i) for i in range(10)], ncols=4)
    axes = fig.get_axes()
    assert len(axes) == 12 and [a.get_title() for a in axes[:10]] == [str(i) for i in range(10)]
    assert sum(bool(a.images) for a in axes) == 10
    fig = plots.show_images(np.random.randn(2, 3, 3), symmetric=True)
    low, high = fig.get_axes()[0].images[0].get_clim()
    assert low == -high
    with pytest.raises(ValueError, match="titles"):
        plots.show_images(torch.rand(3, 4, 4), titles=["a"])
    with pytest.raises(ValueError, match="shape"):
        plots.show_images(torch.rand(4, 4))


def test_plot_history_draws_one_line_per_key_present_every_epoch():
    history = [{"loss": 1.0, "val_loss": 1.2}, {"loss": 0.5, "val_loss": 0.9}]
    ax = plots.plot_history(history, keys=("loss", "val_loss", "acc"))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss"]
    assert lines[0].get_xdata().tolist() == [1, 2] and lines[1].get_ydata().tolist() == [1.2, 0.9]


def test_plot_graph_puts_every_edge_left_to_right_and_labels_each_node():
    # x feeds a and b, which feed y; w is a second input used only by b (drawn next to where it is used).
    edges = [("x", "a"), ("x", "b"), ("w", "b"), ("a", "y"), ("b", "y")]
    labels = {"x": "x=2", "w": "w=3", "a": "a=x*x", "b": "b=w*x", "y": "y=a+b"}
    ax = plots.plot_graph(edges, labels, title="graph", edge_labels={("x", "a"): "2x"})
    where = {t.get_text(): t.get_position() for t in ax.texts}
    position = {node: where[text] for node, text in labels.items()}
    assert all(position[p][0] < position[c][0] for p, c in edges)
    assert position["x"][0] == position["w"][0] == 0 and position["y"][0] == 2
    assert "2x" in where and ax.get_title() == "graph"
    matplotlib.pyplot.close("all")
