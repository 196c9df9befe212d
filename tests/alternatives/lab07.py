"""Correct answers to lab 7 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab07.py)."""

from labs.qa.faults import alternative

PCA, PCA_T = "lab07-pca-project", ("lab07-pca-project-tests",)
VOCAB, VOCAB_T = "lab07-build-vocab", ("lab07-build-vocab-tests",)
COUNTS, COUNTS_T = "lab07-bigram-counts", ("lab07-bigram-counts-tests",)
TRANS, TRANS_T = "lab07-transition-matrix", ("lab07-transition-matrix-tests",)
PPL, PPL_T = "lab07-perplexity", ("lab07-perplexity-tests",)
SIM, SIM_T = "lab07-most-similar", ("lab07-most-similar-tests",)
PAD, PAD_T = "lab07-pad-sequences", ("lab07-pad-sequences-tests",)

ALTERNATIVES = [
    alternative("pca-in-float32", PCA, PCA_T, replace=(("centred = X - X.mean(dim=0, keepdim=True)", "X = X.float()\n    centred = X - X.mean(dim=0, keepdim=True)"),),
                why="computes in float32 whatever the data's dtype (the exercise names none)"),
    alternative("pca-by-eigh", PCA, PCA_T, replace=(("    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)\n    return centred @ Vh[:k].T",
                                                     "    _, vectors = torch.linalg.eigh(centred.T @ centred)\n    return centred @ vectors[:, -k:].flip(1)"),),
                why="eigenvectors of the scatter matrix instead of the SVD"),
    alternative("pca-u-times-s", PCA, PCA_T, replace=(("    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)\n    return centred @ Vh[:k].T",
                                                       "    U, S, _ = torch.linalg.svd(centred, full_matrices=False)\n    return U[:, :k] * S[:k]"),),
                why="the scores as U S rather than X V"),
    alternative("vocab-zip", VOCAB, VOCAB_T, source='''def build_vocab(text):
    chars = sorted(set(text))
    return chars, dict(zip(chars, range(len(chars))))
''', why="the index by zip"),
    alternative("counts-index-put", COUNTS, COUNTS_T, source='''def bigram_counts(ids, vocab_size):
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.long)
    counts.index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1, dtype=torch.long), accumulate=True)
    return counts
''', why="index_put_ with accumulate instead of bincount"),
    alternative("transition-l1-normalize", TRANS, TRANS_T, source='''def transition_matrix(counts, alpha=1.0):
    return F.normalize(counts.to(torch.float64) + alpha, p=1, dim=1)
''', why="F.normalize with the L1 norm"),
    alternative("perplexity-pair-index", PPL, PPL_T, source='''def perplexity(model_or_probs, ids):
    if torch.is_tensor(model_or_probs):
        log_p = model_or_probs[ids[:-1], ids[1:]].log()
    else:
        with torch.no_grad():
            logits = model_or_probs(ids[None, :-1])[0][0]
        log_p = (logits - logits.logsumexp(dim=-1, keepdim=True)).gather(1, ids[1:, None])[:, 0]
    return math.exp(-log_p.mean().item())
''', why="the probabilities of the observed pairs by fancy indexing; log-softmax by logsumexp"),
    alternative("similar-normalize-argsort", SIM, SIM_T, source='''def most_similar(word, k=10, words=glove_words, vectors=glove):
    unit = F.normalize(vectors, dim=1)
    i = words.index(word)
    scores = unit @ unit[i]
    order = [j for j in torch.argsort(scores, descending=True).tolist()[:k + 1] if j != i][:k]
    return [(words[j], scores[j].item()) for j in order]
''', why="F.normalize, argsort, and the word itself skipped in Python"),
    alternative("pad-cat-stack", PAD, PAD_T, source='''def pad_sequences(seqs, pad_value=0):
    longest = max(len(s) for s in seqs)
    rows = [torch.cat([s, s.new_full((longest - len(s),), pad_value)]) for s in seqs]
    return torch.stack(rows), torch.tensor([len(s) for s in seqs])
''', why="each row padded by torch.cat, then stacked"),
]
