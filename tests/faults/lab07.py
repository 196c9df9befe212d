"""Plausible wrong answers to lab 7. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

VOCAB, VOCAB_T = "lab07-build-vocab", ("lab07-build-vocab-tests",)
COUNTS, COUNTS_T = "lab07-bigram-counts", ("lab07-bigram-counts-tests",)
TRANS, TRANS_T = "lab07-transition-matrix", ("lab07-transition-matrix-tests",)
SAMPLE, SAMPLE_T = "lab07-sample-markov", ("lab07-sample-markov-tests",)
PPL, PPL_T = "lab07-perplexity", ("lab07-perplexity-tests",)
TEMP, TEMP_T = "lab07-sample-with-temperature", ("lab07-sample-with-temperature-tests",)
LSTM, LSTM_T = "lab07-char-lstm", ("lab07-char-lstm-tests",)
TRAIN, TRAIN_T = "lab07-train-char-lstm", ("lab07-train-char-lstm-tests",)

FAULTS = [
    # build_vocab
    Fault("vocab-unsorted-set", VOCAB, VOCAB_T, replace=(("chars = sorted(set(text))", "chars = list(set(text))"),),
          why="a set has no fixed order"),
    Fault("vocab-first-appearance", VOCAB, VOCAB_T, replace=(("chars = sorted(set(text))", "chars = list(dict.fromkeys(text))"),),
          why="order of first appearance, not sorted"),
    Fault("vocab-ids-from-one", VOCAB, VOCAB_T, replace=(("index = {c: i for i, c in enumerate(chars)}", "index = {c: i + 1 for i, c in enumerate(chars)}"),),
          why="ids start at 1"),
    Fault("vocab-duplicates", VOCAB, VOCAB_T, replace=(("chars = sorted(set(text))", "chars = sorted(text)"),),
          why="keeps repeated characters"),
    # bigram_counts
    Fault("counts-transposed", COUNTS, COUNTS_T, replace=(("pairs = ids[:-1] * vocab_size + ids[1:]", "pairs = ids[1:] * vocab_size + ids[:-1]"),),
          why="C[next, current]"),
    Fault("counts-skip-one", COUNTS, COUNTS_T, replace=(("pairs = ids[:-1] * vocab_size + ids[1:]", "pairs = ids[:-2] * vocab_size + ids[2:]"),),
          why="off by one: pairs two apart"),
    Fault("counts-wrap-around", COUNTS, COUNTS_T, replace=(("pairs = ids[:-1] * vocab_size + ids[1:]", "pairs = ids * vocab_size + ids.roll(-1)"),),
          why="counts a pair from the last id back to the first"),
    Fault("counts-self-pairs", COUNTS, COUNTS_T, replace=(("pairs = ids[:-1] * vocab_size + ids[1:]", "pairs = ids[1:] * vocab_size + ids[1:]"),),
          why="pairs each id with itself"),
    # transition_matrix
    Fault("transition-column-normalised", TRANS, TRANS_T, replace=(("smoothed.sum(dim=1, keepdim=True)", "smoothed.sum(dim=0, keepdim=True)"),),
          why="columns sum to 1 instead of rows"),
    Fault("transition-alpha-once", TRANS, TRANS_T,
          replace=(("return smoothed / smoothed.sum(dim=1, keepdim=True)", "return smoothed / (counts.double().sum(dim=1, keepdim=True) + alpha)"),),
          why="adds alpha once to the denominator, not V times"),
    Fault("transition-no-smoothing", TRANS, TRANS_T, replace=(("smoothed = counts.double() + alpha", "smoothed = counts.double()"),),
          why="ignores alpha"),
    # sample_markov
    Fault("markov-column", SAMPLE, SAMPLE_T, replace=(("P[ids[-1]]", "P[:, ids[-1]]"),), why="draws from a column"),
    Fault("markov-greedy", SAMPLE, SAMPLE_T, replace=(("int(torch.multinomial(P[ids[-1]], 1, generator=generator))", "int(P[ids[-1]].argmax())"),),
          why="always the most likely next id"),
    Fault("markov-from-start", SAMPLE, SAMPLE_T, replace=(("P[ids[-1]]", "P[start]"),), why="every draw from the start's row"),
    Fault("markov-one-too-many", SAMPLE, SAMPLE_T, replace=(("range(length - 1)", "range(length)"),), why="length + 1 ids"),
    # perplexity
    Fault("perplexity-calls-nll-loss", PPL, PPL_T, replace=(("nll = -log_probs.gather(1, ids[1:, None]).mean()", "nll = F.nll_loss(log_probs, ids[1:])"),),
          why="calls the forbidden F.nll_loss"),
    Fault("perplexity-cross-entropy", PPL, PPL_T,
          source='''def perplexity(model_or_probs, ids):
    if isinstance(model_or_probs, torch.Tensor):
        logits = model_or_probs[ids[:-1]].log()
    else:
        with torch.no_grad():
            logits = model_or_probs(ids[None, :-1])[0][0]
    return float(torch.exp(F.cross_entropy(logits, ids[1:])))
''', why="calls the forbidden F.cross_entropy"),
    Fault("perplexity-mean-probability", PPL, PPL_T,
          replace=(("    nll = -log_probs.gather(1, ids[1:, None]).mean()\n    return float(torch.exp(nll))",
                    "    return float(1 / log_probs.gather(1, ids[1:, None]).exp().mean())"),),
          why="averages probabilities instead of log-probabilities"),
    Fault("perplexity-base-two", PPL, PPL_T, replace=(("return float(torch.exp(nll))", "return float(2 ** nll)"),),
          why="natural log, then 2 to the power"),
    Fault("perplexity-unshifted", PPL, PPL_T, replace=(("ids[1:, None]", "ids[:-1, None]"),), why="scores the current character, not the next"),
    Fault("perplexity-logits-as-log-probs", PPL, PPL_T, replace=(("log_probs = torch.log_softmax(logits[0], dim=-1)", "log_probs = logits[0]"),),
          why="treats logits as log-probabilities"),
    # sample_with_temperature
    Fault("temperature-multiplies", TEMP, TEMP_T, replace=(("logits / temperature", "logits * temperature"),), why="multiplies by T"),
    Fault("temperature-no-greedy-limit", TEMP, TEMP_T,
          replace=(("    if temperature == 0:\n        return logits.argmax(dim=-1)\n", ""),), why="divides by zero at T = 0"),
    Fault("temperature-softmax-first-dim", TEMP, TEMP_T, replace=(("torch.softmax(logits / temperature, dim=-1)", "torch.softmax(logits / temperature, dim=0)"),),
          why="softmax over the wrong dimension"),
    Fault("temperature-global-rng", TEMP, TEMP_T, replace=(("torch.multinomial(flat, 1, generator=generator)", "torch.multinomial(flat, 1)"),),
          why="ignores the generator"),
    Fault("temperature-always-greedy", TEMP, TEMP_T,
          replace=(("    if temperature == 0:\n", "    if temperature <= 1:\n"),), why="greedy whenever T <= 1"),
    # CharLSTM
    Fault("lstm-not-batch-first", LSTM, LSTM_T, replace=(("nn.LSTM(embedding_dim, hidden_size, batch_first=True)", "nn.LSTM(embedding_dim, hidden_size)"),),
          why="reads the batch as time"),
    Fault("lstm-ignores-state", LSTM, LSTM_T, replace=(("self.lstm(self.embedding(ids), state)", "self.lstm(self.embedding(ids))"),),
          why="always starts from a zero state"),
    Fault("lstm-returns-probabilities", LSTM, LSTM_T, replace=(("return self.head(outputs), state", "return torch.softmax(self.head(outputs), dim=-1), state"),),
          why="softmax probabilities instead of logits"),
    Fault("lstm-last-step-only", LSTM, LSTM_T, replace=(("return self.head(outputs), state", "return self.head(outputs[:, -1]), state"),),
          why="predicts only after the last character"),
    # training
    Fault("lstm-detached-outputs", LSTM, LSTM_T, replace=(("return self.head(outputs), state", "return self.head(outputs.detach()), state"),),
          why="the same logits, but no gradient reaches the LSTM or the embedding: only the head would train"),
    Fault("train-unshifted-targets", TRAIN, TRAIN_T, replace=(("inputs, targets = windows[:, :-1], windows[:, 1:]", "inputs, targets = windows[:, :-1], windows[:, :-1]"),),
          why="predicts the current character"),
    Fault("train-last-position-only", TRAIN, TRAIN_T,
          replace=(("loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))", "loss = F.cross_entropy(logits[:, -1], targets[:, -1])"),),
          why="uses one position of each window"),
    Fault("train-tiny-learning-rate", TRAIN, TRAIN_T, replace=(("lr=1e-2", "lr=1e-4"),), why="learning rate far too small for 250 steps"),
]

SIM, SIM_T = "lab07-most-similar", ("lab07-most-similar-tests",)
ANA, ANA_T = "lab07-analogy", ("lab07-analogy-tests",)
PCA, PCA_T = "lab07-pca-project", ("lab07-pca-project-tests",)
PAD, PAD_T = "lab07-pad-sequences", ("lab07-pad-sequences-tests",)
CLS, CLS_T = "lab07-lstm-classifier", ("lab07-lstm-classifier-tests",)
CNN, CNN_T = "lab07-text-cnn", ("lab07-text-cnn-tests",)

FAULTS += [
    # most_similar
    Fault("similar-calls-cosine-similarity", SIM, SIM_T,
          replace=(("    unit = vectors / vectors.norm(dim=1, keepdim=True)\n    position = words.index(word)\n    scores = unit @ unit[position]\n",
                    "    position = words.index(word)\n    scores = F.cosine_similarity(vectors, vectors[position][None], dim=1)\n"),),
          why="calls the forbidden F.cosine_similarity"),
    Fault("similar-dot-product", SIM, SIM_T, replace=(("unit = vectors / vectors.norm(dim=1, keepdim=True)", "unit = vectors"),),
          why="dot products of unnormalised vectors"),
    Fault("similar-includes-word", SIM, SIM_T, replace=(("    scores[position] = -float(\"inf\")\n", ""),), why="the word is its own nearest neighbour"),
    Fault("similar-one-short", SIM, SIM_T, replace=(("    scores[position] = -float(\"inf\")\n    best = torch.topk(scores, k).indices\n",
                                                    "    best = torch.topk(scores, k).indices[1:]\n"),),
          why="drops the top result assuming it is the word, returns k - 1"),
    # analogy
    Fault("analogy-keeps-inputs", ANA, ANA_T, replace=(("    scores[positions] = -float(\"inf\")\n", ""),), why="does not exclude a, b, c"),
    Fault("analogy-wrong-sign", ANA, ANA_T,
          replace=(("target = unit[positions[1]] - unit[positions[0]] + unit[positions[2]]", "target = unit[positions[0]] - unit[positions[1]] + unit[positions[2]]"),),
          why="a - b + c"),
    Fault("analogy-calls-cosine-similarity", ANA, ANA_T,
          replace=(("scores = unit @ target / target.norm()", "scores = F.cosine_similarity(vectors, target[None], dim=1)"),),
          why="calls the forbidden F.cosine_similarity"),
    Fault("analogy-unnormalised-target", ANA, ANA_T, replace=(("scores = unit @ target / target.norm()", "scores = unit @ target"),),
          why="scores are not cosines"),
    # pca_project
    Fault("pca-not-centred", PCA, PCA_T, replace=(("centred = X - X.mean(dim=0, keepdim=True)", "centred = X"),), why="no centring"),
    Fault("pca-wrong-axis-of-vh", PCA, PCA_T, replace=(("return centred @ Vh[:k].T", "return centred @ Vh[:, :k]"),), why="columns of Vh, not rows"),
    Fault("pca-smallest-components", PCA, PCA_T, replace=(("return centred @ Vh[:k].T", "return centred @ Vh[-k:].T"),), why="the last components"),
    Fault("pca-returns-u", PCA, PCA_T, replace=(("    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)\n    return centred @ Vh[:k].T",
                                                "    U, _, _ = torch.linalg.svd(centred, full_matrices=False)\n    return U[:, :k]"),),
          why="U without the singular values"),
    Fault("pca-calls-pca-lowrank", PCA, PCA_T,
          replace=(("    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)\n    return centred @ Vh[:k].T",
                    "    _, _, V = torch.pca_lowrank(X, q=k, center=True)\n    return centred @ V[:, :k]"),),
          why="calls the forbidden torch.pca_lowrank"),
    # pad_sequences
    Fault("pad-calls-pad-sequence", PAD, PAD_T,
          source='''def pad_sequences(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)
    return torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=pad_value), lengths
''', why="calls the forbidden pad_sequence"),
    Fault("pad-on-the-left", PAD, PAD_T, replace=(("padded[row, :len(s)] = s", "padded[row, padded.shape[1] - len(s):] = s"),), why="left padding"),
    Fault("pad-without-lengths", PAD, PAD_T, replace=(("return padded, lengths", "return padded, torch.full_like(lengths, padded.shape[1])"),),
          why="every length is the padded length"),
    Fault("pad-ignores-pad-value", PAD, PAD_T, replace=(("int(lengths.max())), pad_value,", "int(lengths.max())), 0,"),), why="always pads with 0"),
    # LSTMClassifier
    Fault("classifier-no-packing", CLS, CLS_T,
          replace=(("        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(padded), lengths.cpu(), batch_first=True, enforce_sorted=False)\n        _, (h_n, _) = self.lstm(packed)\n",
                    "        _, (h_n, _) = self.lstm(self.embedding(padded))\n"),),
          why="reads the padding"),
    Fault("classifier-enforce-sorted", CLS, CLS_T, replace=(("enforce_sorted=False", "enforce_sorted=True"),), why="packing an unsorted batch"),
    Fault("classifier-random-embeddings", CLS, CLS_T,
          replace=(("self.embedding = nn.Embedding.from_pretrained(embeddings, freeze=False, padding_idx=0)",
                    "self.embedding = nn.Embedding(embeddings.shape[0], embeddings.shape[1], padding_idx=0)"),),
          why="ignores the GloVe vectors"),
    Fault("classifier-frozen-embeddings", CLS, CLS_T, replace=(("freeze=False", "freeze=True"),), why="embeddings not fine-tuned"),
    # TextCNN
    Fault("classifier-detached-state", CLS, CLS_T, replace=(("return self.head(self.dropout(h_n[-1]))", "return self.head(self.dropout(h_n[-1].detach()))"),),
          why="the same logits, but the LSTM and the embeddings never learn"),
    Fault("cnn-mean-over-time", CNN, CNN_T, replace=(("F.relu(conv(x)).amax(dim=2)", "F.relu(conv(x)).mean(dim=2)"),), why="mean instead of max over time"),
    Fault("cnn-no-relu", CNN, CNN_T, replace=(("F.relu(conv(x)).amax(dim=2)", "conv(x).amax(dim=2)"),), why="no ReLU"),
    Fault("cnn-detached-features", CNN, CNN_T, replace=(("return self.head(self.dropout(features))", "return self.head(self.dropout(features.detach()))"),),
          why="the same logits, but the convolutions and the embeddings never learn"),
    Fault("cnn-one-width", CNN, CNN_T,
          replace=(("nn.Conv1d(embeddings.shape[1], num_filters, k) for k in kernel_sizes)", "nn.Conv1d(embeddings.shape[1], num_filters, kernel_sizes[0]) for k in kernel_sizes)"),),
          why="every convolution has the first width"),
    Fault("cnn-no-dropout", CNN, CNN_T, replace=(("return self.head(self.dropout(features))", "return self.head(features)"),), why="dropout never applied"),
]
