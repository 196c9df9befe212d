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


# ----------------------------------------------------------------------------- lab 8: labs.generative


class _Recorder(torch.nn.Module):
    """Outputs a learnable constant image and records the inputs it was given."""

    def __init__(self, pixels):
        super().__init__()
        self.constant = torch.nn.Parameter(torch.full((pixels,), 0.5))
        self.inputs = []

    def forward(self, x):
        self.inputs.append(x.detach().clone())
        return self.constant.expand(len(x), -1)


def test_train_autoencoder_fits_the_clean_batch_and_corrupts_only_the_inputs():
    from labs import generative

    images = torch.zeros(50, 6)
    clean = _Recorder(6)
    losses = generative.train_autoencoder(clean, images, steps=300, batch_size=10, lr=0.05, seed=1)
    assert len(losses) == 300 and losses[-1] < 1e-4 < losses[0]
    assert all(torch.equal(x, torch.zeros(10, 6)) for x in clean.inputs)
    assert not clean.training  # left in eval mode
    noisy = _Recorder(6)
    generative.train_autoencoder(noisy, images, steps=300, batch_size=10, lr=0.05, noise_std=0.5, seed=1)
    seen = torch.cat(noisy.inputs)
    # Clamped noise on black pixels: never negative, mean 0.5 / sqrt(2 pi) = 0.199 (18,000 values: s.e. 2.2e-3).
    assert float(seen.min()) == 0.0 and float(seen.max()) <= 1.0
    assert abs(float(seen.mean()) - 0.5 / (2 * torch.pi) ** 0.5) < 0.012
    # The target is the clean batch: the constant output goes to 0, not to the noisy inputs' mean.
    assert float(noisy.constant.detach().abs().max()) < 0.05
    again = _Recorder(6)
    generative.train_autoencoder(again, images, steps=300, batch_size=10, lr=0.05, noise_std=0.5, seed=1)
    assert torch.equal(torch.cat(again.inputs), seen)  # the seed fixes batches and noise


class _TinyVae(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = torch.nn.Linear(8, 4), torch.nn.Linear(2, 8)

    def encode(self, x):
        return self.encoder(x).chunk(2, dim=1)

    def decode(self, z):
        return self.decoder(z)


def test_train_vae_minimises_the_negative_elbo_and_beta_weights_the_kl_term():
    from labs import generative

    torch.manual_seed(0)
    images = (torch.rand(200, 8) < torch.linspace(0.1, 0.9, 8)).float()
    model = _TinyVae()
    losses = generative.train_vae(model, images, steps=400, batch_size=50, lr=0.02, seed=0)
    assert len(losses) == 400 and sum(losses[-20:]) / 20 < sum(losses[:20]) / 20 - 0.5
    # Reference negative ELBO with the same draw: BCE summed over pixels plus the closed-form KL, averaged.
    x = images[:7]
    generator = torch.Generator().manual_seed(3)
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    bce = torch.nn.functional.binary_cross_entropy_with_logits(model.decode(z), x, reduction="none").sum(1)
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)
    assert torch.allclose(generative._negative_elbo(model, x, 1.0, generator), (bce + kl).mean())
    assert torch.allclose(generative._negative_elbo(model, x, 0.0, torch.Generator().manual_seed(3)), bce.mean())
    # Without the KL term nothing holds the codes near the origin: they spread further than the VAE's.
    torch.manual_seed(0)
    free = _TinyVae()
    generative.train_vae(free, images, steps=400, batch_size=50, lr=0.02, beta=0.0, seed=0)
    with torch.no_grad():
        assert float(free.encode(images)[1].mean()) < float(model.encode(images)[1].mean())  # variances shrink without KL


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_vectors_are_a_reproducible_sample_in_the_unit_range():
    from labs import generative

    x, y = generative.fashion_mnist_vectors("test", 300, seed=4)
    assert x.shape == (300, 784) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0 and set(y.tolist()) == set(range(10))
    x2, y2 = generative.fashion_mnist_vectors("test", 300, seed=4)
    x3, _ = generative.fashion_mnist_vectors("test", 300, seed=5)
    assert torch.equal(x, x2) and torch.equal(y, y2) and not torch.equal(x, x3)
    assert generative.as_images(x[:2]).shape == (2, 28, 28)
    with pytest.raises(ValueError, match="between 1 and 10000"):
        generative.fashion_mnist_vectors("test", 10_001)


# ----------------------------------------------------------------------------- lab 8: labs.gans


def test_ring_of_gaussians_is_an_equal_mixture_around_the_ring():
    from labs import gans

    centres = gans.ring_centres(8, 2.0)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0)) and torch.allclose(centres[0], torch.tensor([2.0, 0.0]))
    assert torch.allclose(centres[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    points = gans.ring_of_gaussians(40_000, torch.Generator().manual_seed(0), std=0.05)
    nearest = torch.cdist(points, centres).argmin(dim=1)
    offsets = points - centres[nearest]
    counts = torch.bincount(nearest, minlength=8).float()
    # Each mode holds 1/8 of the points (binomial s.e. 66 of 5,000); offsets are N(0, 0.05^2) in each coordinate.
    assert float((counts - 5000).abs().max()) < 5 * 66
    assert abs(float(offsets.std()) - 0.05) < 0.002 and float(offsets.mean().abs()) < 0.002
    again = gans.ring_of_gaussians(40_000, torch.Generator().manual_seed(0), std=0.05)
    assert torch.equal(points, again)


def _tiny_gan():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)), \
        torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def test_train_gan_takes_the_reference_steps():
    from labs import gans

    G, D = _tiny_gan()
    G_ref, D_ref = _tiny_gan()
    history = gans.train_gan(G, D, gans.ring_of_gaussians, steps=3, batch_size=16, z_dim=2, lr=1e-2, seed=5)
    # The same three steps written out: D on real and detached fakes, then G through the updated D, same z.
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    generator = torch.Generator().manual_seed(5)
    opt_G = torch.optim.Adam(G_ref.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D_ref.parameters(), lr=1e-2, betas=(0.5, 0.999))
    for step in range(3):
        real = gans.ring_of_gaussians(16, generator)
        z = torch.randn(16, 2, generator=generator)
        fake = G_ref(z)
        d_loss = bce(D_ref(real), torch.ones(16, 1)) + bce(D_ref(fake.detach()), torch.zeros(16, 1))
        opt_D.zero_grad(); d_loss.backward(); opt_D.step()
        g_loss = bce(D_ref(fake), torch.ones(16, 1))
        opt_G.zero_grad(); g_loss.backward(); opt_G.step()
        assert history["d_loss"][step] == pytest.approx(float(d_loss.detach()), abs=1e-6)
        assert history["g_loss"][step] == pytest.approx(float(g_loss.detach()), abs=1e-6)
    for a, b in zip([*G.parameters(), *D.parameters()], [*G_ref.parameters(), *D_ref.parameters()]):
        assert torch.allclose(a, b, atol=1e-6)


def test_train_gan_resumed_is_the_same_run_as_one_call():
    from labs import gans

    G, D = _tiny_gan()
    whole = gans.train_gan(G, D, gans.ring_of_gaussians, steps=6, batch_size=16, z_dim=2, lr=1e-2, seed=7,
                           snapshot_every=2, n_snapshot=10)
    G2, D2 = _tiny_gan()
    split = gans.train_gan(G2, D2, gans.ring_of_gaussians, steps=4, batch_size=16, z_dim=2, lr=1e-2, seed=7,
                           snapshot_every=2, n_snapshot=10)
    assert split["steps"] == 4
    resumed = gans.train_gan(G2, D2, gans.ring_of_gaussians, steps=2, batch_size=16, z_dim=2, snapshot_every=2, resume=split)
    assert resumed is split and split["steps"] == 6
    assert split["d_loss"] == whole["d_loss"] and split["g_loss"] == whole["g_loss"]
    assert [s for s, _ in split["snapshots"]] == [0, 2, 4, 6] == [s for s, _ in whole["snapshots"]]
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(split["snapshots"], whole["snapshots"]))
    assert all(torch.equal(a, b) for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]))


# --- lab 9: labs.hyperparameters, labs.graphs, labs.sorting ---

def test_polynomial_features_are_the_variables_then_every_product_once():
    from labs.hyperparameters import polynomial_features
    X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    P = polynomial_features(X)
    assert P.shape == (2, 3 + 6)
    assert np.allclose(P[0], [1, 2, 3, 1, 2, 3, 4, 6, 9])
    assert np.allclose(P[1, 3:], [0.25, -0.5, 2.0, 1.0, -4.0, 16.0])


def test_diabetes_ridge_problem_is_a_standardised_reproducible_split():
    from labs.hyperparameters import diabetes_ridge_problem
    p = diabetes_ridge_problem(seed=3)
    assert p.X_train.shape == (80, 65) and p.X_val.shape == (180, 65) and p.X_test.shape == (182, 65)
    assert p.X_train.dtype == torch.float64 and p.n_features == 65
    assert torch.allclose(p.X_train.mean(0), torch.zeros(65, dtype=torch.float64), atol=1e-10)
    assert torch.allclose(p.X_train.std(0, unbiased=False), torch.ones(65, dtype=torch.float64), atol=1e-10)
    assert abs(p.y_train.mean().item()) < 1e-10 and abs(p.y_train.std(unbiased=False).item() - 1) < 1e-10
    assert abs(p.X_val.mean().item()) > 1e-6  # validation data are scaled with the training statistics, not their own
    again, other = diabetes_ridge_problem(seed=3), diabetes_ridge_problem(seed=4)
    assert torch.equal(p.X_val, again.X_val) and not torch.equal(p.y_train, other.y_train)
    with pytest.raises(ValueError, match="must leave test patients"):
        diabetes_ridge_problem(n_train=300, n_val=200)


def test_ridge_closed_form_zeroes_the_gradient_and_grid_search_picks_the_smallest_error():
    from labs import hyperparameters as hp
    p = hp.diabetes_ridge_problem(seed=0)
    w = hp.ridge_closed_form(p.X_train, p.y_train, 0.3).requires_grad_()
    (g,) = torch.autograd.grad(hp.ridge_training_loss(w, p.X_train, p.y_train, 0.3), w)
    assert g.abs().max() < 1e-10
    per_feature = torch.full((65,), 0.3, dtype=torch.float64)  # one penalty per feature, all equal: the same loss
    assert torch.allclose(hp.ridge_training_loss(w, p.X_train, p.y_train, per_feature), hp.ridge_training_loss(w, p.X_train, p.y_train, 0.3))
    L = hp.smoothness(p.X_train)
    assert abs(L - torch.linalg.eigvalsh(p.X_train.T @ p.X_train / 80).max().item()) < 1e-9
    lams = np.array([1e-3, 0.1, 1.0, 100.0])
    best, errors = hp.grid_search(p, lams)
    assert errors.shape == (4,) and best == lams[np.argmin(errors)]
    assert errors[0] > errors.min() and errors[-1] > errors.min()  # both ends of the range are worse: the problem has a real optimum
    w1 = hp.ridge_closed_form(p.X_train, p.y_train, 1.0)
    assert abs(errors[2] - hp.mean_squared_error(w1, p.X_val, p.y_val).item()) < 1e-12


def test_saved_tensor_bytes_counts_what_the_graph_keeps():
    from labs.graphs import saved_tensor_bytes, seconds
    x = torch.randn(1000, dtype=torch.float64, requires_grad=True)

    def chain(steps):
        def run():
            y = x
            for _ in range(steps):
                y = y * y.sin()  # saves y and sin(y): 2 x 8,000 bytes per step (plus cos in backward, not saved)
            return y.sum()
        return run

    out, ten = saved_tensor_bytes(chain(10))
    _, twenty = saved_tensor_bytes(chain(20))
    assert out.requires_grad
    assert ten >= 10 * 8000 and abs((twenty - ten) - 10 * 2 * 8000) <= 8000  # linear in the number of steps
    with torch.no_grad():
        _, none = saved_tensor_bytes(chain(10))
    assert none == 0
    assert 0 < seconds(lambda: sum(range(1000)), repeat=2) < 1


def test_sorting_helpers():
    from labs import sorting
    x = sorting.random_sets(4, 5, torch.Generator().manual_seed(0))
    assert x.shape == (4, 5) and (x >= 0).all() and (x < 1).all()
    assert torch.equal(x, sorting.random_sets(4, 5, torch.Generator().manual_seed(0)))
    P = sorting.sinkhorn(torch.randn(3, 5, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64), 100)
    assert torch.allclose(P.sum(-1), torch.ones(3, 5, dtype=torch.float64)) and torch.allclose(P.sum(-2), torch.ones(3, 5, dtype=torch.float64))
    C = sorting.PairwiseComparator(hidden=8)(x)
    assert C.shape == (4, 5, 5) and torch.allclose(C, -C.transpose(-1, -2))
    order = x.argsort(-1)
    hard = torch.zeros(4, 5, 5)
    hard[torch.arange(4)[:, None], order, torch.arange(5)] = 1.0  # item order[p] at position p
    assert torch.allclose(sorting.apply_permutation(hard, x), x.sort(-1).values)
    assert sorting.exact_sort_accuracy(hard, x) == 1.0
    assert sorting.exact_sort_accuracy(hard.flip(-1), x) == 0.0


def test_train_sorter_is_reproducible_and_lowers_the_loss():
    from labs import sorting

    class Direct(torch.nn.Module):  # P = sinkhorn of learned scores of (item value, position): enough to learn sorting a little
        def __init__(self):
            super().__init__()
            self.compare = sorting.PairwiseComparator(hidden=8)

        def forward(self, x):
            C = self.compare(x)
            scores = C.sum(-1, keepdim=True) * torch.linspace(1, -1, x.shape[-1])  # Borda score times position
            return sorting.sinkhorn(scores, 5)

    def run():
        torch.manual_seed(0)
        model = Direct()
        return sorting.train_sorter(model, 60, torch.Generator().manual_seed(1), batch=32, lr=1e-2)

    losses = run()
    assert len(losses) == 60 and losses == run()
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
