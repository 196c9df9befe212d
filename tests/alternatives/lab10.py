"""Correct answers to lab 10 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab10.py)."""

from labs.qa.faults import alternative

GEN, GEN_T = "lab10-generate", ("lab10-generate-tests",)

ALTERNATIVES = [
    alternative("generate-list-of-steps", GEN, GEN_T, source='''def generate(model, prompts, n):
    tokens, new = prompts, []
    with torch.no_grad():
        for _ in range(n):
            step = model(tokens)[:, -1].argmax(-1, keepdim=True)
            new.append(step)
            tokens = torch.cat([tokens, step], dim=1)
    return torch.cat(new, dim=1)
''', why="collects the steps in a list and concatenates them at the end"),
    alternative("generate-decorator-inference-mode", GEN, GEN_T, source='''@torch.inference_mode()
def generate(model, prompts, n):
    out = torch.empty(prompts.shape[0], n, dtype=torch.long)
    tokens = prompts
    for t in range(n):
        out[:, t] = model(tokens)[:, -1].argmax(dim=-1)
        tokens = torch.cat([prompts, out[:, :t + 1]], dim=1)
    return out
''', why="torch.inference_mode() as a decorator, and a preallocated output"),
]
