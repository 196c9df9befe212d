"""Correct answers to in-class test 2 in other forms than the model answer: every form `labs.answers` promises to
read (a float for an integer, a number worked out for an expression, a list or a torch.Size for a tuple) must earn the
question's mark."""

from labs.qa.faults import alternative


def _form(name: str, question: str, model: str, other: str, why: str):
    return alternative(name, f"test2-{question}", (f"test2-{question}-tests",), replace=((model, other),), why=why)


ALTERNATIVES = [
    _form("shape-as-size", "conv-shape", "q1 = (1, 16, 15, 15)", "q1 = torch.Size([1, 16, 15, 15])", "a torch.Size"),
    _form("features-worked-out", "flatten-features", "q2 = 16 * 6 * 6", "q2 = 576", "the number worked out"),
    _form("parameters-as-float", "cnn-parameters",
          "q3 = (3 * 32 * 3 * 3 + 32) + 2 * 32 + (32 * 64 * 3 * 3 + 64) + (64 * 10 + 10)", "q3 = 20106.0",
          "the number as a float"),
    _form("field-as-tensor", "receptive-field", "q4 = 8", "q4 = torch.tensor(8)", "a 0-d tensor"),
    _form("option-in-brackets", "frozen-batchnorm", 'q5 = "b"', 'q5 = "(b)"', "the letter as printed, in brackets"),
    _form("perplexity-as-int", "perplexity", "q6 = 4.0", "q6 = 4", "an integer"),
    _form("temperature-softmax", "temperature", "q7 = math.exp(4) / (math.exp(4) + math.exp(2) + 1)",
          "q7 = torch.softmax(torch.tensor([4.0, 2.0, 0.0], dtype=torch.float64), 0)[0].item()", "computed with torch"),
    _form("lstm-worked-out", "lstm-parameters", "q8 = 4 * (64 * 50 + 64 * 64 + 64 + 64)", "q8 = 29696", "the number"),
    _form("generator-loss-log1p", "generator-loss", "q11 = math.log(1 + math.exp(3))", "q11 = math.log1p(math.exp(3))",
          "log1p"),
]
