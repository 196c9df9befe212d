"""Plausible wrong answers to lab 8. Each must lose the points of the test cells it names."""

from labs.faults import Fault

PCA, PCA_T = "lab08-pca-reconstruct", ("lab08-pca-reconstruct-tests",)
AE, AE_T = "lab08-autoencoder", ("lab08-autoencoder-tests",)
NOISE, NOISE_T = "lab08-add-noise", ("lab08-add-noise-tests",)

FAULTS = [
    # pca_reconstruct
    Fault("pca-not-centred", PCA, PCA_T,
          replace=(("    mean = train.mean(dim=0)\n", "    mean = torch.zeros(train.shape[1], dtype=train.dtype)\n"),),
          why="SVD of the raw data, no mean subtracted"),
    Fault("pca-mean-of-x", PCA, PCA_T, replace=(("codes = (x - mean) @ directions.T\n    return mean + codes @ directions",
                                                 "codes = (x - x.mean(dim=0)) @ directions.T\n    return x.mean(dim=0) + codes @ directions"),),
          why="centres the new data with its own mean"),
    Fault("pca-smallest-directions", PCA, PCA_T, replace=(("directions = Vh[:k]", "directions = Vh[-k:]"),),
          why="keeps the last rows of Vh, the directions of least variance"),
    Fault("pca-forgets-mean", PCA, PCA_T, replace=(("return mean + codes @ directions", "return codes @ directions"),),
          why="does not add the mean back"),
    Fault("pca-one-too-many", PCA, PCA_T, replace=(("directions = Vh[:k]", "directions = Vh[:k + 1]"),),
          why="keeps k + 1 directions"),
    Fault("pca-calls-pca-lowrank", PCA, PCA_T,
          replace=(("    _, _, Vh = torch.linalg.svd(train - mean, full_matrices=False)\n    directions = Vh[:k]\n",
                    "    directions = torch.pca_lowrank(train, q=k, center=True, niter=6)[2].T\n"),),
          why="calls the forbidden torch.pca_lowrank"),
    Fault("pca-columns-of-vh", PCA, PCA_T, replace=(("directions = Vh[:k]", "directions = Vh[:, :k].T"),),
          why="takes columns of Vh, as if it were V"),
    # AutoEncoder
    Fault("ae-no-sigmoid", AE, AE_T, replace=(("nn.Linear(hidden, 784), nn.Sigmoid())", "nn.Linear(hidden, 784))"),),
          why="the decoder's output is not squashed into [0, 1]"),
    Fault("ae-relu-output", AE, AE_T, replace=(("nn.Linear(hidden, 784), nn.Sigmoid())", "nn.Linear(hidden, 784), nn.ReLU())"),),
          why="ReLU at the output: values above 1 and exact zeros"),
    Fault("ae-linear", AE, AE_T + ("lab08-ae-beats-pca",),
          replace=(("nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size)", "nn.Linear(784, hidden), nn.Linear(hidden, code_size)"),
                   ("nn.Linear(code_size, hidden), nn.ReLU(), nn.Linear(hidden, 784)", "nn.Linear(code_size, hidden), nn.Linear(hidden, 784)")),
          why="no nonlinearity between the layers: a linear autoencoder, no better than PCA"),
    Fault("ae-relu-code", AE, AE_T, replace=(("nn.Linear(hidden, code_size))", "nn.Linear(hidden, code_size), nn.ReLU())"),),
          why="a ReLU on the code: codes can never be negative"),
    Fault("ae-detached-code", AE, AE_T, replace=(("return self.decode(self.encode(x))", "return self.decode(self.encode(x).detach())"),),
          why="cuts the graph between encoder and decoder: the encoder never trains"),
    Fault("ae-fixed-hidden", AE, AE_T, replace=(("nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code_size)",
                                                 "nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, code_size)"),),
          why="ignores the hidden argument in the encoder"),
    Fault("ae-forward-returns-code", AE, AE_T, replace=(("return self.decode(self.encode(x))", "return self.encode(x)"),),
          why="forward returns the code, not the reconstruction"),
    # add_noise
    Fault("noise-not-clamped", NOISE, NOISE_T, replace=(("return (x + std * noise).clamp(0.0, 1.0)", "return x + std * noise"),),
          why="values outside [0, 1]"),
    Fault("noise-uniform", NOISE, NOISE_T, replace=(("torch.randn(x.shape, generator=generator, dtype=x.dtype)",
                                                     "torch.rand(x.shape, generator=generator, dtype=x.dtype) - 0.5"),),
          why="uniform noise instead of Gaussian"),
    Fault("noise-global-rng", NOISE, NOISE_T, replace=(("torch.randn(x.shape, generator=generator, dtype=x.dtype)", "torch.randn(x.shape, dtype=x.dtype)"),),
          why="ignores the generator"),
    Fault("noise-variance", NOISE, NOISE_T, replace=(("return (x + std * noise)", "return (x + std ** 2 * noise)"),),
          why="scales by the variance, not the standard deviation"),
    Fault("noise-in-place", NOISE, NOISE_T, replace=(("return (x + std * noise).clamp(0.0, 1.0)", "return x.add_(std * noise).clamp_(0.0, 1.0)"),),
          why="corrupts the caller's images in place"),
    Fault("noise-multiplicative", NOISE, NOISE_T, replace=(("return (x + std * noise)", "return (x * (1 + std * noise))"),),
          why="multiplicative noise: black pixels stay black"),
]

REP, REP_T = "lab08-reparameterise", ("lab08-reparameterise-tests",)
KL, KL_T = "lab08-kl-divergence", ("lab08-kl-divergence-tests",)
LOSS, LOSS_T = "lab08-vae-loss", ("lab08-vae-loss-tests",)
VAE, VAE_T = "lab08-vae", ("lab08-vae-tests",)

FAULTS += [
    # reparameterise
    Fault("reparameterise-variance-as-std", REP, REP_T, replace=(("torch.exp(0.5 * logvar)", "torch.exp(logvar)"),),
          why="uses exp(logvar), the variance, as the standard deviation"),
    Fault("reparameterise-no-gradient-to-sigma", REP, REP_T, replace=(("torch.exp(0.5 * logvar) * eps", "torch.exp(0.5 * logvar).detach() * eps"),),
          why="detaches sigma: the encoder's variance never learns"),
    Fault("reparameterise-torch-normal", REP, REP_T,
          replace=(("    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)\n    return mu + torch.exp(0.5 * logvar) * eps",
                    "    return torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)"),),
          why="samples with torch.normal, which passes no gradient to mu or sigma"),
    Fault("reparameterise-global-rng", REP, REP_T, replace=(("torch.randn(mu.shape, generator=generator, dtype=mu.dtype)", "torch.randn(mu.shape, dtype=mu.dtype)"),),
          why="ignores the generator"),
    Fault("reparameterise-uniform", REP, REP_T, replace=(("torch.randn(mu.shape, generator=generator, dtype=mu.dtype)",
                                                         "torch.rand(mu.shape, generator=generator, dtype=mu.dtype) * 2 - 1"),),
          why="uniform noise instead of Gaussian"),
    Fault("reparameterise-logvar-as-std", REP, REP_T, replace=(("torch.exp(0.5 * logvar) * eps", "logvar * eps"),),
          why="uses logvar itself as the standard deviation"),
    # kl_divergence
    Fault("kl-wrong-sign", KL, KL_T, replace=(("0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)", "0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp())"),),
          why="returns minus the KL divergence (the ELBO's term with its sign)"),
    Fault("kl-no-half", KL, KL_T, replace=(("0.5 * (mu.pow(2)", "(mu.pow(2)"),), why="forgets the factor 1/2"),
    Fault("kl-mean-over-dimensions", KL, KL_T, replace=((".sum(dim=1)", ".mean(dim=1)"),), why="averages over latent dimensions instead of summing"),
    Fault("kl-summed-over-batch", KL, KL_T, replace=((".sum(dim=1)", ".sum()"),), why="sums over the batch too: one number"),
    Fault("kl-logvar-as-log-std", KL, KL_T, replace=(("logvar.exp() - 1.0 - logvar", "(2 * logvar).exp() - 1.0 - 2 * logvar"),),
          why="treats logvar as log sigma"),
    Fault("kl-calls-torch-distributions", KL, KL_T,
          replace=(("    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)",
                    "    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
                    "    return torch_kl_divergence(q, torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(dim=1)"),),
          why="calls the forbidden torch.distributions.kl_divergence"),
    # vae_loss
    Fault("vae-loss-mean-over-pixels", LOSS, LOSS_T, replace=(('reduction="none").sum(dim=1)', 'reduction="none").mean(dim=1)'),),
          why="averages the reconstruction over pixels: 784 times too weak against the KL term"),
    Fault("vae-loss-sum-over-batch", LOSS, LOSS_T, replace=(("return (reconstruction + kl_divergence(mu, logvar)).mean()",
                                                             "return (reconstruction + kl_divergence(mu, logvar)).sum()"),),
          why="sums over the batch: the loss grows with the batch size"),
    Fault("vae-loss-no-kl", LOSS, LOSS_T, replace=(("(reconstruction + kl_divergence(mu, logvar))", "reconstruction"),),
          why="drops the KL term"),
    Fault("vae-loss-kl-subtracted", LOSS, LOSS_T, replace=(("(reconstruction + kl_divergence(mu, logvar))", "(reconstruction - kl_divergence(mu, logvar))"),),
          why="subtracts the KL term"),
    Fault("vae-loss-log-sigmoid", LOSS, LOSS_T,
          replace=(('F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")',
                    "-(x * torch.log(torch.sigmoid(x_logits)) + (1 - x) * torch.log(1 - torch.sigmoid(x_logits)))"),),
          why="log(sigmoid(l)) computed unstably: infinite for confident logits"),
    Fault("vae-loss-probabilities", LOSS, LOSS_T,
          replace=(('F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")', 'F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="none")'),),
          why="cross-entropy of sigmoid probabilities: clipped at log(0) = -100 for confident logits"),
    Fault("vae-loss-arguments-swapped", LOSS, LOSS_T,
          replace=(('F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")', 'F.binary_cross_entropy_with_logits(x, torch.sigmoid(x_logits), reduction="none")'),),
          why="images and predictions swapped"),
    # VAE
    Fault("vae-sigmoid-decoder", VAE, VAE_T, replace=(("nn.Linear(hidden, 784))", "nn.Linear(hidden, 784), nn.Sigmoid())"),),
          why="the decoder returns probabilities, not logits"),
    Fault("vae-forward-decodes-mean", VAE, VAE_T, replace=(("return self.decode(reparameterise(mu, logvar, generator)), mu, logvar",
                                                          "return self.decode(mu), mu, logvar"),),
          why="decodes the mean: no sampling, and no gradient to logvar"),
    Fault("vae-logvar-equals-mu", VAE, VAE_T,
          replace=(("nn.Linear(hidden, 2 * latent_dim))", "nn.Linear(hidden, latent_dim))"),
                   ("        mu, logvar = self.encoder(x).chunk(2, dim=1)\n", "        mu = logvar = self.encoder(x)\n")),
          why="one head for both mean and log-variance"),
    Fault("vae-interleaved-heads", VAE, VAE_T, replace=(("mu, logvar = self.encoder(x).chunk(2, dim=1)",
                                                        "out = self.encoder(x)\n        mu, logvar = out[:, 0::2], out[:, 1::2]"),),
          why="takes mu and logvar from alternate outputs, not the first and second halves"),
    Fault("vae-detached-code", VAE, VAE_T, replace=(("return self.decode(reparameterise(mu, logvar, generator)), mu, logvar",
                                                    "return self.decode(reparameterise(mu, logvar, generator).detach()), mu, logvar"),),
          why="cuts the graph at the code: the encoder learns only from the KL term"),
]
