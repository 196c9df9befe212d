"""Plausible wrong answers to lab 3. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

ROSEN, ROSEN_T = "lab03-rosenbrock", ("lab03-rosenbrock-tests",)
HIMMEL, HIMMEL_T = "lab03-himmelblau", ("lab03-himmelblau-tests",)
RASTR, RASTR_T = "lab03-rastrigin", ("lab03-rastrigin-tests",)
SGD, SGD_T = "lab03-my-sgd", ("lab03-my-sgd-tests",)
RMS, RMS_T = "lab03-my-rmsprop", ("lab03-my-rmsprop-tests",)
ADAM, ADAM_T = "lab03-my-adam", ("lab03-my-adam-tests",)
SCHED, SCHED_T = "lab03-warmup-cosine-lr", ("lab03-warmup-cosine-lr-tests",)
HINGE, HINGE_T = "lab03-hinge-loss", ("lab03-hinge-loss-tests",)
SVM, SVM_T = "lab03-svm", ("lab03-svm-tests",)
ES, ES_T = "lab03-es-gradient", ("lab03-es-gradient-tests",)

FAULTS = [
    # rosenbrock
    Fault("rosenbrock-swapped-roles", ROSEN, ROSEN_T, replace=(("(tail - head ** 2)", "(head - tail ** 2)"),),
          why="x_i - x_{i+1}^2 instead of x_{i+1} - x_i^2"),
    Fault("rosenbrock-missing-100", ROSEN, ROSEN_T, replace=(("100 * (tail", "(tail"),), why="forgets the factor 100"),
    Fault("rosenbrock-wrong-axis", ROSEN, ROSEN_T, replace=((".sum(dim=-1)", ".sum(dim=0)"),), why="sums over the batch"),
    Fault("rosenbrock-two-dimensional-only", ROSEN, ROSEN_T,
          source="def rosenbrock(x):\n    return 100 * (x[..., 1] - x[..., 0] ** 2) ** 2 + (1 - x[..., 0]) ** 2\n",
          why="only the first pair of coordinates"),
    Fault("rosenbrock-loop-over-points", ROSEN, ROSEN_T, source="""def rosenbrock(x):
    flat = x.reshape(-1, x.shape[-1])
    values = [(100 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2).sum() for p in flat]
    return torch.stack(values).reshape(x.shape[:-1])
""", why="right values, but a Python loop over the points, which the exercise forbids"),
    Fault("rosenbrock-calls-scipy", ROSEN, ROSEN_T, source="""def rosenbrock(x):
    values = scipy.optimize.rosen(np.moveaxis(x.detach().numpy(), -1, 0))
    return torch.as_tensor(values, dtype=x.dtype)
""", why="delegates to scipy.optimize.rosen, which the exercise forbids (and loses the gradient)"),
    # himmelblau
    Fault("himmelblau-swapped-terms", HIMMEL, HIMMEL_T, replace=(("(a + b ** 2 - 7)", "(a ** 2 + b - 7)"),), why="wrong second term"),
    Fault("himmelblau-not-batched", HIMMEL, HIMMEL_T, replace=(("a, b = x[..., 0], x[..., 1]", "a, b = x[0], x[1]"),),
          why="indexes the first dimension, not the last"),
    Fault("himmelblau-missing-square", HIMMEL, HIMMEL_T, replace=(("(a ** 2 + b - 11) ** 2 +", "(a ** 2 + b - 11) +"),),
          why="first term not squared"),
    # rastrigin
    Fault("rastrigin-no-constant", RASTR, RASTR_T, replace=(("10 * d + ", ""),), why="forgets 10 d"),
    Fault("rastrigin-cos-without-2pi", RASTR, RASTR_T, replace=(("torch.cos(2 * math.pi * x)", "torch.cos(x)"),), why="cos(x)"),
    Fault("rastrigin-fixed-dimension", RASTR, RASTR_T, replace=(("d = x.shape[-1]", "d = 2"),), why="assumes d = 2"),
    Fault("rastrigin-loop-over-coordinates", RASTR, RASTR_T, source="""def rastrigin(x):
    d = x.shape[-1]
    return 10 * d + sum(x[..., i] ** 2 - 10 * torch.cos(2 * math.pi * x[..., i]) for i in range(d))
""", why="right values, but a Python loop over the coordinates, which the exercise forbids"),
    Fault("rastrigin-sums-everything", RASTR, RASTR_T, replace=((".sum(dim=-1)", ".sum()"),), why="one number for the whole batch"),
    # MySGD
    Fault("sgd-dampens-first-step", SGD, SGD_T,
          replace=(('buf = state["momentum_buffer"] = d_p.clone()', 'buf = state["momentum_buffer"] = (1 - dampening) * d_p'),),
          why="dampening applied when the buffer is created"),
    Fault("sgd-ignores-nesterov", SGD, SGD_T, replace=(("d_p = d_p + momentum * buf if nesterov else buf", "d_p = buf"),),
          why="Nesterov flag has no effect"),
    Fault("sgd-decay-at-update", SGD, SGD_T,
          replace=(("d_p = d_p + weight_decay * p", "pass"), ("p.add_(d_p, alpha=-lr)", "p.add_(d_p + weight_decay * p, alpha=-lr)")),
          why="weight decay added after momentum instead of to the gradient"),
    Fault("sgd-ignores-parameter-groups", SGD, SGD_T,
          replace=(('lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]',
                    'lr, momentum, dampening = self.defaults["lr"], self.defaults["momentum"], self.defaults["dampening"]'),),
          why="hyper-parameters from the defaults, not the group"),
    Fault("sgd-modifies-grad", SGD, SGD_T, replace=(("d_p = d_p + weight_decay * p", "d_p = p.grad.add_(p, alpha=weight_decay)"),),
          why="adds weight decay into p.grad in place"),
    Fault("sgd-inherits-torch-sgd", SGD, SGD_T, source="""class MySGD(torch.optim.SGD):
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
""", why="delegates the update to torch.optim.SGD, which the exercise forbids"),
    # MyRMSprop
    Fault("rmsprop-eps-inside-sqrt", RMS, RMS_T, replace=(("(square_avg.sqrt() + eps)", "(square_avg + eps).sqrt()"),),
          why="eps under the square root"),
    Fault("rmsprop-bias-corrected", RMS, RMS_T,
          replace=(('state["square_avg"] = torch.zeros_like(p)', 'state["square_avg"] = torch.zeros_like(p)\n                    state["step"] = 0'),
                   ("p.sub_(lr * grad / (square_avg.sqrt() + eps))",
                    'state["step"] += 1\n                p.sub_(lr * grad / ((square_avg / (1 - alpha ** state["step"])).sqrt() + eps))')),
          why="adds Adam's bias correction, which RMSprop does not have"),
    Fault("rmsprop-swapped-alpha", RMS, RMS_T, replace=(("square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)",
                                                         "square_avg.mul_(1 - alpha).addcmul_(grad, grad, value=alpha)"),),
          why="alpha weights the new squared gradient instead of the average"),
    Fault("rmsprop-starts-at-first-square", RMS, RMS_T,
          replace=(('state["square_avg"] = torch.zeros_like(p)\n                square_avg = state["square_avg"]\n'
                    '                square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)',
                    'state["square_avg"] = grad * grad\n                else:\n'
                    '                    state["square_avg"].mul_(alpha).addcmul_(grad, grad, value=1 - alpha)\n'
                    '                square_avg = state["square_avg"]'),),
          why="starts the average at g^2 like SGD's momentum buffer, so the first step is lr, not 10 lr"),
    Fault("rmsprop-ignores-weight-decay", RMS, RMS_T, replace=(("grad = grad + weight_decay * p", "pass"),), why="no weight decay"),
    Fault("rmsprop-ignores-parameter-groups", RMS, RMS_T,
          replace=(('lr, alpha, eps, weight_decay = group["lr"], group["alpha"], group["eps"], group["weight_decay"]',
                    'lr, alpha, eps, weight_decay = (self.defaults[k] for k in ("lr", "alpha", "eps", "weight_decay"))'),),
          why="hyper-parameters from the defaults, not the group"),
    Fault("rmsprop-inherits-torch-rmsprop", RMS, RMS_T, source="""class MyRMSprop(torch.optim.RMSprop):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay)
""", why="delegates the update to torch.optim.RMSprop, which the exercise forbids"),
    # MyAdam
    Fault("adam-no-bias-correction", ADAM, ADAM_T,
          replace=(('m_hat = state["m"] / (1 - beta1 ** t)', 'm_hat = state["m"]'), ('v_hat = state["v"] / (1 - beta2 ** t)', 'v_hat = state["v"]')),
          why="no bias correction"),
    Fault("adam-eps-inside-sqrt", ADAM, ADAM_T, replace=(("(v_hat.sqrt() + eps)", "(v_hat + eps).sqrt()"),), why="eps under the square root"),
    Fault("adam-always-coupled", ADAM, ADAM_T, replace=(("if decoupled:", "if False:"),), why="AdamW behaves like Adam"),
    Fault("adamw-decay-without-lr", ADAM, ADAM_T, replace=(("p.mul_(1 - lr * weight_decay)", "p.mul_(1 - weight_decay)"),),
          why="decoupled decay not scaled by the learning rate"),
    Fault("adam-delegates-to-torch-adam", ADAM, ADAM_T, source="""class MyAdam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled=decoupled))

    @torch.no_grad()
    def step(self):
        if not hasattr(self, "inner"):  # one torch.optim optimiser per group, kept between steps
            self.inner = [(torch.optim.AdamW if g["decoupled"] else torch.optim.Adam)(
                g["params"], lr=g["lr"], betas=g["betas"], eps=g["eps"], weight_decay=g["weight_decay"]) for g in self.param_groups]
        for optimiser in self.inner:
            optimiser.step()
""", why="delegates the update to torch.optim.Adam / AdamW, which the exercise forbids"),
    # warmup_cosine_lr
    Fault("warmup-from-zero", SCHED, SCHED_T, replace=(("base_lr * (step + 1) / (warmup + 1)", "base_lr * step / warmup"),),
          why="warm-up starts at 0"),
    Fault("cosine-over-total", SCHED, SCHED_T, replace=(("(step - warmup) / (total - warmup)", "step / total"),),
          why="cosine phase measured from step 0"),
    Fault("cosine-ignores-min-lr", SCHED, SCHED_T, replace=(("min_lr + (base_lr - min_lr) * ", "base_lr * "),), why="decays to 0"),
    Fault("cosine-wrong-sign", SCHED, SCHED_T, replace=(("(1 + math.cos(math.pi * progress))", "(1 - math.cos(math.pi * progress))"),),
          why="rises instead of decaying"),
    Fault("schedule-from-torch-schedulers", SCHED, SCHED_T, source="""def warmup_cosine_lr(step, total, base_lr, warmup, min_lr):
    optimiser = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=total - warmup, eta_min=min_lr)
    if warmup:
        linear = torch.optim.lr_scheduler.LinearLR(optimiser, start_factor=1 / (warmup + 1), total_iters=warmup)
        cosine = torch.optim.lr_scheduler.SequentialLR(optimiser, [linear, cosine], milestones=[warmup])
    for _ in range(step):
        optimiser.step()
        cosine.step()
    return optimiser.param_groups[0]["lr"]
""", why="reads the rate off torch.optim.lr_scheduler, which the exercise forbids"),
    # hinge_loss
    Fault("hinge-sum", HINGE, HINGE_T, replace=((".mean()", ".sum()"),), why="sum instead of mean"),
    Fault("hinge-no-clamp", HINGE, HINGE_T, replace=(("torch.clamp(1 - y * scores, min=0)", "(1 - y * scores)"),),
          why="rewards examples beyond the margin"),
    Fault("hinge-no-margin", HINGE, HINGE_T, replace=(("torch.clamp(1 - y * scores", "torch.clamp(-y * scores"),), why="perceptron loss, no margin"),
    Fault("hinge-via-margin-ranking-loss", HINGE, HINGE_T,
          source="def hinge_loss(scores, y):\n    return torch.nn.functional.margin_ranking_loss(scores, torch.zeros_like(scores), y, margin=1.0)\n",
          why="delegates to a library loss (max(0, -y (s - 0) + 1)), which the exercise forbids"),
    # svm_objective and train_svm
    Fault("svm-penalises-bias", SVM, SVM_T, replace=(("0.5 * lam * (w * w).sum()", "0.5 * lam * ((w * w).sum() + b * b)"),),
          why="regularises b"),
    Fault("svm-no-zero-grad", SVM, SVM_T, replace=(("optimiser.zero_grad()\n", ""),), why="gradients accumulate across batches"),
    Fault("svm-drops-last-batch", SVM, SVM_T, replace=(("range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)"),),
          why="skips the last, smaller batch"),
    Fault("svm-shuffles-once", SVM, SVM_T,
          replace=(("for _ in range(epochs):\n        order = torch.randperm(n, generator=generator)",
                    "order = torch.randperm(n, generator=generator)\n    for _ in range(epochs):"),),
          why="one permutation for every epoch"),
    Fault("svm-penalty-without-half", SVM, SVM_T, replace=(("0.5 * lam", "lam"),), why="lam ||w||^2 instead of lam/2 ||w||^2"),
    Fault("svm-objective-via-library-hinge", SVM, SVM_T,
          replace=(("hinge_loss(X @ w + b, y)",
                    "torch.nn.functional.margin_ranking_loss(X @ w + b, torch.zeros(len(y), dtype=X.dtype), y, margin=1.0)"),),
          why="the hinge part from a library loss, which the exercise forbids"),
    # es_gradient
    Fault("es-one-sided", ES, ES_T, replace=(("f(x + sigma * eps) - f(x - sigma * eps)", "f(x + sigma * eps) - f(x[None, :])"),),
          why="forward differences with the antithetic normalisation"),
    Fault("es-missing-2", ES, ES_T, replace=(("(2 * sigma * n)", "(sigma * n)"),), why="twice the gradient"),
    Fault("es-sigma-squared", ES, ES_T, replace=(("(2 * sigma * n)", "(2 * sigma ** 2 * n)"),), why="divides by sigma^2"),
    Fault("es-directional-derivatives-by-autograd", ES, ES_T, source="""def es_gradient(f, x, sigma, n, generator):
    eps = torch.randn(n, x.shape[0], generator=generator, dtype=x.dtype)
    points = x.detach().expand(n, -1).clone().requires_grad_(True)
    f(points).sum().backward()                      # row i of points.grad is the gradient of f at x
    slopes = (points.grad * eps).sum(dim=1)          # exact directional derivatives instead of finite differences
    return (slopes[:, None] * eps).mean(dim=0)
""", why="uses autograd for the directional derivatives, which the exercise forbids (exact for linear and quadratic f)"),
    Fault("es-fresh-noise-for-mirror", ES, ES_T,
          replace=(("difference = f(x + sigma * eps) - f(x - sigma * eps)",
                    "eps2 = torch.randn(n, x.shape[0], generator=generator, dtype=x.dtype)\n"
                    "    difference = f(x + sigma * eps) - f(x - sigma * eps2)"),),
          why="the mirrored sample uses different noise"),
]
