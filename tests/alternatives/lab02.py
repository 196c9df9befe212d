"""Correct answers to lab 2 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab02.py)."""

from labs.qa.faults import alternative

DUAL, DUAL_T = "lab02-dual", ("lab02-dual-arithmetic-tests",)
DERIV, DERIV_T = "lab02-derivative", ("lab02-derivative-tests",)
BACKWARD, BACKWARD_T = "lab02-var-backward", ("lab02-var-backward-tests",)
JACOBIAN, JACOBIAN_T = "lab02-jacobian", ("lab02-jacobian-tests",)
HVP, HVP_T = "lab02-hvp", ("lab02-hvp-tests",)
SOFTPLUS, SOFTPLUS_T = "lab02-softplus-function", ("lab02-softplus-function-tests",)
SCORE, SCORE_T = "lab02-score-function-grad", ("lab02-score-function-grad-tests",)

ALTERNATIVES = [
    alternative("dual-sub-by-negation", DUAL, DUAL_T,
                replace=(("        other = Dual._lift(other)\n        return Dual(self.value - other.value, self.deriv - other.deriv)",
                          "        return self + (-Dual._lift(other))"),),
                why="subtraction as adding the negation"),
    alternative("derivative-getattr", DERIV, DERIV_T, source='''def derivative(f, x):
    return getattr(f(Dual(x, 1)), "deriv", 0.0)
''', why="getattr for the constant function's plain number"),
    alternative("backward-iterative-order", BACKWARD, BACKWARD_T, source='''def topological_order(root):
    order, entered, stack = [], set(), [(root, False)]
    while stack:  # depth first without recursion: a node is finished once all its parents are
        node, finished = stack.pop()
        if finished:
            order.append(node)
            continue
        if id(node) in entered:
            continue
        entered.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent, _ in node.parents if id(parent) not in entered)
    return order


def backward(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local in node.parents:
            parent.grad += local * node.grad
''', why="an explicit stack instead of recursion (no recursion limit on long chains)"),
    alternative("jacobian-scalar-rows-dual-columns", JACOBIAN, JACOBIAN_T, source='''import torch.autograd.forward_ad as fwAD


def jacobian_reverse(f, x):
    x = x.detach().requires_grad_(True)
    y = f(x)
    return torch.stack([torch.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(len(y))])


def jacobian_forward(f, x):
    columns = []
    for j in range(len(x)):
        with fwAD.dual_level():
            out = f(fwAD.make_dual(x.detach(), torch.eye(len(x), dtype=x.dtype)[j]))
            columns.append(fwAD.unpack_dual(out).tangent)
    return torch.stack(columns, dim=1)
''', why="rows from each output's own gradient; columns from dual tensors (torch.autograd.forward_ad)"),
    alternative("hvp-grad-outputs", HVP, HVP_T, source='''def hvp(f, x, v):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (product,) = torch.autograd.grad(g, x, grad_outputs=v)
    return product
''', why="v passed as grad_outputs instead of differentiating (g * v).sum()"),
    alternative("softplus-where", SOFTPLUS, SOFTPLUS_T,
                replace=(("        return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))",
                          "        return torch.where(x > 0, x + torch.log1p(torch.exp(-x)), torch.log1p(torch.exp(x)))"),
                         ("        return grad_output * torch.sigmoid(x)", "        return grad_output / (1 + torch.exp(-x))")),
                why="the two stable branches chosen by torch.where; the derivative as 1 / (1 + e^-x)"),
    alternative("score-by-autograd", SCORE, SCORE_T, source='''def score_function_grad(mu, sigma, f, n, generator):
    eps = torch.randn(n, generator=generator, dtype=mu.dtype)
    m = mu.detach().expand(n).clone().requires_grad_(True)
    s = sigma.detach().expand(n).clone().requires_grad_(True)
    z = (m + s * eps).detach()
    log_p = torch.distributions.Normal(m, s).log_prob(z)
    d_mu, d_sigma = torch.autograd.grad(log_p.sum(), (m, s))
    fz = f(z).detach()
    return torch.stack([fz * d_mu, fz * d_sigma], dim=1)
''', why="the score of each sample by autograd through torch.distributions.Normal.log_prob"),
]
