"""Plausible wrong answers to lab 1. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

PAIRWISE = "lab01-pairwise-sq-distances"
PAIRWISE_T = ("lab01-pairwise-sq-distances-tests",)
STANDARDISE = "lab01-standardise"
STANDARDISE_T = ("lab01-standardise-tests",)
PINV = "lab01-pinv-svd"
PINV_FULL = "lab01-pinv-svd-full-rank-tests"
PINV_DEFICIENT = "lab01-pinv-svd-rank-deficient-tests"
MSE = "lab01-mse-grad"
MSE_T = ("lab01-mse-grad-tests",)
GD = "lab01-gradient-descent"
GD_T = ("lab01-gradient-descent-tests",)
RIDGE = "lab01-ridge-fit"
RIDGE_T = ("lab01-ridge-fit-tests",)
SIGMOID = "lab01-sigmoid"
SIGMOID_VALUE = "lab01-sigmoid-value-tests"
SIGMOID_GRAD = "lab01-sigmoid-gradient-tests"
LOGISTIC = "lab01-logistic-nll-grad"
LOGISTIC_T = ("lab01-logistic-nll-grad-tests",)
GRADCHECK = "lab01-grad-check"
GRADCHECK_NUM = ("lab01-grad-check-numerical-tests",)
GRADCHECK_REL = ("lab01-grad-check-relative-error-tests",)
SOFTMAX = "lab01-softmax"
SOFTMAX_T = ("lab01-softmax-tests",)
SOFTREG = "lab01-softmax-regression-grad"
SOFTREG_T = ("lab01-softmax-regression-grad-tests",)
MC = "lab01-mc-expectation"
MC_T = ("lab01-mc-expectation-tests",)

FAULTS = [
    # pairwise_sq_distances
    Fault("pairwise-no-clamp", PAIRWISE, PAIRWISE_T, replace=((".clamp_min(0)", ""),),
          why="rounding leaves tiny negative distances"),
    Fault("pairwise-missing-factor-2", PAIRWISE, PAIRWISE_T, replace=(("- 2 * A @ B.T", "- A @ B.T"),),
          why="forgets the 2 in the cross term"),
    Fault("pairwise-not-squared", PAIRWISE, PAIRWISE_T,
          replace=((".clamp_min(0)", ".clamp_min(0).sqrt()"),), why="returns distances, not squared distances"),
    Fault("pairwise-python-loop", PAIRWISE, PAIRWISE_T,
          source="def pairwise_sq_distances(A, B):\n"
                 "    return torch.stack([((a - B) ** 2).sum(dim=1) for a in A])\n",
          why="correct values, but a Python loop where the exercise asks for tensor operations"),
    # standardise
    Fault("standardise-sample-std", STANDARDISE, STANDARDISE_T, replace=(("correction=0", "correction=1"),),
          why="torch.std's default n - 1 instead of the population standard deviation"),
    Fault("standardise-wrong-axis", STANDARDISE, STANDARDISE_T,
          source="def standardise(X):\n"
                 "    mean = X.mean(dim=1)\n"
                 "    std = X.std(dim=1, correction=0)\n"
                 "    safe_std = torch.where(std > 0, std, torch.ones_like(std))\n"
                 "    return (X - mean) / safe_std, mean, std\n",
          why="statistics over rows instead of columns"),
    Fault("standardise-divide-by-zero", STANDARDISE, STANDARDISE_T,
          replace=(("return (X - mean) / safe_std, mean, std", "return (X - mean) / std, mean, std"),),
          why="constant columns become nan"),
    Fault("standardise-in-place", STANDARDISE, STANDARDISE_T,
          replace=(("return (X - mean) / safe_std, mean, std", "X -= mean\n    X /= safe_std\n    return X, mean, std"),),
          why="modifies the caller's data"),
    # pinv_svd
    Fault("pinv-no-cutoff", PINV, (PINV_DEFICIENT,), replace=(("keep = S > rcond * S.max()", "keep = S >= 0"),),
          why="inverts every singular value, including the zero ones"),
    Fault("pinv-absolute-cutoff", PINV, (PINV_DEFICIENT,), replace=(("rcond * S.max()", "rcond"),),
          why="cut-off not relative to the largest singular value"),
    Fault("pinv-transposed", PINV, (PINV_FULL, PINV_DEFICIENT),
          replace=(("return Vh.mT @ (S_inv[:, None] * U.mT)", "return U @ (S_inv[:, None] * Vh)"),),
          why="builds U S+ V^T, the transpose of the pseudo-inverse"),
    Fault("pinv-normal-equations", PINV, (PINV_FULL, PINV_DEFICIENT),
          source="def pinv_svd(X, rcond=1e-15):\n    return torch.linalg.solve(X.mT @ X, X.mT)\n",
          why="(X^T X)^-1 X^T: wrong for wide or rank-deficient X"),
    Fault("pinv-calls-pinv", PINV, (PINV_FULL, PINV_DEFICIENT),
          source="def pinv_svd(X, rcond=1e-15):\n    return torch.linalg.pinv(X, rtol=rcond)\n",
          why="delegates to the forbidden torch.linalg.pinv (right values)"),
    Fault("pinv-method-pinverse", PINV, (PINV_FULL, PINV_DEFICIENT),
          source="def pinv_svd(X, rcond=1e-15):\n    return X.pinverse(rcond=rcond)\n",
          why="the forbidden pseudo-inverse reached as a method, X.pinverse() (right values)"),
    Fault("pinv-numpy-alias", PINV, (PINV_FULL, PINV_DEFICIENT),
          source="import numpy.linalg as npla\n\n"
                 "def pinv_svd(X, rcond=1e-15):\n    return torch.from_numpy(npla.pinv(X.numpy(), rcond=rcond))\n",
          why="delegates to NumPy's pinv through a module alias (right values)"),
    Fault("pinv-numpy-imported-name", PINV, (PINV_FULL, PINV_DEFICIENT),
          source="from numpy.linalg import pinv as numpy_pinv\n\n"
                 "def pinv_svd(X, rcond=1e-15):\n    return torch.from_numpy(numpy_pinv(X.numpy(), rcond=rcond))\n",
          why="NumPy's pinv imported under another name (right values)"),
    Fault("pinv-lstsq", PINV, (PINV_FULL, PINV_DEFICIENT),
          source="from torch.linalg import lstsq as least_squares\n\n"
                 "def pinv_svd(X, rcond=1e-15):\n"
                 "    eye = torch.eye(X.shape[0], dtype=X.dtype)\n"
                 "    return least_squares(X, eye, rcond=rcond, driver='gelsd').solution\n",
          why="solves X P = I with the forbidden lstsq, imported under another name"),
    # mse_grad
    Fault("mse-missing-2", MSE, MSE_T, replace=(("2.0 / X.shape[0]", "1.0 / X.shape[0]"),),
          why="drops the 2 from differentiating the square"),
    Fault("mse-sum-not-mean", MSE, MSE_T, replace=(("2.0 / X.shape[0] * ", "2.0 * "),),
          why="gradient of the sum of squares, not the mean"),
    Fault("mse-sign", MSE, MSE_T, replace=(("(X @ theta - y)", "(y - X @ theta)"),), why="residual with the wrong sign"),
    Fault("mse-divides-by-d", MSE, MSE_T, replace=(("X.shape[0]", "X.shape[1]"),),
          why="divides by the number of features instead of examples"),
    Fault("mse-autograd-backward", MSE, MSE_T,
          source="def mse_grad(theta, X, y):\n"
                 "    theta = theta.detach().clone().requires_grad_(True)\n"
                 "    ((X @ theta - y) ** 2).mean().backward()\n"
                 "    return theta.grad\n",
          why="lets autograd compute the gradient (right values; the exercise forbids it)"),
    Fault("mse-torch-func-grad", MSE, MSE_T,
          source="from torch.func import grad\n\n"
                 "def mse_grad(theta, X, y):\n"
                 "    return grad(lambda t: ((X @ t - y) ** 2).mean())(theta)\n",
          why="torch.func.grad, imported under its short name (right values; no autograd allowed)"),
    # gradient_descent
    Fault("gd-ascent", GD, GD_T, replace=(("theta - lr * grad_fn(theta)", "theta + lr * grad_fn(theta)"),),
          why="steps up the gradient"),
    Fault("gd-no-start", GD, GD_T, replace=(("trajectory = [theta0.clone()]", "trajectory = []"),),
          why="trajectory without theta0 (one row short)"),
    Fault("gd-aliasing", GD, GD_T, replace=(("theta = theta - lr * grad_fn(theta)", "theta -= lr * grad_fn(theta)"),),
          why="in-place update: every stored iterate is the same tensor"),
    Fault("gd-one-step-short", GD, GD_T, replace=(("range(steps)", "range(steps - 1)"),), why="off by one"),
    # ridge_fit
    Fault("ridge-no-penalty", RIDGE, RIDGE_T, replace=(("+ lam * torch.eye", "+ 0.0 * lam * torch.eye"),),
          why="ordinary least squares"),
    Fault("ridge-lam-squared", RIDGE, RIDGE_T, replace=(("lam * torch.eye", "lam ** 2 * torch.eye"),),
          why="penalty lam^2 (right only for lam = 1, the visible example)"),
    Fault("ridge-mean-convention", RIDGE, RIDGE_T, replace=(("lam * torch.eye", "lam * X.shape[0] * torch.eye"),),
          why="mixes the mean-squared-error convention into the sum-of-squares objective"),
    Fault("ridge-wrong-gram", RIDGE, RIDGE_T, replace=(("X.T @ X + ", "X @ X.T + "),),
          why="X X^T instead of X^T X (right only for square X)"),
    # sigmoid
    Fault("sigmoid-naive", SIGMOID, (SIGMOID_GRAD,), source="def sigmoid(z):\n    return 1 / (1 + torch.exp(-z))\n",
          why="right values, nan gradient for large negative z"),
    Fault("sigmoid-overflow", SIGMOID, (SIGMOID_VALUE, SIGMOID_GRAD),
          source="def sigmoid(z):\n    return torch.exp(z) / (1 + torch.exp(z))\n", why="inf / inf for large positive z"),
    Fault("sigmoid-swapped-branches", SIGMOID, (SIGMOID_VALUE,),
          replace=(("torch.where(z >= 0, 1 / (1 + e), e / (1 + e))", "torch.where(z >= 0, e / (1 + e), 1 / (1 + e))"),),
          why="computes sigmoid(-z)"),
    Fault("sigmoid-abs-gradient", SIGMOID, (SIGMOID_GRAD,),
          replace=(("torch.exp(torch.where(z >= 0, -z, z))", "torch.exp(-z.abs())"),),
          why="abs() has zero gradient at 0, so sigmoid'(0) comes out 0"),
    Fault("sigmoid-where-unsafe-branch", SIGMOID, (SIGMOID_GRAD,),
          source="def sigmoid(z):\n"
                 "    return torch.where(z >= 0, 1 / (1 + torch.exp(-z)), torch.exp(z) / (1 + torch.exp(z)))\n",
          why="right values, but the unused branch overflows and poisons the gradient"),
    Fault("sigmoid-calls-torch-sigmoid", SIGMOID, (SIGMOID_VALUE, SIGMOID_GRAD),
          source="def sigmoid(z):\n    return torch.sigmoid(z)\n", why="delegates to the forbidden torch.sigmoid"),
    Fault("sigmoid-method", SIGMOID, (SIGMOID_VALUE, SIGMOID_GRAD),
          source="def sigmoid(z):\n    return z.sigmoid()\n", why="the forbidden sigmoid as a method"),
    Fault("sigmoid-expit-alias", SIGMOID, (SIGMOID_VALUE, SIGMOID_GRAD),
          source="from torch.special import expit as logistic\n\ndef sigmoid(z):\n    return logistic(z)\n",
          why="torch.special.expit imported under another name"),
    Fault("sigmoid-functional", SIGMOID, (SIGMOID_VALUE, SIGMOID_GRAD),
          source="def sigmoid(z):\n    return F.sigmoid(z)\n", why="the forbidden F.sigmoid"),
    # logistic_nll_grad
    Fault("logistic-sign", LOGISTIC, LOGISTIC_T,
          replace=(("(sigmoid(X @ theta) - y)", "(y - sigmoid(X @ theta))"),), why="gradient of the log-likelihood, not its negative"),
    Fault("logistic-sum-not-mean", LOGISTIC, LOGISTIC_T, replace=((" / X.shape[0]", ""),), why="forgets 1/n"),
    Fault("logistic-no-sigmoid", LOGISTIC, LOGISTIC_T, replace=(("sigmoid(X @ theta)", "(X @ theta)"),),
          why="uses the score instead of the probability"),
    Fault("logistic-autograd", LOGISTIC, LOGISTIC_T,
          source="def logistic_nll_grad(theta, X, y):\n"
                 "    theta = theta.detach().clone().requires_grad_(True)\n"
                 "    loss = F.binary_cross_entropy_with_logits(X @ theta, y)\n"
                 "    return torch.autograd.grad(loss, theta)[0]\n",
          why="torch.autograd.grad instead of the formula (right values; no autograd allowed)"),
    # grad_check
    Fault("gradcheck-forward-difference", GRADCHECK, GRADCHECK_NUM,
          replace=(("flat[i] = saved - eps", "flat[i] = saved"), ("(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / eps")),
          why="forward difference: error proportional to eps"),
    Fault("gradcheck-step-not-doubled", GRADCHECK, GRADCHECK_NUM,
          replace=(("(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / eps"),),
          why="divides by eps although the two points are 2 eps apart: twice the gradient"),
    Fault("gradcheck-not-restored", GRADCHECK, GRADCHECK_NUM, replace=(("        flat[i] = saved\n", ""),),
          why="leaves each entry at theta_i - eps, so later entries are differentiated at the wrong point"),
    Fault("gradcheck-all-entries-at-once", GRADCHECK, GRADCHECK_NUM,
          source="def grad_check(f, theta, analytic, eps=1e-6):\n"
                 "    t = theta.detach()\n"
                 "    slope = float(f(t + eps) - f(t - eps)) / (2 * eps)\n"
                 "    numerical = torch.full_like(t, slope)\n"
                 "    rel_error = float((analytic - numerical).norm() / (analytic.norm() + numerical.norm()))\n"
                 "    return numerical, rel_error\n",
          why="perturbs every entry together: a directional derivative copied into every slot"),
    Fault("gradcheck-ignores-eps", GRADCHECK, GRADCHECK_NUM,
          replace=(("flat[i] = saved + eps", "flat[i] = saved + 1e-6"), ("flat[i] = saved - eps", "flat[i] = saved - 1e-6"),
                   ("(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / (2 * 1e-6)")),
          why="a hard-coded step instead of the eps argument"),
    Fault("gradcheck-modifies-caller", GRADCHECK, GRADCHECK_NUM,
          source="def grad_check(f, theta, analytic, eps=1e-6):\n"
                 "    flat = theta.detach().view(-1)\n"
                 "    numerical = torch.zeros_like(flat)\n"
                 "    for i in range(flat.numel()):\n"
                 "        flat[i] += eps\n"
                 "        f_plus = float(f(theta))\n"
                 "        flat[i] -= 2 * eps\n"
                 "        f_minus = float(f(theta))\n"
                 "        numerical[i] = (f_plus - f_minus) / (2 * eps)\n"
                 "    numerical = numerical.view(theta.shape)\n"
                 "    rel_error = float((analytic - numerical).norm() / (analytic.norm() + numerical.norm()))\n"
                 "    return numerical, rel_error\n",
          why="perturbs the caller's theta in place and never puts the entries back"),
    Fault("gradcheck-autograd", GRADCHECK, GRADCHECK_NUM,
          source="def grad_check(f, theta, analytic, eps=1e-6):\n"
                 "    t = theta.detach().clone().requires_grad_(True)\n"
                 "    numerical = torch.autograd.grad(f(t), t)[0]\n"
                 "    rel_error = float((analytic - numerical).norm() / (analytic.norm() + numerical.norm()))\n"
                 "    return numerical, rel_error\n",
          why="asks autograd instead of differencing (the check then trusts what it should check)"),
    Fault("gradcheck-absolute-error", GRADCHECK, GRADCHECK_REL,
          replace=(("rel_error = distance / size if size > 0 else 0.0", "rel_error = distance"),),
          why="absolute instead of relative error: depends on the scale of the loss"),
    Fault("gradcheck-elementwise-error", GRADCHECK, GRADCHECK_REL,
          replace=(("rel_error = distance / size if size > 0 else 0.0",
                    "rel_error = float(((analytic - numerical).abs() / torch.maximum(analytic.abs(), numerical.abs())).max())"),),
          why="the largest entrywise ratio |a - n| / max(|a|, |n|), not the relative error the exercise defines"),
    Fault("gradcheck-relative-to-analytic", GRADCHECK, GRADCHECK_REL,
          replace=(("rel_error = distance / size if size > 0 else 0.0",
                    "rel_error = distance / float(torch.linalg.vector_norm(analytic.double()))"),),
          why="divides by |g| only: 1 instead of 1/3 for a missing factor 2, and 0/0 when both are zero"),
    Fault("gradcheck-zero-over-zero", GRADCHECK, GRADCHECK_REL,
          replace=(("rel_error = distance / size if size > 0 else 0.0", "rel_error = distance / size if size > 0 else float('nan')"),),
          why="nan when both gradients are zero"),
    # softmax
    Fault("softmax-no-shift", SOFTMAX, SOFTMAX_T, replace=(("shifted = Z - Z.max(dim=-1, keepdim=True).values", "shifted = Z"),),
          why="overflows for large logits"),
    Fault("softmax-global-max", SOFTMAX, SOFTMAX_T, replace=(("Z.max(dim=-1, keepdim=True).values", "Z.max()"),),
          why="one maximum for the whole tensor underflows rows far below it"),
    Fault("softmax-wrong-axis", SOFTMAX, SOFTMAX_T, replace=(("e.sum(dim=-1, keepdim=True)", "e.sum(dim=0, keepdim=True)"),),
          why="normalises columns instead of rows"),
    Fault("softmax-min-shift", SOFTMAX, SOFTMAX_T, replace=(("Z.max(dim=-1, keepdim=True).values", "Z.min(dim=-1, keepdim=True).values"),),
          why="subtracting the minimum does not prevent overflow"),
    Fault("softmax-calls-torch-softmax", SOFTMAX, SOFTMAX_T,
          source="def softmax(Z):\n    return torch.softmax(Z, dim=-1)\n", why="delegates to the forbidden torch.softmax"),
    Fault("softmax-method", SOFTMAX, SOFTMAX_T,
          source="def softmax(Z):\n    return Z.softmax(-1)\n", why="the forbidden softmax as a method"),
    Fault("softmax-functional-alias", SOFTMAX, SOFTMAX_T,
          source="import torch.nn.functional as nnf\n\ndef softmax(Z):\n    return nnf.softmax(Z, dim=-1)\n",
          why="F.softmax through a module alias"),
    Fault("softmax-exp-log-softmax", SOFTMAX, SOFTMAX_T,
          source="def softmax(Z):\n    return Z.log_softmax(dim=-1).exp()\n", why="exp of the forbidden log_softmax"),
    # softmax_regression_grad
    Fault("softreg-sign", SOFTREG, SOFTREG_T, replace=(("(P - Y)", "(Y - P)"),), why="sign error"),
    Fault("softreg-classes-from-labels", SOFTREG, SOFTREG_T,
          replace=(("F.one_hot(y, Theta.shape[1])", "F.one_hot(y)"),), why="number of classes guessed from the labels"),
    Fault("softreg-sum-not-mean", SOFTREG, SOFTREG_T, replace=((" / X.shape[0]", ""),), why="forgets 1/n"),
    Fault("softreg-transposed", SOFTREG, SOFTREG_T,
          replace=(("return X.T @ (P - Y) / X.shape[0]", "return (P - Y).T @ X / X.shape[0]"),), why="returns (k, d)"),
    Fault("softreg-autograd", SOFTREG, SOFTREG_T,
          source="def softmax_regression_grad(Theta, X, y):\n"
                 "    Theta = Theta.detach().clone().requires_grad_(True)\n"
                 "    F.cross_entropy(X @ Theta, y).backward()\n"
                 "    return Theta.grad\n",
          why="autograd through F.cross_entropy (right values; no autograd allowed)"),
    Fault("softreg-autograd-functional", SOFTREG, SOFTREG_T,
          source="from torch.autograd.functional import jacobian\n\n"
                 "def softmax_regression_grad(Theta, X, y):\n"
                 "    return jacobian(lambda T: F.cross_entropy(X @ T, y), Theta)\n",
          why="torch.autograd.functional.jacobian of the loss (right values; no autograd allowed)"),
    # mc_expectation
    Fault("mc-biased-variance", MC, MC_T, replace=(("correction=1", "correction=0"),), why="divides by n in the variance"),
    Fault("mc-std-not-se", MC, MC_T, replace=((" / math.sqrt(n)", ""),), why="reports the standard deviation"),
    Fault("mc-divide-by-n", MC, MC_T, replace=(("math.sqrt(n)", "n"),), why="divides by n instead of sqrt(n)"),
    Fault("mc-two-draws", MC, MC_T,
          source="def mc_expectation(g, sampler, n):\n"
                 "    estimate = float(g(sampler(n)).mean())\n"
                 "    se = float(g(sampler(n)).std() / math.sqrt(n))\n"
                 "    return estimate, se\n",
          why="mean and standard error from different samples"),
    Fault("mc-returns-tensors", MC, MC_T,
          replace=(("return float(values.mean()), float(values.std(correction=1) / math.sqrt(n))",
                    "return values.mean(), values.std(correction=1) / math.sqrt(n)"),),
          why="returns tensors instead of floats"),
]
