"""Plausible wrong answers to lab 3. Each must lose the points of the test cells it names."""

from labs.faults import Fault

ROSEN, ROSEN_T = "lab03-rosenbrock", ("lab03-rosenbrock-tests",)
HIMMEL, HIMMEL_T = "lab03-himmelblau", ("lab03-himmelblau-tests",)
RASTR, RASTR_T = "lab03-rastrigin", ("lab03-rastrigin-tests",)
SGD, SGD_T = "lab03-my-sgd", ("lab03-my-sgd-tests",)
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
    # MyAdam
    Fault("adam-no-bias-correction", ADAM, ADAM_T,
          replace=(('m_hat = state["m"] / (1 - beta1 ** t)', 'm_hat = state["m"]'), ('v_hat = state["v"] / (1 - beta2 ** t)', 'v_hat = state["v"]')),
          why="no bias correction"),
    Fault("adam-eps-inside-sqrt", ADAM, ADAM_T, replace=(("(v_hat.sqrt() + eps)", "(v_hat + eps).sqrt()"),), why="eps under the square root"),
    Fault("adam-always-coupled", ADAM, ADAM_T, replace=(("if decoupled:", "if False:"),), why="AdamW behaves like Adam"),
    Fault("adamw-decay-without-lr", ADAM, ADAM_T, replace=(("p.mul_(1 - lr * weight_decay)", "p.mul_(1 - weight_decay)"),),
          why="decoupled decay not scaled by the learning rate"),
    # warmup_cosine_lr
    Fault("warmup-from-zero", SCHED, SCHED_T, replace=(("base_lr * (step + 1) / (warmup + 1)", "base_lr * step / warmup"),),
          why="warm-up starts at 0"),
    Fault("cosine-over-total", SCHED, SCHED_T, replace=(("(step - warmup) / (total - warmup)", "step / total"),),
          why="cosine phase measured from step 0"),
    Fault("cosine-ignores-min-lr", SCHED, SCHED_T, replace=(("min_lr + (base_lr - min_lr) * ", "base_lr * "),), why="decays to 0"),
    Fault("cosine-wrong-sign", SCHED, SCHED_T, replace=(("(1 + math.cos(math.pi * progress))", "(1 - math.cos(math.pi * progress))"),),
          why="rises instead of decaying"),
    # hinge_loss
    Fault("hinge-sum", HINGE, HINGE_T, replace=((".mean()", ".sum()"),), why="sum instead of mean"),
    Fault("hinge-no-clamp", HINGE, HINGE_T, replace=(("torch.clamp(1 - y * scores, min=0)", "(1 - y * scores)"),),
          why="rewards examples beyond the margin"),
    Fault("hinge-no-margin", HINGE, HINGE_T, replace=(("torch.clamp(1 - y * scores", "torch.clamp(-y * scores"),), why="perceptron loss, no margin"),
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
    # es_gradient
    Fault("es-one-sided", ES, ES_T, replace=(("f(x + sigma * eps) - f(x - sigma * eps)", "f(x + sigma * eps) - f(x[None, :])"),),
          why="forward differences with the antithetic normalisation"),
    Fault("es-missing-2", ES, ES_T, replace=(("(2 * sigma * n)", "(sigma * n)"),), why="twice the gradient"),
    Fault("es-sigma-squared", ES, ES_T, replace=(("(2 * sigma * n)", "(2 * sigma ** 2 * n)"),), why="divides by sigma^2"),
    Fault("es-fresh-noise-for-mirror", ES, ES_T,
          replace=(("difference = f(x + sigma * eps) - f(x - sigma * eps)",
                    "eps2 = torch.randn(n, x.shape[0], generator=generator, dtype=x.dtype)\n"
                    "    difference = f(x + sigma * eps) - f(x - sigma * eps2)"),),
          why="the mirrored sample uses different noise"),
]
