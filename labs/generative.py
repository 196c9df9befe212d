"""Data and training loops for the autoencoder and VAE notebooks of lab 8.

The notebooks ask students to write the *models* and the *losses*; the loops that train the models are
here, written with PyTorch's own losses, so that a mistake in one exercise costs only that exercise's
points: an autoencoder is trained with mean squared error whatever ``add_noise`` a student wrote, and a
VAE with the negative ELBO whatever ``vae_loss``. The notebooks show what these loops do.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from labs import data

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE


def fashion_mnist_vectors(split: str, count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` random Fashion-MNIST images of ``split`` as float32 vectors (count, 784) in [0, 1], and labels.

    The same ``seed`` gives the same images. ``count`` may be the whole split (60,000 or 10,000).
    """
    images, labels = data.load_fashion_mnist(split)
    if not 0 < count <= len(images):
        raise ValueError(f"count must be between 1 and {len(images)}, not {count}")
    index = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:count].numpy()
    vectors = torch.from_numpy(images[index].reshape(count, PIXELS).astype(np.float32) / 255.0)
    return vectors, torch.from_numpy(labels[index].astype(np.int64))


def as_images(vectors: torch.Tensor) -> torch.Tensor:
    """Vectors (N, 784) as images (N, 28, 28), detached and on the CPU, for plotting."""
    return vectors.detach().cpu().reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def _fit(model: torch.nn.Module, images: torch.Tensor, *, steps: int, batch_size: int, lr: float, seed: int,
         batch_loss) -> list[float]:
    """Adam on ``batch_loss(batch, generator, device)`` for ``steps`` random batches of ``images``; the losses.

    One generator, seeded with ``seed``, draws the batches and any noise the loss needs, so a seed fixes the run.
    The model is left in eval mode.
    """
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        batch = images[torch.randint(len(images), (batch_size,), generator=generator)]
        loss = batch_loss(batch, generator, device)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    model.eval()
    return losses


def train_autoencoder(model: torch.nn.Module, images: torch.Tensor, *, steps: int, batch_size: int = 128,
                      lr: float = 2e-3, noise_std: float = 0.0, seed: int = 0) -> list[float]:
    """Train ``model`` (vectors in, reconstructions out) with Adam to reconstruct ``images``; the losses per step.

    Each step draws a random batch and minimises the mean squared error between ``model(inputs)`` and the
    clean batch. With ``noise_std > 0`` the inputs are the batch with fresh Gaussian noise of that standard
    deviation, clamped to [0, 1]: a denoising autoencoder. The model is left in eval mode.
    """
    def reconstruction_loss(clean, generator, device):
        inputs = clean
        if noise_std > 0:
            inputs = (clean + noise_std * torch.randn(clean.shape, generator=generator)).clamp(0.0, 1.0)
        return F.mse_loss(model(inputs.to(device)), clean.to(device))

    return _fit(model, images, steps=steps, batch_size=batch_size, lr=lr, seed=seed, batch_loss=reconstruction_loss)


def _negative_elbo(model: torch.nn.Module, x: torch.Tensor, beta: float, generator: torch.Generator) -> torch.Tensor:
    """Mean over the batch of the Bernoulli reconstruction loss (summed over pixels) plus beta times the KL term."""
    mu, logvar = model.encode(x)
    noise = torch.randn(mu.shape, generator=generator).to(mu.device)
    z = mu + torch.exp(0.5 * logvar) * noise
    reconstruction = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="none").sum(dim=1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)
    return (reconstruction + beta * kl).mean()


def train_vae(model: torch.nn.Module, images: torch.Tensor, *, steps: int, batch_size: int = 128, lr: float = 2e-3,
              beta: float = 1.0, seed: int = 0) -> list[float]:
    """Train a VAE with Adam on ``images`` (vectors in [0, 1]); the loss per step.

    ``model.encode(x)`` must return ``(mu, logvar)`` of the approximate posterior and ``model.decode(z)`` the
    logits of a Bernoulli distribution over the pixels. The loss is the negative ELBO (one sample of z per
    image, drawn by reparameterisation) with the KL term weighted by ``beta`` (1 is the ELBO; 0 leaves an
    autoencoder with noise in its code). The model is left in eval mode.
    """
    return _fit(model, images, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                batch_loss=lambda x, generator, device: _negative_elbo(model, x.to(device), beta, generator))
