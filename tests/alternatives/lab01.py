"""Correct answers to lab 1 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab01.py)."""

from labs.qa.faults import alternative

PAIRWISE, PAIRWISE_T = "lab01-pairwise-sq-distances", ("lab01-pairwise-sq-distances-tests",)
STANDARDISE, STANDARDISE_T = "lab01-standardise", ("lab01-standardise-tests",)
PINV, PINV_T = "lab01-pinv-svd", ("lab01-pinv-svd-full-rank-tests", "lab01-pinv-svd-rank-deficient-tests")
MSE, MSE_T = "lab01-mse-grad", ("lab01-mse-grad-tests",)
GD, GD_T = "lab01-gradient-descent", ("lab01-gradient-descent-tests",)
RIDGE, RIDGE_T = "lab01-ridge-fit", ("lab01-ridge-fit-tests",)
SIGMOID, SIGMOID_T = "lab01-sigmoid", ("lab01-sigmoid-value-tests", "lab01-sigmoid-gradient-tests")
LOGISTIC, LOGISTIC_T = "lab01-logistic-nll-grad", ("lab01-logistic-nll-grad-tests",)
SOFTMAX, SOFTMAX_T = "lab01-softmax", ("lab01-softmax-tests",)
SOFTREG, SOFTREG_T = "lab01-softmax-regression-grad", ("lab01-softmax-regression-grad-tests",)
MC, MC_T = "lab01-mc-expectation", ("lab01-mc-expectation-tests",)

ALTERNATIVES = [
    alternative("pairwise-broadcast", PAIRWISE, PAIRWISE_T, source='''def pairwise_sq_distances(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(dim=-1)
''', why="broadcasts the differences (n, m, d) and sums their squares: exact, never negative"),
    alternative("standardise-where-zero", STANDARDISE, STANDARDISE_T, source='''def standardise(X):
    mean = X.mean(0)
    std = X.var(dim=0, correction=0).sqrt()
    return (X - mean) / torch.where(std == 0, torch.ones_like(std), std), mean, std
''', why="the square root of the population variance, constant columns divided by 1"),
    alternative("pinv-diag", PINV, PINV_T, source='''def pinv_svd(X, rcond=1e-15):
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    S_inv = torch.zeros_like(S)
    kept = S > rcond * S.max()
    S_inv[kept] = 1 / S[kept]
    return Vh.T @ torch.diag(S_inv) @ U.T
''', why="the inverted singular values filled in by a mask, and a diagonal matrix"),
    alternative("mse-grad-rows", MSE, MSE_T, source='''def mse_grad(theta, X, y):
    residual = X @ theta - y
    return 2 * (residual[:, None] * X).mean(dim=0)
''', why="the mean over rows of 2 r_i x_i"),
    alternative("gd-preallocated", GD, GD_T, source='''def gradient_descent(grad_fn, theta0, lr, steps):
    out = torch.empty((steps + 1, *theta0.shape), dtype=theta0.dtype)
    out[0] = theta0
    for t in range(steps):
        out[t + 1] = out[t] - lr * grad_fn(out[t])
    return out
''', why="a preallocated tensor of iterates instead of a list and torch.stack"),
    alternative("ridge-augmented-lstsq", RIDGE, RIDGE_T, source='''def ridge_fit(X, y, lam):
    d = X.shape[1]
    X_aug = torch.cat([X, (lam ** 0.5) * torch.eye(d, dtype=X.dtype)])
    y_aug = torch.cat([y, torch.zeros(d, dtype=y.dtype)])
    return torch.linalg.lstsq(X_aug, y_aug[:, None]).solution[:, 0]
''', why="least squares on the data stacked over sqrt(lam) I (the ridge problem as an ordinary one)"),
    alternative("sigmoid-logaddexp", SIGMOID, SIGMOID_T, source='''def sigmoid(z):
    return torch.exp(-torch.logaddexp(torch.zeros_like(z), -z))
''', why="exp(-log(1 + exp(-z))), with logaddexp keeping it finite for any z"),
    alternative("logistic-grad-rows", LOGISTIC, LOGISTIC_T, source='''def logistic_nll_grad(theta, X, y):
    return ((sigmoid(X @ theta) - y)[:, None] * X).mean(dim=0)
''', why="the mean over rows of (sigma_i - y_i) x_i"),
    alternative("softmax-amax", SOFTMAX, SOFTMAX_T, source='''def softmax(Z):
    e = torch.exp(Z - Z.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)
''', why="amax for the shift"),
    alternative("softreg-index-one-hot", SOFTREG, SOFTREG_T, source='''def softmax_regression_grad(Theta, X, y):
    P = softmax(X @ Theta)
    P[torch.arange(len(y)), y] -= 1
    return X.T @ P / len(y)
''', why="subtracts the one-hot labels by indexing"),
    alternative("mc-numpy", MC, MC_T, source='''def mc_expectation(g, sampler, n):
    values = g(sampler(n)).double().numpy()
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(n))
''', why="the estimate and its standard error in NumPy"),
]
