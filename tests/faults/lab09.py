"""Plausible wrong answers to lab 9. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

GD, GD_T = "lab09-inner-gd", ("lab09-inner-gd-tests",)
CD, CD_T = "lab09-central-difference", ("lab09-central-difference-tests",)
RV, RV_T = "lab09-ridge-validation-loss", ("lab09-ridge-validation-loss-tests",)
LL, LL_T = "lab09-learn-log-lambda", ("lab09-learn-log-lambda-tests",)

FAULTS = [
    # inner_gd
    Fault("gd-no-create-graph", GD, GD_T, replace=(("torch.autograd.grad(loss_fn(w), w, create_graph=True)", "torch.autograd.grad(loss_fn(w), w)"),),
          why="the inner gradients are detached: w_T no longer depends on lambda through them"),
    Fault("gd-detach-each-step", GD, GD_T, replace=(("w = w - lr * grad", "w = (w - lr * grad).detach().requires_grad_()"),),
          why="cuts the graph at every step (truncated backpropagation of length 0)"),
    Fault("gd-ascent", GD, GD_T, replace=(("w = w - lr * grad", "w = w + lr * grad"),), why="steps up the gradient"),
    Fault("gd-one-extra-step", GD, GD_T, replace=(("for _ in range(steps):", "for _ in range(steps + 1):"),), why="off by one: steps + 1 steps"),
    Fault("gd-one-step-short", GD, GD_T, replace=(("for _ in range(steps):", "for _ in range(max(steps - 1, 0)):"),), why="off by one: steps - 1 steps"),
    Fault("gd-always-copies-w0", GD, GD_T, replace=(("w = w0 if w0.requires_grad else w0.clone().requires_grad_()", "w = w0.detach().clone().requires_grad_()"),),
          why="detaches w0 even when it requires a gradient: no gradient reaches w0"),
    Fault("gd-item-lr", GD, GD_T, replace=(("w = w - lr * grad", "w = w - float(lr) * grad"),),
          why="turns the learning rate into a number: no hypergradient for lr"),
    # central_difference
    Fault("cd-forward", CD, CD_T, replace=(("return float((f(x + eps) - f(x - eps)) / (2 * eps))", "return float((f(x + eps) - f(x)) / eps)"),),
          why="the one-sided difference, error O(eps)"),
    Fault("cd-no-two", CD, CD_T, replace=(("/ (2 * eps)", "/ eps"),), why="forgets the 2: twice the derivative"),
    Fault("cd-precedence", CD, CD_T, replace=(("return float((f(x + eps) - f(x - eps)) / (2 * eps))", "return float(f(x + eps) - f(x - eps) / (2 * eps))"),),
          why="operator precedence: only f(x - eps) is divided"),
    Fault("cd-reversed", CD, CD_T, replace=(("(f(x + eps) - f(x - eps))", "(f(x - eps) - f(x + eps))"),), why="the difference the wrong way round"),
    # ridge_validation_loss
    Fault("rv-lam-not-exp", RV, RV_T, replace=(("lam = log_lam.exp()", "lam = log_lam"),), why="uses log(lambda) as lambda"),
    Fault("rv-train-error", RV, RV_T, replace=(("return hp.mean_squared_error(w, problem.X_val, problem.y_val)", "return hp.mean_squared_error(w, problem.X_train, problem.y_train)"),),
          why="measures the training error, not the validation error"),
    Fault("rv-lam-item", RV, RV_T, replace=(("lam = log_lam.exp()", "lam = math.exp(log_lam.item())"),),
          why="turns lambda into a number: the hypergradient with respect to log(lambda) is lost"),
    Fault("rv-closed-form", RV, RV_T, replace=(("w = inner_gd(lambda w: hp.ridge_training_loss(w, problem.X_train, problem.y_train, lam), w0, lr, steps)",
                                                "w = hp.ridge_closed_form(problem.X_train, problem.y_train, lam) + 0 * lr"),),
          why="the exact minimiser instead of the T-step iterate: ignores steps and lr"),
    Fault("rv-ones-start", RV, RV_T, replace=(("w0 = torch.zeros(problem.n_features)", "w0 = torch.ones(problem.n_features)"),), why="starts from ones, not zeros"),
    # learn_log_lambda
    Fault("ll-ascent", LL, LL_T, replace=(("s = (s - outer_lr * grad)", "s = (s + outer_lr * grad)"),), why="climbs the validation loss"),
    Fault("ll-returns-log", LL, LL_T, replace=(("lams = [math.exp(s.item())]", "lams = [s.item()]"), ("lams.append(math.exp(s.item()))", "lams.append(s.item())")),
          why="returns log(lambda), not lambda"),
    Fault("ll-no-start", LL, LL_T, replace=(("lams = [math.exp(s.item())]", "lams = []"),), why="leaves out the starting value"),
    Fault("ll-step-on-lambda", LL, LL_T, replace=(("s = (s - outer_lr * grad).detach().requires_grad_()",
                                                   "s = (s - outer_lr * grad * torch.exp(-s)).detach().requires_grad_()"),),
          why="uses dF/dlambda (the chain rule the wrong way) as the step for log(lambda)"),
    Fault("ll-accumulates", LL, LL_T, source=r'''
def learn_log_lambda(objective, log_lam0, outer_lr, outer_steps):
    s = torch.tensor(float(log_lam0), requires_grad=True)
    lams = [math.exp(s.item())]
    for _ in range(outer_steps):
        objective(s).backward()  # s.grad is never reset: gradients add up over the steps
        with torch.no_grad():
            s -= outer_lr * s.grad
        lams.append(math.exp(s.item()))
    return lams
''', why="backward() without zeroing s.grad: the step uses the sum of all the gradients so far"),
]

IH, IH_T = "lab09-implicit-hypergrad", ("lab09-implicit-hypergrad-tests",)
OJA, OJA_T = "lab09-oja-update", ("lab09-oja-update-tests",)

FAULTS += [
    # implicit_hypergrad
    Fault("ih-sign", IH, IH_T, replace=(("return -torch.linalg.solve(H, grad_val) @ w_star", "return torch.linalg.solve(H, grad_val) @ w_star"),),
          why="drops the minus sign of the implicit function theorem"),
    Fault("ih-no-lambda-in-hessian", IH, IH_T, replace=(("return -torch.linalg.solve(H, grad_val) @ w_star", "return -torch.linalg.solve(X_train.T @ X_train / n, grad_val) @ w_star"),),
          why="solves with X^T X / n, forgetting that the penalty is part of the Hessian"),
    Fault("ih-val-grad-no-two", IH, IH_T, replace=(("grad_val = 2.0 / len(y_val) *", "grad_val = 1.0 / len(y_val) *"),),
          why="differentiates the mean squared error without its factor 2"),
    Fault("ih-skips-solve", IH, IH_T, replace=(("return -torch.linalg.solve(H, grad_val) @ w_star", "return -grad_val @ w_star"),),
          why="takes dw*/dlam = -w* (no H^-1)"),
    Fault("ih-inverse", IH, IH_T, replace=(("return -torch.linalg.solve(H, grad_val) @ w_star", "return -(torch.linalg.inv(H) @ grad_val) @ w_star"),),
          why="forms the inverse Hessian, which the exercise refuses"),
    Fault("ih-autograd", IH, IH_T, source=r'''
def implicit_hypergrad(X_train, y_train, X_val, y_val, lam):
    n, d = X_train.shape
    lam = torch.tensor(lam, requires_grad=True)
    w_star = torch.linalg.solve(X_train.T @ X_train / n + lam * torch.eye(d, dtype=X_train.dtype), X_train.T @ y_train / n)
    (g,) = torch.autograd.grad((X_val @ w_star - y_val).pow(2).mean(), lam)
    return g
''', why="differentiates through the solve with autograd, which the exercise refuses"),
    # oja_update
    Fault("oja-plain-hebb", OJA, OJA_T, replace=(("return w + lr * y * (x - y * w)", "return w + lr * y * x"),),
          why="Hebb's rule without Oja's decay: |w| grows without bound"),
    Fault("oja-decay-sign", OJA, OJA_T, replace=(("return w + lr * y * (x - y * w)", "return w + lr * y * (x + y * w)"),),
          why="the decay term with the wrong sign"),
    Fault("oja-decay-without-y", OJA, OJA_T, replace=(("return w + lr * y * (x - y * w)", "return w + lr * y * (x - w)"),),
          why="decays by y w instead of y^2 w"),
    Fault("oja-in-place", OJA, OJA_T, replace=(("return w + lr * y * (x - y * w)", "return w.add_(lr * y * (x - y * w))"),),
          why="updates the caller's w in place"),
    Fault("oja-decay-x", OJA, OJA_T, replace=(("return w + lr * y * (x - y * w)", "return w + lr * y * (x - y * x)"),),
          why="decays along x instead of w"),
]

GS, GS_T = "lab09-gumbel-softmax", ("lab09-gumbel-softmax-tests",)
SK, SK_T = "lab09-sinkhorn", ("lab09-sinkhorn-tests",)
SS, SS_T = "lab09-soft-sort", ("lab09-soft-sort-tests",)

FAULTS += [
    # gumbel_softmax
    Fault("gs-noise-sign", GS, GS_T, replace=(("gumbels = -torch.log(-torch.log(u))", "gumbels = torch.log(-torch.log(u))"),),
          why="adds the negated Gumbel noise: the argmax no longer follows softmax(logits)"),
    Fault("gs-tau-on-logits-only", GS, GS_T, replace=(("torch.softmax((logits + gumbels) / tau, dim=-1)", "torch.softmax(logits / tau + gumbels, dim=-1)"),),
          why="divides only the logits by the temperature"),
    Fault("gs-uniform-noise", GS, GS_T, replace=(("gumbels = -torch.log(-torch.log(u))", "gumbels = u"),), why="uniform noise instead of Gumbel noise"),
    Fault("gs-hard-no-gradient", GS, GS_T, replace=(("return y_hard - y.detach() + y", "return y_hard"),),
          why="hard samples without straight-through: no gradient at all"),
    Fault("gs-straight-through-reversed", GS, GS_T, replace=(("return y_hard - y.detach() + y", "return y_hard + y.detach() - y"),),
          why="the straight-through trick with the signs swapped: the gradient is negated"),
    Fault("gs-softmax-dim0", GS, GS_T, replace=(("torch.softmax((logits + gumbels) / tau, dim=-1)", "torch.softmax((logits + gumbels) / tau, dim=0)"),),
          why="softmax over the batch dimension"),
    Fault("gs-global-rng", GS, GS_T, replace=(("u = torch.rand(logits.shape, generator=generator, dtype=logits.dtype)", "u = torch.rand(logits.shape, dtype=logits.dtype)"),),
          why="ignores the generator"),
    Fault("gs-calls-torch", GS, GS_T, source=r'''
def gumbel_softmax(logits, tau, hard=False, generator=None):
    return F.gumbel_softmax(logits, tau=tau, hard=hard)
''', why="calls the forbidden torch.nn.functional.gumbel_softmax"),
    # sinkhorn
    Fault("sk-probability-space", SK, SK_T, source=r'''
def sinkhorn(log_alpha, iters):
    A = log_alpha.exp()
    for _ in range(iters):
        A = A / A.sum(dim=-1, keepdim=True)
        A = A / A.sum(dim=-2, keepdim=True)
    return A
''', why="normalises exp(log_alpha) directly: overflows for large scores"),
    Fault("sk-rows-only", SK, SK_T, replace=(("        log_alpha = log_alpha - torch.logsumexp(log_alpha, dim=-2, keepdim=True)\n", ""),),
          why="normalises only the rows"),
    Fault("sk-columns-first", SK, SK_T, replace=(("        log_alpha = log_alpha - torch.logsumexp(log_alpha, dim=-1, keepdim=True)\n        log_alpha = log_alpha - torch.logsumexp(log_alpha, dim=-2, keepdim=True)\n",
                                                  "        log_alpha = log_alpha - torch.logsumexp(log_alpha, dim=-2, keepdim=True)\n        log_alpha = log_alpha - torch.logsumexp(log_alpha, dim=-1, keepdim=True)\n"),),
          why="columns, then rows"),
    Fault("sk-log-space-result", SK, SK_T, replace=(("return log_alpha.exp()", "return log_alpha"),), why="returns the log-matrix"),
    Fault("sk-one-extra", SK, SK_T, replace=(("for _ in range(iters):", "for _ in range(iters + 1):"),), why="one iteration too many"),
    Fault("sk-dims-0-1", SK, SK_T, replace=(("dim=-1, keepdim", "dim=1, keepdim"), ("dim=-2, keepdim", "dim=0, keepdim")),
          why="normalises dimensions 0 and 1: wrong for batches"),
    Fault("sk-calls-labs", SK, SK_T, source=r'''
def sinkhorn(log_alpha, iters):
    import labs.sorting
    return labs.sorting.sinkhorn(log_alpha, iters)
''', why="calls labs.sorting.sinkhorn, which the exercise refuses"),
    # soft_sort
    Fault("ss-descending", SS, SS_T, replace=(("coefficient = (2 * torch.arange(1, n + 1, dtype=x.dtype) - n - 1)", "coefficient = (n + 1 - 2 * torch.arange(1, n + 1, dtype=x.dtype))"),),
          why="NeuralSort's descending order"),
    Fault("ss-no-a-term", SS, SS_T, replace=(("scores = coefficient.unsqueeze(-1) * x.unsqueeze(-2) - a.unsqueeze(-2)", "scores = coefficient.unsqueeze(-1) * x.unsqueeze(-2)"),),
          why="leaves out the sum of absolute differences"),
    Fault("ss-zero-indexed", SS, SS_T, replace=(("coefficient = (2 * torch.arange(1, n + 1, dtype=x.dtype) - n - 1)", "coefficient = (2 * torch.arange(n, dtype=x.dtype) - n - 1)"),),
          why="uses 0-based i in the 1-based formula"),
    Fault("ss-softmax-over-rows", SS, SS_T, replace=(("P = torch.softmax(scores / tau, dim=-1)", "P = torch.softmax(scores / tau, dim=-2)"),),
          why="softmax down the columns instead of along the rows"),
    Fault("ss-tau-multiplies", SS, SS_T, replace=(("P = torch.softmax(scores / tau, dim=-1)", "P = torch.softmax(scores * tau, dim=-1)"),),
          why="multiplies by the temperature"),
    Fault("ss-calls-sort", SS, SS_T, source=r'''
def soft_sort(x, tau):
    return torch.sort(x, dim=-1).values
''', why="the hard sort, which the exercise refuses (and which has no useful gradient)"),
]

OC, OC_T = "lab09-ordering-cost", ("lab09-ordering-cost-tests",)
OP, OP_T = "lab09-optimise-permutation", ("lab09-optimise-permutation-tests", "lab09-sorter-trained-tests")

FAULTS += [
    # ordering_cost
    Fault("oc-sign", OC, OC_T, replace=(("return -(C * before).sum(dim=(-1, -2))", "return (C * before).sum(dim=(-1, -2))"),),
          why="rewards disagreement: the cost with the wrong sign"),
    Fault("oc-with-diagonal", OC, OC_T, replace=(("diagonal=1)", "diagonal=0)"),), why="counts p <= q: an item at the same position as itself"),
    Fault("oc-positions-as-rows", OC, OC_T, replace=(("before = P @ U @ P.transpose(-1, -2)", "before = P.transpose(-1, -2) @ U @ P"),),
          why="reads P with positions as rows"),
    Fault("oc-one-sided", OC, OC_T, replace=(("before = P @ U @ P.transpose(-1, -2)", "before = P @ U"),),
          why="forgets the second item's position"),
    Fault("oc-sums-the-batch", OC, OC_T, replace=(("return -(C * before).sum(dim=(-1, -2))", "return -(C * before).sum()"),),
          why="sums over the batch too: one number instead of one cost per set"),
    # optimise_permutation
    Fault("op-no-create-graph", OP, OP_T, replace=(("(grad,) = torch.autograd.grad(cost, L, create_graph=True)", "(grad,) = torch.autograd.grad(cost, L)"),),
          why="the inner gradients are detached: C is reached only through the last Sinkhorn, not through the steps"),
    Fault("op-ascent", OP, OP_T[:1], replace=(("L = L - lr * grad", "L = L + lr * grad"),), why="climbs the ordering cost: sorts backwards (a trained comparator learns the opposite sign, so only the exercise's own tests see it)"),
    Fault("op-returns-log-scores", OP, OP_T, replace=(("return sinkhorn(L, iters)", "return L"),), why="returns the log-scores, not the permutation"),
    Fault("op-mean-cost", OP, OP_T, replace=(("cost = ordering_cost(sinkhorn(L, iters), C).sum()", "cost = ordering_cost(sinkhorn(L, iters), C).mean()"),),
          why="the mean over the batch: each set's step shrinks with the batch size"),
    Fault("op-one-step-short", OP, OP_T[:1], replace=(("for _ in range(steps):", "for _ in range(max(steps - 1, 0)):"),), why="one inner step too few"),
    Fault("op-random-start", OP, OP_T, replace=(("L = torch.zeros_like(C).requires_grad_()", "L = torch.randn_like(C).requires_grad_()"),),
          why="starts from random log-scores instead of the uniform matrix"),
]
