"""Correct answers to lab 3 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab03.py)."""

from labs.qa.faults import alternative

HIMMEL, HIMMEL_T = "lab03-himmelblau", ("lab03-himmelblau-tests",)
RASTR, RASTR_T = "lab03-rastrigin", ("lab03-rastrigin-tests",)
SGD, SGD_T = "lab03-my-sgd", ("lab03-my-sgd-tests",)
RMS, RMS_T = "lab03-my-rmsprop", ("lab03-my-rmsprop-tests",)
ADAM, ADAM_T = "lab03-my-adam", ("lab03-my-adam-tests",)
SCHED, SCHED_T = "lab03-warmup-cosine-lr", ("lab03-warmup-cosine-lr-tests",)
HINGE, HINGE_T = "lab03-hinge-loss", ("lab03-hinge-loss-tests",)
SVM, SVM_T = "lab03-svm", ("lab03-svm-tests",)
ES, ES_T = "lab03-es-gradient", ("lab03-es-gradient-tests",)

ALTERNATIVES = [
    alternative("himmelblau-unbind", HIMMEL, HIMMEL_T, source='''def himmelblau(x):
    a, b = x.unbind(dim=-1)
    return (a * a + b - 11) ** 2 + (a + b * b - 7) ** 2
''', why="unbind for the two coordinates"),
    alternative("rastrigin-separate-sums", RASTR, RASTR_T, source='''def rastrigin(x):
    return 10 * x.shape[-1] + (x ** 2).sum(-1) - 10 * torch.cos(2 * torch.pi * x).sum(-1)
''', why="the two sums taken separately, torch.pi"),
    alternative("sgd-functional-buffer", SGD, SGD_T, source='''class MySGD(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                if group["momentum"]:
                    state = self.state[p]
                    if "buffer" in state:
                        state["buffer"] = group["momentum"] * state["buffer"] + (1 - group["dampening"]) * g
                    else:
                        state["buffer"] = g.clone()
                    g = g + group["momentum"] * state["buffer"] if group["nesterov"] else state["buffer"]
                p.copy_(p - group["lr"] * g)
''', why="new tensors for the momentum buffer and the step instead of in-place updates"),
    alternative("rmsprop-addcdiv", RMS, RMS_T, source='''class MyRMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if group["weight_decay"] == 0 else p.grad.add(p, alpha=group["weight_decay"])
                v = self.state[p].setdefault("v", torch.zeros_like(p))
                v.mul_(group["alpha"]).add_((1 - group["alpha"]) * g * g)
                p.addcdiv_(g, v.sqrt().add_(group["eps"]), value=-group["lr"])
''', why="setdefault for the state, addcdiv_ for the step"),
    alternative("adam-state-get", ADAM, ADAM_T, source='''class MyAdam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled=decoupled))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                t = state.get("t", 0) + 1
                m = state.get("m", torch.zeros_like(p))
                v = state.get("v", torch.zeros_like(p))
                g = p.grad
                if group["decoupled"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                elif group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                m = beta1 * m + (1 - beta1) * g
                v = beta2 * v + (1 - beta2) * g * g
                state.update(t=t, m=m, v=v)
                step = group["lr"] * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + group["eps"])
                p.sub_(step)
''', why="state read with get and replaced, not updated in place"),
    alternative("schedule-numpy-cos", SCHED, SCHED_T, source='''def warmup_cosine_lr(step, total, base_lr, warmup, min_lr):
    if step < warmup:
        return base_lr * (step + 1) / (warmup + 1)
    return float(min_lr + 0.5 * (base_lr - min_lr) * (1 + np.cos(np.pi * (step - warmup) / (total - warmup))))
''', why="NumPy's cosine, the progress written inline"),
    alternative("hinge-relu", HINGE, HINGE_T, source='''def hinge_loss(scores, y):
    return torch.relu(1 - y * scores).mean()
''', why="max(0, .) as a ReLU"),
    alternative("svm-dot-and-hand-step", SVM, SVM_T,
                replace=(("return hinge_loss(X @ w + b, y) + 0.5 * lam * (w * w).sum()",
                          "return hinge_loss(X @ w + b, y) + lam / 2 * torch.dot(w, w)"),
                         ("    optimiser = torch.optim.SGD([w, b], lr=lr)\n", ""),
                         ("            optimiser.zero_grad()\n            svm_objective(w, b, X[batch], y[batch], lam).backward()\n            optimiser.step()",
                          "            w.grad = b.grad = None\n            svm_objective(w, b, X[batch], y[batch], lam).backward()\n"
                          "            with torch.no_grad():\n                w -= lr * w.grad\n                b -= lr * b.grad")),
                why="the penalty as a dot product, and the SGD step written by hand"),
    alternative("es-mean", ES, ES_T, source='''def es_gradient(f, x, sigma, n, generator):
    eps = torch.randn(n, x.shape[0], generator=generator, dtype=x.dtype)
    weights = (f(x + sigma * eps) - f(x - sigma * eps)) / (2 * sigma)
    return (weights[:, None] * eps).mean(dim=0)
''', why="the mean of the n antithetic estimates"),
]
