"""Correct answers to lab 6 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab06.py)."""

from labs.qa.faults import alternative

TOPK, TOPK_T = "lab06-top-k-labels", ("lab06-top-k-labels-tests",)
FREEZE, FREEZE_T = "lab06-freeze", ("lab06-freeze-tests",)
HEAD, HEAD_T = "lab06-replace-classifier", ("lab06-replace-classifier-tests",)
NN, NN_T = "lab06-nearest-neighbours", ("lab06-nearest-neighbours-tests",)

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
    alternative("freeze-requires-grad", FREEZE, FREEZE_T, source='''def freeze(module):
    return module.requires_grad_(False)
''', why="Module.requires_grad_, which returns the module"),
    alternative("head-device-argument", HEAD, HEAD_T, source='''def replace_classifier(model, n_classes):
    model._fc = nn.Linear(model._fc.in_features, n_classes, device=model._fc.weight.device)
    return model
''', why="the device given to the new layer's constructor"),
    alternative("neighbours-normalize-argsort", NN, NN_T, source='''def nearest_neighbours(features, query, k):
    gallery = F.normalize(features, dim=1)
    queries = F.normalize(query.reshape(-1, features.shape[1]), dim=1)
    order = torch.argsort(queries @ gallery.T, dim=1, descending=True)[:, :k]
    return order[0] if query.dim() == 1 else order
''', why="F.normalize and argsort"),
]
