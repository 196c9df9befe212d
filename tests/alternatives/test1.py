"""Correct answers to in-class test 1 in other forms than the model answer: every form `labs.answers` promises to
read (a float for an integer, a tensor or a list for a tuple, a torch.Size for a shape, an expression) must earn the
question's mark."""

from labs.qa.faults import alternative


def _form(name: str, question: str, model: str, other: str, why: str):
    return alternative(name, f"test1-{question}", (f"test1-{question}-tests",), replace=((model, other),), why=why)


ALTERNATIVES = [
    _form("shape-as-size", "broadcast-shape", "q1 = (5, 4, 3)", "q1 = torch.Size([5, 4, 3])", "a torch.Size"),
    _form("shape-as-list", "broadcast-shape", "q1 = (5, 4, 3)", "q1 = [5, 4, 3]", "a list"),
    _form("number-as-float", "view-write", "q2 = 158", "q2 = 158.0", "an integer written as a float"),
    _form("number-as-tensor", "view-write", "q2 = 158", "q2 = torch.tensor(158)", "a 0-d tensor"),
    _form("pair-as-tensor", "uint8", "q3 = (300, 200)", "q3 = torch.tensor([300, 200])", "a tensor for the pair"),
    _form("fractions", "softmax-grad", "q4 = (-0.75, 0.25, 0.5)", "q4 = (-3 / 4, 1 / 4, 1 / 2)", "fractions"),
    _form("letter-capital", "stable-loss", 'q5 = "c"', 'q5 = "C"', "a capital letter"),
    _form("passes-as-list", "jacobian-passes", "q6 = (3, 1000)", "q6 = [3, 1000]", "a list"),
    _form("grad-as-tensor", "grad-accumulation", "q7 = (4.0, -8.0)", "q7 = torch.tensor([4.0, -8.0])", "a tensor"),
    _form("adam-expression", "adam-first-step", "q8 = 0.99", "q8 = 1.0 - 0.01", "an expression"),
    _form("parameters-as-number", "mlp-parameters", "q11 = (784 * 256 + 256) + (256 * 64 + 64) + (64 * 10 + 10)",
          "q11 = 218058", "the number worked out"),
]
