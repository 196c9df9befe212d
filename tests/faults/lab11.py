"""Plausible wrong answers to lab 11. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

SE, SE_T = "lab11-seed-everything", ("lab11-seed-everything-tests",)

FAULTS = [
    # seed_everything
    Fault("se-only-torch", SE, SE_T, replace=(("    random.seed(seed)\n    np.random.seed(seed)\n", ""),),
          why="seeds only PyTorch: the data order and NumPy augmentation still change"),
    Fault("se-no-numpy", SE, SE_T, replace=(("    np.random.seed(seed)\n", ""),), why="forgets NumPy's global generator"),
    Fault("se-no-python", SE, SE_T, replace=(("    random.seed(seed)\n", ""),), why="forgets Python's random module"),
    Fault("se-numpy-new-generator", SE, SE_T, replace=(("np.random.seed(seed)", "np.random.default_rng(seed)"),),
          why="makes a new NumPy Generator and throws it away: the global generator is not seeded"),
    Fault("se-fixed-seed", SE, SE_T, replace=(("torch.manual_seed(seed)", "torch.manual_seed(0)"),),
          why="seeds torch with a constant: every seed gives the same weights"),
    Fault("se-not-deterministic", SE, SE_T, replace=(("    torch.use_deterministic_algorithms(True)\n", ""),),
          why="seeds but leaves non-deterministic kernels allowed"),
    Fault("se-warn-only", SE, SE_T, replace=(("torch.use_deterministic_algorithms(True)", "torch.use_deterministic_algorithms(True, warn_only=True)"),),
          why="only warns about non-deterministic kernels"),
    Fault("se-benchmark-on", SE, SE_T, replace=(("torch.backends.cudnn.benchmark = False", "torch.backends.cudnn.benchmark = True"),),
          why="lets cuDNN pick the fastest (run-dependent) algorithm"),
    Fault("se-calls-labs", SE, SE_T, source='''
def seed_everything(seed):
    labs.notebook.seed_everything(seed)
    os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
''', why="calls the course's helper instead of writing the seeding"),
]

MC, MC_T = "lab11-mean-ci", ("lab11-mean-ci-tests",)
BC, BC_T = "lab11-bootstrap-ci", ("lab11-bootstrap-ci-tests",)
WT, WT_T = "lab11-welch-t-test", ("lab11-welch-t-test-tests",)

FAULTS += [
    # mean_ci
    Fault("mc-normal-quantile", MC, MC_T, replace=(("student_t.ppf((1 + level) / 2, n - 1)", "scipy.stats.norm.ppf((1 + level) / 2)"),),
          why="the normal quantile instead of Student's t"),
    Fault("mc-biased-std", MC, MC_T, replace=(("x.std(unbiased=True)", "x.std(unbiased=False)"),), why="divides by n instead of n - 1"),
    Fault("mc-df-n", MC, MC_T, replace=(("student_t.ppf((1 + level) / 2, n - 1)", "student_t.ppf((1 + level) / 2, n)"),),
          why="n degrees of freedom instead of n - 1"),
    Fault("mc-level-not-halved", MC, MC_T, replace=(("student_t.ppf((1 + level) / 2, n - 1)", "student_t.ppf(level, n - 1)"),),
          why="the one-sided quantile: the interval is too narrow"),
    Fault("mc-divides-by-n", MC, MC_T, replace=(("s / math.sqrt(n)", "s / n"),), why="divides the standard deviation by n, not sqrt(n)"),
    Fault("mc-scipy-interval", MC, MC_T, source='''
def mean_ci(xs, level=0.95):
    x = torch.as_tensor(xs, dtype=torch.float64).flatten().numpy()
    low, high = scipy.stats.t.interval(level, len(x) - 1, loc=x.mean(), scale=scipy.stats.sem(x))
    return float(low), float(high)
''', why="calls the ready-made interval the exercise refuses"),
    # bootstrap_ci
    Fault("bc-without-replacement", BC, BC_T, replace=(("index = torch.randint(x.numel(), (n_boot, x.numel()), generator=generator)",
                                                        "index = torch.stack([torch.randperm(x.numel(), generator=generator) for _ in range(n_boot)])"),),
          why="resamples without replacement: every resample is a permutation"),
    Fault("bc-level-not-halved", BC, BC_T, replace=(("q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=values.dtype)",
                                                     "q = torch.tensor([1 - level, level], dtype=values.dtype)"),),
          why="cuts at 1 - level and level: the interval's level is off by half"),
    Fault("bc-resample-size", BC, BC_T, replace=(("(n_boot, x.numel())", "(n_boot, max(x.numel() // 2, 1))"),),
          why="resamples of half the size: too wide"),
    Fault("bc-std-not-quantile", BC, BC_T, replace=(("    low, high = torch.quantile(values, q)\n",
                                                     "    low, high = values.mean() - 1.96 * values.std(), values.mean() + 1.96 * values.std()\n"),),
          why="a normal interval from the bootstrap standard error, not the percentile interval"),
    Fault("bc-scipy", BC, BC_T, source='''
def bootstrap_ci(xs, stat, n_boot=2000, level=0.95, generator=None):
    x = torch.as_tensor(xs, dtype=torch.float64).flatten()
    res = scipy.stats.bootstrap((x.numpy(),), lambda s, axis: stat(torch.as_tensor(s)).numpy(), n_resamples=n_boot,
                                confidence_level=level, method="percentile", vectorized=True)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)
''', why="calls scipy.stats.bootstrap, which the exercise refuses"),
    # welch_t_test
    Fault("wt-pooled", WT, WT_T, source='''
def welch_t_test(a, b):
    a = torch.as_tensor(a, dtype=torch.float64).flatten()
    b = torch.as_tensor(b, dtype=torch.float64).flatten()
    na, nb = a.numel(), b.numel()
    sp2 = ((na - 1) * a.var() + (nb - 1) * b.var()).item() / (na + nb - 2)
    t = (a.mean().item() - b.mean().item()) / math.sqrt(sp2 * (1 / na + 1 / nb))
    nu = na + nb - 2
    return t, float(nu), float(2 * student_t.sf(abs(t), nu))
''', why="Student's pooled-variance test, not Welch's"),
    Fault("wt-one-sided", WT, WT_T, replace=(("p = 2 * student_t.sf(abs(t), nu)", "p = student_t.sf(abs(t), nu)"),), why="a one-sided p-value"),
    Fault("wt-df-n-minus-2", WT, WT_T, replace=(("nu = (va + vb) ** 2 / (va ** 2 / (a.numel() - 1) + vb ** 2 / (b.numel() - 1))",
                                                 "nu = a.numel() + b.numel() - 2"),), why="the pooled test's degrees of freedom"),
    Fault("wt-df-n-not-n-minus-1", WT, WT_T, replace=(("(va ** 2 / (a.numel() - 1) + vb ** 2 / (b.numel() - 1))", "(va ** 2 / a.numel() + vb ** 2 / b.numel())"),),
          why="divides by n instead of n - 1 in the Welch-Satterthwaite denominator"),
    Fault("wt-biased-var", WT, WT_T, replace=(("va = a.var(unbiased=True).item() / a.numel()", "va = a.var(unbiased=False).item() / a.numel()"),
                                              ("vb = b.var(unbiased=True).item() / b.numel()", "vb = b.var(unbiased=False).item() / b.numel()")),
          why="biased variances"),
    Fault("wt-p-without-abs", WT, WT_T, replace=(("p = 2 * student_t.sf(abs(t), nu)", "p = 2 * student_t.sf(t, nu)"),),
          why="forgets the absolute value: p > 1 when a's mean is the smaller"),
    Fault("wt-scipy", WT, WT_T, source='''
def welch_t_test(a, b):
    r = scipy.stats.ttest_ind(torch.as_tensor(a).numpy(), torch.as_tensor(b).numpy(), equal_var=False)
    return float(r.statistic), float(r.df), float(r.pvalue)
''', why="calls scipy.stats.ttest_ind, which the exercise refuses"),
]

RS, RS_T = "lab11-run-seeds", ("lab11-run-seeds-tests",)
CN, CN_T = "lab11-small-cnn", ("lab11-small-cnn-tests",)

FAULTS += [
    # run_seeds
    Fault("rs-model-built-once", RS, RS_T, source='''
def run_seeds(make_model, data, seeds, **train_options):
    model = make_model()  # one model for all seeds: later seeds continue training it
    accuracies = []
    for seed in seeds:
        torch.manual_seed(seed)
        accuracies.append(mx.train(model, data, torch.Generator().manual_seed(seed), **train_options))
    return torch.tensor(accuracies, dtype=torch.float64)
''', why="builds the model once: each seed continues the previous seed's training"),
    Fault("rs-shared-generator", RS, RS_T, source='''
def run_seeds(make_model, data, seeds, **train_options):
    generator = torch.Generator().manual_seed(seeds[0] if len(seeds) else 0)
    accuracies = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = make_model()
        accuracies.append(mx.train(model, data, generator, **train_options))
    return torch.tensor(accuracies, dtype=torch.float64)
''', why="one generator for all seeds: a seed's data order depends on the seeds before it"),
    Fault("rs-seed-after-model", RS, RS_T, replace=(("        torch.manual_seed(seed)\n        model = make_model()\n",
                                                     "        model = make_model()\n        torch.manual_seed(seed)\n"),),
          why="seeds after building the model: the initial weights do not follow the seed"),
    Fault("rs-drops-options", RS, RS_T, replace=(("torch.Generator().manual_seed(seed), **train_options)", "torch.Generator().manual_seed(seed))"),),
          why="ignores the training options"),
    Fault("rs-unseeded-generator", RS, RS_T, replace=(("torch.Generator().manual_seed(seed)", "torch.Generator()"),),
          why="a fresh generator with its default seed: every seed gets the same data order"),
    Fault("rs-calls-labs", RS, RS_T, source='''
def run_seeds(make_model, data, seeds, **train_options):
    return mx.run_seeds(make_model, data, seeds, **train_options)
''', why="delegates to the course's copy"),
    # SmallCNN
    Fault("cnn-no-relu", CN, CN_T, replace=(("        h = torch.relu(self.conv1(x.unsqueeze(1)))\n        h = torch.relu(self.conv2(h))\n        h = torch.relu(self.conv3(h))\n",
                                              "        h = self.conv1(x.unsqueeze(1))\n        h = self.conv2(h)\n        h = self.conv3(h)\n"),),
          why="no nonlinearity: the network is linear, no better than logistic regression"),
    Fault("cnn-kernel-3-first", CN, CN_T, replace=(("nn.Conv1d(1, channels, kernel_size=5, stride=2, padding=1)", "nn.Conv1d(1, channels, kernel_size=3, stride=2, padding=1)"),),
          why="kernel 3 in the first layer: not the specified architecture"),
    Fault("cnn-fixed-channels", CN, CN_T, source='''
class SmallCNN(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 16, kernel_size=5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(16, 16, kernel_size=3, stride=2, padding=1)
        self.linear = nn.Linear(80, 10)

    def forward(self, x):
        h = torch.relu(self.conv1(x.unsqueeze(1)))
        h = torch.relu(self.conv2(h))
        h = torch.relu(self.conv3(h))
        return self.linear(h.flatten(1))
''', why="ignores the channels argument"),
    Fault("cnn-global-pool", CN, CN_T, replace=(("self.linear = nn.Linear(5 * channels, 10)", "self.linear = nn.Linear(channels, 10)"),
                                                 ("return self.linear(h.flatten(1))", "return self.linear(h.mean(dim=-1))")),
          why="averages over positions instead of flattening: a different classifier"),
    Fault("cnn-two-convs", CN, CN_T, replace=(("        h = torch.relu(self.conv3(h))\n", ""), ("self.linear = nn.Linear(5 * channels, 10)", "self.linear = nn.Linear(10 * channels, 10)")),
          why="skips the third convolution"),
    Fault("cnn-subclass", CN, CN_T, source='''
class SmallCNN(mx.ConvNet):
    pass
''', why="subclasses the course's reference network"),
]
