"""Correct answers to lab 11 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab11.py)."""

from labs.qa.faults import alternative

MC, MC_T = "lab11-mean-ci", ("lab11-mean-ci-tests",)
BC, BC_T = "lab11-bootstrap-ci", ("lab11-bootstrap-ci-tests",)
WT, WT_T = "lab11-welch-t-test", ("lab11-welch-t-test-tests",)
CN, CN_T = "lab11-small-cnn", ("lab11-small-cnn-tests",)

ALTERNATIVES = [
    alternative("mean-ci-numpy", MC, MC_T, source='''def mean_ci(xs, level=0.95):
    x = np.asarray(xs, dtype=np.float64).ravel()
    half = scipy.stats.t.ppf(0.5 + level / 2, df=len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)
''', why="NumPy, and SciPy's t distribution through scipy.stats"),
    alternative("bootstrap-quantile-each", BC, BC_T, source='''def bootstrap_ci(xs, stat, n_boot=2000, level=0.95, generator=None):
    x = torch.as_tensor(xs, dtype=torch.float64).flatten()
    resamples = x[torch.randint(len(x), (n_boot, len(x)), generator=generator)]
    values = stat(resamples)
    alpha = 1 - level
    return torch.quantile(values, alpha / 2).item(), torch.quantile(values, 1 - alpha / 2).item()
''', why="the two quantiles taken one at a time"),
    alternative("welch-by-formula-numpy", WT, WT_T, source='''def welch_t_test(a, b):
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    sa, sb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(sa + sb)
    nu = (sa + sb) ** 2 / (sa ** 2 / (len(a) - 1) + sb ** 2 / (len(b) - 1))
    return float(t), float(nu), float(2 * scipy.stats.t.sf(np.abs(t), nu))
''', why="NumPy throughout"),
    alternative("small-cnn-sequential", CN, CN_T, source='''class SmallCNN(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, channels, 5, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten())
        self.linear = nn.Linear(5 * channels, 10)

    def forward(self, x):
        return self.linear(self.features(x[:, None, :]))
''', why="an nn.Sequential of the convolutions, ReLU modules and Flatten"),
]
