"""Correct answers to lab 7 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab07.py)."""

from labs.qa.faults import alternative

PCA, PCA_T = "lab07-pca-project", ("lab07-pca-project-tests",)

ALTERNATIVES = [
    alternative("pca-in-float32", PCA, PCA_T, replace=(("centred = X - X.mean(dim=0, keepdim=True)", "X = X.float()\n    centred = X - X.mean(dim=0, keepdim=True)"),),
                why="computes in float32 whatever the data's dtype (the exercise names none)"),
    alternative("pca-by-eigh", PCA, PCA_T, replace=(("    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)\n    return centred @ Vh[:k].T",
                                                     "    _, vectors = torch.linalg.eigh(centred.T @ centred)\n    return centred @ vectors[:, -k:].flip(1)"),),
                why="eigenvectors of the scatter matrix instead of the SVD"),
    alternative("pca-u-times-s", PCA, PCA_T, replace=(("    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)\n    return centred @ Vh[:k].T",
                                                       "    U, S, _ = torch.linalg.svd(centred, full_matrices=False)\n    return U[:, :k] * S[:k]"),),
                why="the scores as U S rather than X V"),
]
