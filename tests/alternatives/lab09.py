"""Correct answers to lab 9 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab09.py)."""

from labs.qa.faults import alternative

GS, GS_T = "lab09-gumbel-softmax", ("lab09-gumbel-softmax-tests",)
GD, GD_T = "lab09-inner-gd", ("lab09-inner-gd-tests",)
LL, LL_T = "lab09-learn-log-lambda", ("lab09-learn-log-lambda-tests",)
IH, IH_T = "lab09-implicit-hypergrad", ("lab09-implicit-hypergrad-tests",)
OJA, OJA_T = "lab09-oja-update", ("lab09-oja-update-tests",)
SK, SK_T = "lab09-sinkhorn", ("lab09-sinkhorn-tests",)
SS, SS_T = "lab09-soft-sort", ("lab09-soft-sort-tests",)
OC, OC_T = "lab09-ordering-cost", ("lab09-ordering-cost-tests",)

ALTERNATIVES = [
    alternative("gs-straight-through-other-order", GS, GS_T, replace=(("return y_hard - y.detach() + y", "return y_hard + y - y.detach()"),),
                why="the straight-through sum in another order (one rounding away from one-hot)"),
    alternative("gs-eps-guard", GS, GS_T, replace=(("gumbels = -torch.log(-torch.log(u))", "gumbels = -torch.log(-torch.log(u + 1e-10) + 1e-10)"),),
                why="the common guard against log(0)"),
    alternative("gs-one-hot", GS, GS_T, replace=(("y_hard = torch.zeros_like(y).scatter_(-1, y.argmax(dim=-1, keepdim=True), 1.0)",
                                                  "y_hard = F.one_hot(y.argmax(dim=-1), y.shape[-1]).to(y.dtype)"),),
                why="F.one_hot instead of scatter"),
    alternative("gd-requires-grad-copy", GD, GD_T, source='''def inner_gd(loss_fn, w0, lr, steps):
    w = w0 if w0.requires_grad else w0.detach().requires_grad_(True)
    for _ in range(steps):
        w = w - lr * torch.autograd.grad(loss_fn(w), w, create_graph=True)[0]
    return w
''', why="detach().requires_grad_() for a start without gradient, the step in one line"),
    alternative("ll-no-grad-step", LL, LL_T, source='''def learn_log_lambda(objective, log_lam0, outer_lr, outer_steps):
    s = torch.tensor(float(log_lam0), requires_grad=True)
    lams = [math.exp(float(s))]
    for _ in range(outer_steps):
        s.grad = None
        objective(s).backward()
        with torch.no_grad():
            s -= outer_lr * s.grad
        lams.append(math.exp(float(s)))
    return lams
''', why="backward() and an in-place step under no_grad, the gradient reset each step"),
    alternative("implicit-adjoint", IH, IH_T, source='''def implicit_hypergrad(X_train, y_train, X_val, y_val, lam):
    n, d = X_train.shape
    H = X_train.T @ X_train / n + lam * torch.eye(d, dtype=X_train.dtype)
    w = torch.linalg.solve(H, X_train.T @ y_train / n)
    g = 2 * X_val.T @ (X_val @ w - y_val) / X_val.shape[0]
    return -(w * torch.linalg.solve(H, g)).sum()
''', why="the adjoint vector H^-1 g, then a sum of products for the dot product"),
    alternative("oja-expanded", OJA, OJA_T, source='''def oja_update(w, x, lr):
    y = torch.dot(w, x)
    return w + lr * (y * x - y ** 2 * w)
''', why="the update multiplied out"),
    alternative("sinkhorn-subtract-twice", SK, SK_T, source='''def sinkhorn(log_alpha, iters):
    for _ in range(iters):
        log_alpha = log_alpha - log_alpha.logsumexp(dim=-1, keepdim=True)
        log_alpha = log_alpha - log_alpha.logsumexp(dim=-2, keepdim=True)
    return torch.exp(log_alpha)
''', why="the tensor method logsumexp"),
    alternative("soft-sort-cdist", SS, SS_T, source='''def soft_sort(x, tau):
    n = x.shape[-1]
    a = (x[..., :, None] - x[..., None, :]).abs().sum(-1)
    i = torch.arange(1, n + 1, dtype=x.dtype)
    P = torch.softmax(((n + 1 - 2 * i)[:, None] * -x[..., None, :] - a[..., None, :]) / tau, dim=-1)
    return torch.einsum("...ij,...j->...i", P, x)
''', why="the coefficients written as -(n + 1 - 2i), and einsum for the product"),
    alternative("ordering-cost-loops", OC, OC_T, source='''def ordering_cost(P, C):
    n = P.shape[-1]
    mask = torch.ones(n, n, dtype=torch.bool).triu(1)
    before = torch.einsum("...ip,pq,...jq->...ij", P, mask.to(P.dtype), P)
    return -(C * before).sum((-2, -1))
''', why="the product P U P^T by einsum, the triangle as a boolean mask"),
]
