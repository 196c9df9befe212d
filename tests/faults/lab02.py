"""Plausible wrong answers to lab 2. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

DUAL = "lab02-dual"
ARITH = "lab02-dual-arithmetic-tests"
POWER = "lab02-dual-power-tests"
FUNCS = "lab02-dual-functions"
FUNCS_T = ("lab02-dual-functions-tests",)
DERIV = "lab02-derivative"
DERIV_T = ("lab02-derivative-tests",)
VAROPS = "lab02-var-ops"
VAROPS_T = ("lab02-var-ops-tests",)
BACKWARD = "lab02-var-backward"
BACKWARD_T = ("lab02-var-backward-tests",)
JACOBIAN = "lab02-jacobian"
JACOBIAN_T = ("lab02-jacobian-tests",)
HVP = "lab02-hvp"
HVP_T = ("lab02-hvp-tests",)
SOFTPLUS = "lab02-softplus-function"
SOFTPLUS_T = ("lab02-softplus-function-tests",)
NEWTON = "lab02-newton-sqrt"
NEWTON_T = ("lab02-newton-sqrt-tests",)
PATHWISE = "lab02-pathwise-grad"
PATHWISE_T = ("lab02-pathwise-grad-tests",)
SCORE = "lab02-score-function-grad"
SCORE_T = ("lab02-score-function-grad-tests",)

FAULTS = [
    # Dual arithmetic and powers
    Fault("dual-rsub-order", DUAL, (ARITH,), replace=(("return Dual._lift(other) - self", "return self - Dual._lift(other)"),),
          why="10 - x computed as x - 10"),
    Fault("dual-product-rule-half", DUAL, (ARITH,),
          replace=(("self.deriv * other.value + self.value * other.deriv", "self.deriv * other.value"),),
          why="product rule with one term"),
    Fault("dual-quotient-rule-sign", DUAL, (ARITH,),
          replace=(("(self.deriv * other.value - self.value * other.deriv)", "(self.deriv * other.value + self.value * other.deriv)"),),
          why="quotient rule with + instead of -"),
    Fault("dual-power-missing-minus-one", DUAL, (POWER,),
          replace=(("other * self.value ** (other - 1) * self.deriv", "other * self.value ** other * self.deriv"),),
          why="p u^p u' instead of p u^(p-1) u'"),
    Fault("dual-rpow-no-log", DUAL, (POWER,), replace=(("value * math.log(other) * self.deriv", "value * self.deriv"),),
          why="d/dx a^x taken as a^x"),
    Fault("dual-pow-general-formula-only", DUAL, (POWER,),
          replace=(("if isinstance(other, Dual):", "other = Dual._lift(other)\n        if True:"),),
          why="u^v formula for every exponent: fails for negative bases"),
    # Elementary functions
    Fault("cos-derivative-sign", FUNCS, FUNCS_T, replace=(("-math.sin(x.value) * x.deriv", "math.sin(x.value) * x.deriv"),),
          why="d cos = +sin"),
    Fault("tan-derivative-not-squared", FUNCS, FUNCS_T,
          replace=(("x.deriv / math.cos(x.value) ** 2", "x.deriv / math.cos(x.value)"),), why="1/cos instead of 1/cos^2"),
    Fault("log-no-chain-rule", FUNCS, FUNCS_T, replace=(("x.deriv / x.value", "1 / x.value"),),
          why="forgets to multiply by the inner derivative"),
    Fault("exp-no-chain-rule", FUNCS, FUNCS_T, replace=(("return Dual(value, value * x.deriv)", "return Dual(value, value)"),),
          why="forgets to multiply by the inner derivative"),
    # derivative
    Fault("derivative-seed-zero", DERIV, DERIV_T, replace=(("Dual(x, 1.0)", "Dual(x, 0.0)"),), why="seeds the derivative with 0"),
    Fault("derivative-returns-value", DERIV, DERIV_T,
          replace=(("return result.deriv if isinstance(result, Dual)", "return result.value if isinstance(result, Dual)"),),
          why="returns f(x)"),
    Fault("derivative-constant-crashes", DERIV, DERIV_T, source="def derivative(f, x):\n    return f(Dual(x, 1.0)).deriv\n",
          why="a constant function returns a float, which has no .deriv"),
    Fault("derivative-returns-dual", DERIV, DERIV_T,
          replace=(("return result.deriv if isinstance(result, Dual)", "return result if isinstance(result, Dual)"),),
          why="returns the whole dual number"),
    # Var operations
    Fault("var-mul-swapped-locals", VAROPS, VAROPS_T,
          replace=(("((self, other.value), (other, self.value))", "((self, self.value), (other, other.value))"),),
          why="d(ab)/da taken as a"),
    Fault("var-div-sign", VAROPS, VAROPS_T, replace=(("-self.value / other.value ** 2", "self.value / other.value ** 2"),),
          why="d(a/b)/db without the minus"),
    Fault("var-pow-missing-minus-one", VAROPS, VAROPS_T,
          replace=(("exponent * self.value ** (exponent - 1)", "exponent * self.value ** exponent"),), why="power rule off by one"),
    Fault("var-tanh-derivative", VAROPS, VAROPS_T, replace=(("1.0 - value ** 2", "1.0 - value"),), why="1 - tanh instead of 1 - tanh^2"),
    Fault("var-log-derivative", VAROPS, VAROPS_T, replace=(("((self, 1.0 / self.value),)", "((self, math.log(self.value)),)"),),
          why="local derivative of log taken as log"),
    # backward
    Fault("backward-no-seed", BACKWARD, BACKWARD_T, replace=(("root.grad = 1.0\n    ", ""),),
          why="forgets d root / d root = 1"),
    Fault("backward-overwrites", BACKWARD, BACKWARD_T,
          replace=(("parent.grad += node.grad * local", "parent.grad = node.grad * local"),), why="no accumulation for reused values"),
    Fault("backward-forward-order", BACKWARD, BACKWARD_T,
          replace=(("reversed(topological_order(root))", "topological_order(root)"),), why="sweeps from the leaves"),
    Fault("topological-order-repeats-nodes", BACKWARD, BACKWARD_T, replace=(("if id(node) in visited:", "if False:"),),
          why="shared nodes are listed (and processed) more than once"),
    # jacobian_reverse / jacobian_forward
    Fault("jacobian-reverse-stacks-columns", JACOBIAN, JACOBIAN_T,
          replace=(("return torch.stack(rows).detach()", "return torch.stack(rows, dim=1).detach()"),),
          why="the VJPs e_i^T J stacked as columns: the transpose"),
    Fault("jacobian-forward-stacks-rows", JACOBIAN, JACOBIAN_T,
          replace=(("torch.stack(columns, dim=1)", "torch.stack(columns)"),), why="the JVPs J e_j stacked as rows: the transpose"),
    Fault("jacobian-reverse-no-retain-graph", JACOBIAN, JACOBIAN_T,
          replace=((", retain_graph=True)", ")"),), why="the first backward frees the graph the other rows need"),
    Fault("jacobian-reverse-ones-cotangent", JACOBIAN, JACOBIAN_T,
          replace=(("grad_outputs=e,", "grad_outputs=torch.ones_like(y),"),), why="every row is 1^T J, the sum of the rows"),
    Fault("jacobian-reverse-recomputes-f", JACOBIAN, JACOBIAN_T,
          replace=(("torch.autograd.grad(y, x, grad_outputs=e, retain_graph=True)", "torch.autograd.grad(f(x), x, grad_outputs=e)"),),
          why="one forward pass per row instead of one in all"),
    Fault("jacobian-forward-by-reverse", JACOBIAN, JACOBIAN_T,
          replace=(("def jacobian_forward(f, x: torch.Tensor) -> torch.Tensor:\n",
                    "def jacobian_forward(f, x: torch.Tensor) -> torch.Tensor:\n    return jacobian_reverse(f, x)\n"),),
          why="forward mode computed by reverse mode (fails for a function with a forward-mode rule only)"),
    Fault("jacobian-delegates-jacrev-jacfwd", JACOBIAN, JACOBIAN_T,
          source="from torch.func import jacrev, jacfwd\n\n"
                 "def jacobian_reverse(f, x):\n    return jacrev(f)(x.detach())\n\n"
                 "def jacobian_forward(f, x):\n    return jacfwd(f)(x.detach())\n",
          why="calls the forbidden torch.func.jacrev / jacfwd (imported under their own names)"),
    Fault("jacobian-delegates-autograd-functional", JACOBIAN, JACOBIAN_T,
          source="import torch.autograd.functional as AF\n\n"
                 "def jacobian_reverse(f, x):\n    return AF.jacobian(f, x.detach())\n\n"
                 "def jacobian_forward(f, x):\n    return AF.jacobian(f, x.detach(), strategy='forward-mode', vectorize=True)\n",
          why="calls the forbidden torch.autograd.functional.jacobian (through a module alias)"),
    # hvp
    Fault("hvp-ignores-v", HVP, HVP_T, replace=(("(grad * v).sum()", "grad.sum()"),), why="computes H 1 instead of H v"),
    Fault("hvp-returns-grad-times-v", HVP, HVP_T,
          source="def hvp(f, x, v):\n"
                 "    x = x.detach().requires_grad_(True)\n"
                 "    (grad,) = torch.autograd.grad(f(x), x)\n"
                 "    return (grad * v).detach()\n",
          why="gradient times v, one backward only"),
    Fault("hvp-no-create-graph", HVP, HVP_T, replace=(("create_graph=True", "create_graph=False"),),
          why="the gradient is not recorded, so it cannot be differentiated"),
    Fault("hvp-delegates-autograd-functional", HVP, HVP_T,
          source="def hvp(f, x, v):\n    return torch.autograd.functional.hvp(f, x, v)[1]\n",
          why="calls the forbidden torch.autograd.functional.hvp"),
    Fault("hvp-delegates-func-hessian", HVP, HVP_T,
          source="from torch.func import hessian as full_hessian\n\n"
                 "def hvp(f, x, v):\n"
                 "    n = x.numel()\n"
                 "    return (full_hessian(f)(x).reshape(n, n) @ v.reshape(n)).reshape(x.shape)\n",
          why="builds the whole Hessian with the forbidden torch.func.hessian (imported under another name)"),
    Fault("hvp-forward-over-reverse-func", HVP, HVP_T,
          source="def hvp(f, x, v):\n    return torch.func.jvp(torch.func.grad(f), (x,), (v,))[1]\n",
          why="forward over reverse with the forbidden torch.func.jvp and torch.func.grad"),
    # Softplus
    Fault("softplus-naive-forward", SOFTPLUS, SOFTPLUS_T,
          replace=(("x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))", "torch.log1p(torch.exp(x))"),), why="overflows for large x"),
    Fault("softplus-backward-ignores-upstream", SOFTPLUS, SOFTPLUS_T,
          replace=(("return grad_output * torch.sigmoid(x)", "return torch.sigmoid(x)"),), why="drops grad_output"),
    Fault("softplus-backward-wrong-derivative", SOFTPLUS, SOFTPLUS_T,
          replace=(("grad_output * torch.sigmoid(x)", "grad_output * torch.exp(x)"),), why="d softplus = e^x"),
    Fault("softplus-missing-max-term", SOFTPLUS, SOFTPLUS_T,
          replace=(("x.clamp_min(0) + torch.log1p", "torch.log1p"),), why="drops max(x, 0) from the stable form"),
    Fault("softplus-delegates-functional", SOFTPLUS, SOFTPLUS_T,
          replace=(("return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))", "return F.softplus(x)"),),
          why="calls the forbidden F.softplus"),
    Fault("softplus-delegates-module", SOFTPLUS, SOFTPLUS_T,
          replace=(("return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))", "return torch.nn.Softplus()(x)"),),
          why="nn.Softplus, which calls the forbidden F.softplus"),
    # newton_sqrt
    Fault("newton-detached-iterate", NEWTON, NEWTON_T, replace=(("x = 0.5 * (x + a / x)", "x = (0.5 * (x + a / x)).detach()"),),
          why="cuts the graph inside the loop"),
    Fault("newton-missing-half", NEWTON, NEWTON_T, replace=(("0.5 * (x + a / x)", "(x + a / x)"),), why="wrong update"),
    Fault("newton-ignores-steps", NEWTON, NEWTON_T, replace=(("range(steps)", "range(5)"),), why="fixed number of iterations"),
    Fault("newton-detached-start", NEWTON, NEWTON_T,
          replace=(("torch.maximum(a, torch.ones_like(a))", "torch.maximum(a, torch.ones_like(a)).detach()"),),
          why="the start point's dependence on a is lost (wrong before convergence)"),
    Fault("newton-delegates-sqrt", NEWTON, NEWTON_T, source="def newton_sqrt(a, steps=30):\n    return torch.sqrt(a)\n",
          why="calls the forbidden torch.sqrt"),
    Fault("newton-power-half", NEWTON, NEWTON_T, source="def newton_sqrt(a, steps=30):\n    return a ** 0.5\n",
          why="the forbidden ** operator"),
    Fault("newton-method-sqrt", NEWTON, NEWTON_T,
          replace=(("    return x\n", "    return a.sqrt() + 0 * x\n"),), why="runs the loop, then returns the forbidden a.sqrt()"),
    Fault("newton-exp-log", NEWTON, NEWTON_T, source="def newton_sqrt(a, steps=30):\n    return torch.exp(0.5 * torch.log(a))\n",
          why="a square root through the forbidden exp and log"),
    # pathwise
    Fault("pathwise-no-eps-for-sigma", PATHWISE, PATHWISE_T, replace=(("torch.stack([df, df * eps], dim=1)", "torch.stack([df, df], dim=1)"),),
          why="dz/dsigma taken as 1"),
    Fault("pathwise-z-instead-of-eps", PATHWISE, PATHWISE_T, replace=(("df * eps", "df * z"),), why="dz/dsigma taken as z"),
    Fault("pathwise-fresh-noise", PATHWISE, PATHWISE_T,
          replace=(("return torch.stack([df, df * eps], dim=1).detach()",
                    "eps2 = torch.randn(n, generator=generator, dtype=mu.dtype)\n    return torch.stack([df, df * eps2], dim=1).detach()"),),
          why="the sigma column uses noise that did not produce z"),
    Fault("pathwise-returns-mean", PATHWISE, PATHWISE_T,
          replace=(("return torch.stack([df, df * eps], dim=1).detach()", "return torch.stack([df, df * eps], dim=1).detach().mean(0)"),),
          why="returns the average instead of the n single-sample estimates"),
    # score function
    Fault("score-mu-sigma-not-squared", SCORE, SCORE_T, replace=(("(z - mu) / sigma ** 2", "(z - mu) / sigma"),),
          why="d log p / d mu = (z - mu) / sigma"),
    Fault("score-sigma-missing-term", SCORE, SCORE_T,
          replace=(("((z - mu) ** 2 - sigma ** 2) / sigma ** 3", "(z - mu) ** 2 / sigma ** 3"),),
          why="forgets the -1/sigma from the normalising constant"),
    Fault("score-forgets-f", SCORE, SCORE_T, replace=(("fz * score_mu", "score_mu"),), why="the mu column is the bare score"),
    Fault("score-standard-noise-as-sample", SCORE, SCORE_T, replace=(("z = mu + sigma * eps", "z = eps"),),
          why="evaluates f at the noise, not at the sample"),
]
