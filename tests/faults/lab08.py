"""Plausible wrong answers to lab 8. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

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
    Fault("vae-loss-calls-training-loss", LOSS, LOSS_T,
          source='''def vae_loss(x_logits, x, mu, logvar):
    import labs.generative

    class Fixed(nn.Module):  # hands the given logits and posterior to the training loop's own loss
        def encode(self, _):
            return mu, logvar

        def decode(self, _):
            return x_logits

    return labs.generative._negative_elbo(Fixed(), x, 1.0, torch.Generator())
''', why="delegates to the forbidden negative ELBO of labs.generative"),
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

# Notebook 3: GANs
DLOSS, DLOSS_T = "lab08-discriminator-loss", ("lab08-discriminator-loss-tests",)
GLOSS, GLOSS_T = "lab08-generator-loss", ("lab08-generator-loss-tests",)
STEP, STEP_T = "lab08-gan-step", ("lab08-gan-step-tests",)
COVER, COVER_T = "lab08-mode-coverage", ("lab08-mode-coverage-tests",)
RING, RING_T = "lab08-make-ring-gan", ("lab08-make-ring-gan-tests",)
RING_Q = ("lab08-ring-gan-quality",)
IMAGE, IMAGE_T = "lab08-make-image-gan", ("lab08-make-image-gan-tests",)
IMAGE_Q = ("lab08-image-gan-quality",)
QUALITY, QUALITY_T = "lab08-sample-quality", ("lab08-sample-quality-tests",)

D_RETURN = "return softplus(-real_logits).mean() + softplus(fake_logits).mean()"
D_SOFTPLUS = "return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))"
G_RETURN = "return (x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))).mean()"

FAULTS += [
    # discriminator_loss
    Fault("d-loss-naive-log-sigmoid", DLOSS, DLOSS_T,
          source='''def discriminator_loss(real_logits, fake_logits):
    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())
''', why="log of the sigmoid: -inf (and nan gradients) for confident logits"),
    Fault("d-loss-swapped-labels", DLOSS, DLOSS_T,
          replace=((D_RETURN, "return softplus(real_logits).mean() + softplus(-fake_logits).mean()"),),
          why="reals labelled 0 and fakes 1"),
    Fault("d-loss-sum", DLOSS, DLOSS_T,
          replace=((D_RETURN, "return softplus(-real_logits).sum() + softplus(fake_logits).sum()"),), why="sums instead of averaging"),
    Fault("d-loss-joint-mean", DLOSS, DLOSS_T,
          replace=((D_RETURN, "return 2 * torch.cat([softplus(-real_logits).flatten(), softplus(fake_logits).flatten()]).mean()"),),
          why="one mean over both batches together: wrong when the batches differ in size"),
    Fault("d-loss-calls-bce", DLOSS, DLOSS_T,
          replace=((D_RETURN, "return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
                              "            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))"),),
          why="calls the forbidden F.binary_cross_entropy_with_logits"),
    Fault("d-loss-calls-softplus", DLOSS, DLOSS_T,
          replace=((D_RETURN, "return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()"),),
          why="calls the forbidden F.softplus"),
    Fault("d-loss-log1p-exp-overflow", DLOSS, DLOSS_T,
          replace=((D_SOFTPLUS, "return torch.log1p(torch.exp(x))"),), why="log(1 + e^x) overflows for large x"),
    Fault("d-loss-no-abs", DLOSS, DLOSS_T,
          replace=((D_SOFTPLUS, "return x.clamp_min(0) + torch.log1p(torch.exp(-x))"),), why="forgets the absolute value"),
    Fault("d-loss-log-not-log1p", DLOSS, DLOSS_T,
          replace=((D_SOFTPLUS, "return x.clamp_min(0) + torch.log(1 + torch.exp(-x.abs()))"),),
          why="log(1 + tiny) loses the tiny part"),
    # generator_loss
    Fault("g-loss-saturating", GLOSS, GLOSS_T,
          replace=(("x = -fake_logits", "x = fake_logits"), (G_RETURN, "return -(x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))).mean()")),
          why="the minimax loss log(1 - sigmoid(f)), which saturates"),
    Fault("g-loss-wrong-label", GLOSS, GLOSS_T, replace=(("x = -fake_logits", "x = fake_logits"),),
          why="-log(1 - sigmoid(f)): the discriminator's loss on fakes"),
    Fault("g-loss-naive", GLOSS, GLOSS_T,
          source='''def generator_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
''', why="log of the sigmoid: inf for confidently rejected fakes"),
    Fault("g-loss-sum", GLOSS, GLOSS_T,
          replace=((G_RETURN, "return (x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))).sum()"),), why="sum instead of mean"),
    Fault("g-loss-calls-logsigmoid", GLOSS, GLOSS_T,
          replace=((G_RETURN, "return -F.logsigmoid(fake_logits).mean()"),), why="calls the forbidden F.logsigmoid"),
    Fault("g-loss-log-not-log1p", GLOSS, GLOSS_T,
          replace=((G_RETURN, "return (x.clamp_min(0) + torch.log(1 + torch.exp(-x.abs()))).mean()"),), why="loses precision"),
    # gan_step
    Fault("step-d-not-zeroed", STEP, STEP_T, replace=(("    opt_D.zero_grad()\n", ""),),
          why="D's gradients from the generator's backward are used in the next D step"),
    Fault("step-g-not-zeroed", STEP, STEP_T, replace=(("    opt_G.zero_grad()\n", ""),), why="G's gradients accumulate over steps"),
    Fault("step-g-first", STEP, STEP_T,
          source='''def gan_step(G, D, opt_G, opt_D, real, z, d_loss_fn, g_loss_fn):
    fake = G(z)
    g_loss = g_loss_fn(D(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    d_loss = d_loss_fn(D(real), D(fake.detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    return d_loss.item(), g_loss.item()
''', why="updates G before D"),
    Fault("step-stale-logits", STEP, STEP_T,
          source='''def gan_step(G, D, opt_G, opt_D, real, z, d_loss_fn, g_loss_fn):
    fake = G(z)
    fake_logits = D(fake)
    d_loss = d_loss_fn(D(real), D(fake.detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = g_loss_fn(fake_logits)
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
''', why="the generator's loss from logits computed before D's update"),
    Fault("step-real-fake-swapped", STEP, STEP_T, replace=(("d_loss_fn(D(real), D(fake.detach()))", "d_loss_fn(D(fake.detach()), D(real))"),),
          why="passes the fakes as real"),
    Fault("step-no-g-step", STEP, STEP_T, replace=(("    opt_G.step()\n", ""),), why="forgets to step the generator"),
    Fault("step-wrong-optimiser", STEP, STEP_T, replace=(("    opt_D.step()\n", "    opt_G.step()\n"),),
          why="steps G's optimiser after D's backward"),
    Fault("step-not-detached", STEP, STEP_T, replace=(("D(fake.detach())", "D(fake)"),),
          why="no detach: D's backward frees the generator's graph"),
    Fault("step-delegates", STEP, STEP_T,
          source='''def gan_step(G, D, opt_G, opt_D, real, z, d_loss_fn, g_loss_fn):
    import labs.gans
    history = labs.gans.train_gan(G, D, lambda n, g: real, steps=1, batch_size=len(real), z_dim=z.shape[1])
    return history["d_loss"][0], history["g_loss"][0]
''', why="calls the forbidden labs.gans.train_gan"),
    # mode_coverage
    Fault("coverage-counts-all", COVER, COVER_T, replace=(("torch.bincount(nearest[near]", "torch.bincount(nearest"),),
          why="counts far samples towards their nearest mode"),
    Fault("coverage-strict-count", COVER, COVER_T, replace=(("counts >= min_count", "counts > min_count"),),
          why="a mode with exactly min_count samples is not counted"),
    Fault("coverage-strict-radius", COVER, COVER_T, replace=(("distance <= radius", "distance < radius"),),
          why="a sample exactly at the radius is not near"),
    Fault("coverage-fraction-of-modes", COVER, COVER_T,
          replace=(("float(near.float().mean())", "float((counts >= min_count).float().mean())"),),
          why="returns the fraction of modes covered"),
    Fault("coverage-squared-distance", COVER, COVER_T, replace=(("torch.cdist(samples, centres).min(dim=1)", "(torch.cdist(samples, centres) ** 2).min(dim=1)"),),
          why="compares a squared distance with the radius"),
    # make_ring_gan
    Fault("ring-tanh-output", RING, RING_T, replace=(("nn.Linear(128, 2))", "nn.Linear(128, 2), nn.Tanh())"),),
          why="tanh at the end: the ring at radius 2 is unreachable"),
    Fault("ring-sigmoid-discriminator", RING, RING_T, replace=(("nn.Linear(128, 1))", "nn.Linear(128, 1), nn.Sigmoid())"),),
          why="D returns a probability, not a logit"),
    Fault("ring-two-outputs", RING, RING_T, replace=(("nn.Linear(128, 1))", "nn.Linear(128, 2))"),),
          why="D returns two numbers per sample"),
    Fault("ring-linear-generator", RING, RING_Q,
          replace=(("nn.Linear(z_dim, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2)",
                    "nn.Linear(z_dim, 128), nn.Linear(128, 128), nn.Linear(128, 2)"),),
          why="no non-linearity: G maps Gaussian noise to a Gaussian"),
    Fault("ring-linear-discriminator", RING, RING_Q,
          replace=(("D = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))",
                    "D = nn.Sequential(nn.Linear(2, 1))"),),
          why="a linear discriminator cannot see the modes"),
    # make_image_gan
    Fault("image-no-tanh", IMAGE, IMAGE_T, replace=(("nn.Linear(256, 784), nn.Tanh(),", "nn.Linear(256, 784),"),),
          why="pixels unbounded"),
    Fault("image-sigmoid-output", IMAGE, IMAGE_T + IMAGE_Q, replace=(("nn.Linear(256, 784), nn.Tanh(),", "nn.Linear(256, 784), nn.Sigmoid(),"),),
          why="sigmoid: pixels in [0, 1] while the data are in [-1, 1]"),
    Fault("image-flat-output", IMAGE, IMAGE_T, replace=(("nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))", "nn.Tanh())"),),
          why="G returns flat vectors (N, 784)"),
    Fault("image-sigmoid-discriminator", IMAGE, IMAGE_T, replace=(("nn.Linear(128, 1))", "nn.Linear(128, 1), nn.Sigmoid())"),),
          why="D returns a probability, not a logit"),
    Fault("image-d-no-flatten", IMAGE, IMAGE_T, replace=(("nn.Flatten(), nn.Linear(784, 256)", "nn.Linear(784, 256)"),),
          why="D applies a Linear layer to (N, 1, 28, 28) images without flattening them"),
    # sample_quality
    Fault("quality-strict-threshold", QUALITY, QUALITY_T, replace=(("top >= threshold", "top > threshold"),),
          why="a probability exactly at the threshold is not confident"),
    Fault("quality-all-classes", QUALITY, QUALITY_T, replace=(("torch.unique(predicted[confident])", "torch.unique(predicted)"),),
          why="counts the classes of unconfident samples too"),
    Fault("quality-count-not-fraction", QUALITY, QUALITY_T, replace=(("float(confident.float().mean())", "float(confident.sum())"),),
          why="a count, not a fraction"),
    Fault("quality-mean-top-probability", QUALITY, QUALITY_T, replace=(("float(confident.float().mean())", "float(top.mean())"),),
          why="the mean top probability instead of the fraction above the threshold"),
    Fault("quality-wrong-dim", QUALITY, QUALITY_T, replace=(("probabilities.max(dim=1)", "probabilities.max(dim=0)"),),
          why="max over samples instead of classes"),
]
