"""Data and the reference training loop for the GAN notebook (lab 8.3).

``train_gan`` is the loop a student writes as ``gan_step`` in the notebook, with PyTorch's own losses, so that
training the notebook's models does not depend on the student's answers (one mistake costs one exercise).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The ``(n_modes, 2)`` centres of the ring: equally spaced on a circle of ``radius``, the first at angle 0."""
    angles = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


RING_CENTRES = ring_centres()
RING_STD = 0.05


def ring_of_gaussians(n: int, generator: torch.Generator, radius: float = 2.0, std: float = RING_STD,
                      n_modes: int = 8) -> torch.Tensor:
    """``n`` points ``(n, 2)`` from an equal mixture of ``n_modes`` Gaussians of standard deviation ``std``
    centred on a ring of ``radius``."""
    centres = ring_centres(n_modes, radius)
    which = torch.randint(0, n_modes, (n,), generator=generator)
    return centres[which] + std * torch.randn(n, 2, generator=generator)


def _params_device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def train_gan(G: nn.Module, D: nn.Module, sample_real: Callable[[int, torch.Generator], torch.Tensor], *,
              steps: int, batch_size: int, z_dim: int, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
              seed: int = 0, snapshot_every: int | None = None, n_snapshot: int = 1000, resume: dict | None = None) -> dict:
    """Train ``G`` and ``D`` in place with Adam for ``steps`` alternating steps and return a history.

    Each step: a batch of ``batch_size`` real examples from ``sample_real(batch_size, generator)`` and as many
    normal noise vectors ``z`` of size ``z_dim``; one update of D on the real batch and the *detached* fakes
    ``G(z)`` with the binary cross-entropy of the logits (real = 1, fake = 0), then one update of G through the
    updated D with the non-saturating loss (the same ``z``, label 1).

    The history holds ``d_loss`` and ``g_loss`` (one float per step) and, with ``snapshot_every``, ``snapshots``:
    a list of ``(step, samples)`` where ``samples`` are ``G(z_fixed)`` for ``n_snapshot`` fixed noise vectors,
    taken before training (step 0) and every ``snapshot_every`` steps.

    ``resume=history`` continues an earlier call for ``steps`` more steps, as if it had not stopped: the same
    optimisers (Adam's moment estimates included), random stream, fixed noise and step count, appending to that
    history (``lr``, ``betas``, ``seed`` and ``n_snapshot`` are then those of the first call). It lets a long
    training run be split over several notebook cells, each well inside the grader's per-cell time limit.
    """
    device = _params_device(G)
    if resume is None:
        generator = torch.Generator().manual_seed(seed)
        opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        history: dict = {"d_loss": [], "g_loss": [], "snapshots": [], "steps": 0}
        z_fixed = torch.randn(n_snapshot, z_dim, generator=torch.Generator().manual_seed(seed + 1)).to(device)
        history["state"] = (generator, opt_G, opt_D, z_fixed)
    else:
        history = resume
        generator, opt_G, opt_D, z_fixed = history["state"]
    first = history["steps"]

    def snapshot(step: int) -> None:
        was_training = G.training
        G.eval()
        with torch.no_grad():
            history["snapshots"].append((step, G(z_fixed).cpu()))
        G.train(was_training)

    if snapshot_every and first == 0:
        snapshot(0)
    for step in range(first + 1, first + steps + 1):
        real = sample_real(batch_size, generator).to(device)
        z = torch.randn(batch_size, z_dim, generator=generator).to(device)
        fake = G(z)
        real_logits, fake_logits = D(real), D(fake.detach())
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        fake_logits = D(fake)
        g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        opt_G.zero_grad()
        g_loss.backward()
        opt_G.step()
        history["d_loss"].append(float(d_loss.detach()))
        history["g_loss"].append(float(g_loss.detach()))
        if snapshot_every and step % snapshot_every == 0:
            snapshot(step)
        history["steps"] = step
    return history
