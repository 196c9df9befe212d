"""Correct answers to lab 6 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab06.py)."""

from labs.qa.faults import alternative

TOPK, TOPK_T = "lab06-top-k-labels", ("lab06-top-k-labels-tests",)

ALTERNATIVES = [
    alternative("topk-decorator-and-sort", TOPK, TOPK_T, source='''@torch.no_grad()
def top_k_labels(model, image, k=5):
    model.eval()
    logits = model(image.to(next(model.parameters()).device))
    probabilities = F.softmax(logits.squeeze(0), dim=-1).cpu()
    order = torch.argsort(probabilities, descending=True)[:k]
    names = imagenet_classes()
    return [(names[int(i)], probabilities[i].item()) for i in order]
''', why="torch.no_grad() as a decorator, argsort instead of topk, .item() for the floats"),
]
