"""Correct answers to lab 8 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab08.py)."""

from labs.qa.faults import alternative

PCA, PCA_T = "lab08-pca-reconstruct", ("lab08-pca-reconstruct-tests",)
NOISE, NOISE_T = "lab08-add-noise", ("lab08-add-noise-tests",)
REP, REP_T = "lab08-reparameterise", ("lab08-reparameterise-tests",)
KL, KL_T = "lab08-kl-divergence", ("lab08-kl-divergence-tests",)
LOSS, LOSS_T = "lab08-vae-loss", ("lab08-vae-loss-tests",)
COVER, COVER_T = "lab08-mode-coverage", ("lab08-mode-coverage-tests",)
QUALITY, QUALITY_T = "lab08-sample-quality", ("lab08-sample-quality-tests",)

ALTERNATIVES = [
    alternative("pca-projection-matrix", PCA, PCA_T, source='''def pca_reconstruct(train, x, k):
    mean = train.mean(dim=0, keepdim=True)
    V = torch.linalg.svd(train - mean, full_matrices=False).Vh[:k].T
    return (x - mean) @ (V @ V.T) + mean
''', why="the projection matrix V V^T"),
    alternative("noise-clip", NOISE, NOISE_T, source='''def add_noise(x, std, generator):
    return torch.clip(x + std * torch.randn(x.shape, generator=generator, dtype=x.dtype), 0, 1)
''', why="torch.clip, in one line"),
    alternative("reparameterise-sqrt", REP, REP_T, source='''def reparameterise(mu, logvar, generator=None):
    std = logvar.exp().sqrt()
    return mu + std * torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
''', why="the standard deviation as sqrt(exp(logvar))"),
    alternative("kl-terms", KL, KL_T, source='''def kl_divergence(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar), dim=-1)
''', why="the textbook sign and order, summed over the last dimension"),
    alternative("vae-loss-by-hand", LOSS, LOSS_T, source='''def vae_loss(x_logits, x, mu, logvar):
    # -log p(x | z) from logits, stably: softplus(l) - x l
    reconstruction = (F.softplus(x_logits) - x * x_logits).sum(dim=1)
    return torch.mean(reconstruction + kl_divergence(mu, logvar))
''', why="the Bernoulli negative log-likelihood written as softplus(l) - x l"),
    alternative("coverage-argmin", COVER, COVER_T, source='''def mode_coverage(samples, centres, radius, min_count):
    d = ((samples[:, None, :] - centres[None, :, :]) ** 2).sum(-1).sqrt()
    nearest = d.argmin(dim=1)
    near = d.gather(1, nearest[:, None])[:, 0] <= radius
    covered = sum(int((nearest[near] == j).sum()) >= min_count for j in range(len(centres)))
    return covered, near.double().mean().item()
''', why="distances by broadcasting, a count per centre"),
    alternative("quality-amax", QUALITY, QUALITY_T, source='''def sample_quality(probabilities, threshold):
    confident = probabilities.amax(dim=1) >= threshold
    labels = probabilities.argmax(dim=1)[confident]
    return confident.float().mean().item(), int(labels.unique().numel())
''', why="amax and argmax separately"),
]
