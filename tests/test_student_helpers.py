"""The plumbing that labs 6 and 7 import (labs.transfer, labs.textsets, labs.pretrained): not exercises, but tested."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labs import pretrained, textsets, transfer
from tests.test_data import FASHION, R_DATA


def test_balanced_indices_takes_the_same_number_of_each_class():
    labels = np.repeat(np.arange(10), 7)[np.random.default_rng(0).permutation(70)]
    index = transfer.balanced_indices(labels, 3, torch.Generator().manual_seed(1))
    assert index.shape == (30,) and len(set(index.tolist())) == 30
    assert labels[index.numpy()].tolist() == [c for c in range(10) for _ in range(3)]
    again = transfer.balanced_indices(labels, 3, torch.Generator().manual_seed(1))
    other = transfer.balanced_indices(labels, 3, torch.Generator().manual_seed(2))
    assert torch.equal(index, again) and not torch.equal(index, other)
    with pytest.raises(ValueError, match="only 7 images"):
        transfer.balanced_indices(labels, 8, torch.Generator())


def test_network_input_scale_size_and_channels():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[1] = 255
    x = transfer.to_network_input(images, size=64)
    assert x.shape == (2, 3, 64, 64) and x.dtype == torch.float32
    assert torch.allclose(x[0], torch.full_like(x[0], -127 / 128)) and torch.allclose(x[1], torch.full_like(x[1], 1.0))
    ramp = np.tile(np.arange(28, dtype=np.uint8) * 9, (1, 28, 1))
    y = transfer.to_network_input(ramp, size=32)
    assert torch.equal(y[0, 0], y[0, 1]) and torch.equal(y[0, 1], y[0, 2])  # grey replicated to RGB
    assert bool((y[0, 0, :, 1:] >= y[0, 0, :, :-1]).all())  # upscaling keeps the left-to-right ramp
    with pytest.raises(ValueError, match="multiples of 32"):
        transfer.to_network_input(images, size=50)


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_rgb_is_a_balanced_reproducible_sample():
    x, y = transfer.fashion_mnist_rgb("test", per_class=2, seed=3, size=32)
    assert x.shape == (20, 3, 32, 32) and y.tolist() == [c for c in range(10) for _ in range(2)]
    x2, _ = transfer.fashion_mnist_rgb("test", per_class=2, seed=3, size=32)
    assert torch.equal(x, x2)


def test_pretrained_network_recognises_a_bundled_photograph():
    from PIL import Image
    from skimage import data as photos

    model = pretrained.efficientnet_lite0()
    assert not model.training
    image = Image.fromarray(photos.chelsea()).resize((298, 224)).crop((37, 0, 261, 224))  # Chelsea the cat
    x = (torch.from_numpy(np.array(image)).permute(2, 0, 1).float() - pretrained.PIXEL_MEAN) / pretrained.PIXEL_SCALE
    with torch.no_grad():
        top = model(x[None]).softmax(-1)[0].topk(5).indices.tolist()
    names = [pretrained.imagenet_classes()[i] for i in top]
    assert {"tabby", "tiger cat", "Egyptian cat"} & set(names[:3]), names
    untrained = pretrained.efficientnet_lite0(pretrained=False)
    assert not torch.equal(untrained._fc.weight, model._fc.weight)


@R_DATA
def test_austen_split_keeps_held_out_text_apart():
    train, held_out = textsets.austen_split(train_chars=50_000, held_out_chars=5_000)
    full = textsets.load_jane_austen()["Pride & Prejudice"]
    assert train == full[:50_000] and len(held_out) <= 5_000
    assert set(held_out) <= set(train)  # a vocabulary built on the training text covers it
    assert full.index(held_out[:200]) > 50_000  # comes after the training text
    with pytest.raises(ValueError, match="fewer than"):
        textsets.austen_split(train_chars=10**7)


def test_random_windows_are_consecutive_ids():
    ids = torch.arange(100)
    windows = textsets.random_windows(ids, batch_size=8, length=10, generator=torch.Generator().manual_seed(0))
    assert windows.shape == (8, 11)
    assert bool((windows[:, 1:] - windows[:, :-1] == 1).all()) and int(windows.max()) < 100
    with pytest.raises(ValueError, match="at least 11"):
        textsets.random_windows(torch.arange(10), 2, 10, torch.Generator())


def test_length_batches_cover_every_index_once_and_pad_little():
    lengths = torch.randint(1, 400, (1000,), generator=torch.Generator().manual_seed(0))
    batches = textsets.length_batches(lengths, batch_size=32, generator=torch.Generator().manual_seed(1))
    together = torch.cat(batches)
    assert sorted(together.tolist()) == list(range(1000))
    spread = np.mean([float(lengths[b].max() - lengths[b].min()) for b in batches])
    random_spread = np.mean([float(lengths[b].max() - lengths[b].min())
                             for b in torch.randperm(1000, generator=torch.Generator().manual_seed(2)).split(32)])
    assert spread < random_spread / 4  # bucketing: batches of similar lengths
