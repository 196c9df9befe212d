"""Plausible wrong answers to in-class test 2 (labs 5-8). Each must lose the points of its question's test cell.

A test's answer is a value, so each fault replaces the model answer by a tempting wrong one: the answer that a
student gets from one specific mistake, named in ``why``.
"""

from functools import partial

from labs.qa.faults import wrong_answer

wrong = partial(wrong_answer, "test2")  # wrong(name, question, model answer line, wrong answer line, why)


Q1, Q2, Q4, Q5, Q6 = "q1 = (1, 16, 15, 15)", "q2 = 16 * 6 * 6", "q4 = 8", 'q5 = "b"', "q6 = 4.0"
Q3 = "q3 = (3 * 32 * 3 * 3 + 32) + 2 * 32 + (32 * 64 * 3 * 3 + 64) + (64 * 10 + 10)"
Q7 = "q7 = math.exp(4) / (math.exp(4) + math.exp(2) + 1)"
Q8 = "q8 = 4 * (64 * 50 + 64 * 64 + 64 + 64)"
Q9 = "q9 = 0.5 * (1 + 1 - 1 - 0) + 0.5 * (4 + 0 - 1 - math.log(4))"
Q10, Q11 = "q10 = (1.0, 0.25)", "q11 = math.log(1 + math.exp(3))"

FAULTS = [
    # 1 convolution output shape: floor((32 + 2*1 - 5) / 2) + 1 = 15
    wrong("conv-no-plus-one", "conv-shape", Q1, "q1 = (1, 16, 14, 14)", "(n + 2p - k) / s without the + 1 (or the padding forgotten)"),
    wrong("conv-stride-halves", "conv-shape", Q1, "q1 = (1, 16, 16, 16)", "stride 2 halves the size; kernel and padding ignored"),
    wrong("conv-stride-ignored", "conv-shape", Q1, "q1 = (1, 16, 30, 30)", "the stride forgotten: 32 + 2 - 5 + 1"),
    wrong("conv-channels-kept", "conv-shape", Q1, "q1 = (1, 3, 15, 15)", "keeps the input's 3 channels"),
    # 2 features reaching the linear layer: 28 -> 26 -> 13 -> 13 -> 6, times 16 channels
    wrong("flatten-conv-keeps-size", "flatten-features", Q2, "q2 = 16 * 7 * 7", "the unpadded 3x3 convolution taken to keep 28x28"),
    wrong("flatten-one-pool", "flatten-features", Q2, "q2 = 16 * 13 * 13", "only one of the two poolings counted"),
    wrong("flatten-first-channels", "flatten-features", Q2, "q2 = 8 * 6 * 6", "the first convolution's 8 channels"),
    wrong("flatten-padding-forgotten", "flatten-features", Q2, "q2 = 16 * 5 * 5", "the second convolution's padding forgotten: 13 -> 11 -> 5"),
    # 3 CNN parameter count
    wrong("cnn-params-no-biases", "cnn-parameters", Q3, "q3 = 3 * 32 * 3 * 3 + 2 * 32 + 32 * 64 * 3 * 3 + 64 * 10", "the biases forgotten"),
    wrong("cnn-params-bn-buffers", "cnn-parameters", Q3, "q3 = (3 * 32 * 3 * 3 + 32) + 4 * 32 + (32 * 64 * 3 * 3 + 64) + (64 * 10 + 10)",
          "batch norm's running mean and variance counted as parameters"),
    wrong("cnn-params-no-in-channels", "cnn-parameters", Q3, "q3 = (32 * 3 * 3 + 32) + 2 * 32 + (64 * 3 * 3 + 64) + (64 * 10 + 10)",
          "a kernel per output channel only: the input channels forgotten"),
    wrong("cnn-params-no-batchnorm", "cnn-parameters", Q3, "q3 = (3 * 32 * 3 * 3 + 32) + (32 * 64 * 3 * 3 + 64) + (64 * 10 + 10)",
          "batch norm taken to have no parameters"),
    # 4 receptive field: 3, then + (2 - 1) * 1 = 4, then + (3 - 1) * 2 = 8
    wrong("rf-pool-stride-ignored", "receptive-field", Q4, "q4 = 6", "the pooling's stride not applied to the second convolution's reach"),
    wrong("rf-pool-ignored", "receptive-field", Q4, "q4 = 5", "two 3x3 convolutions, the pooling left out"),
    wrong("rf-multiplied", "receptive-field", Q4, "q4 = 18", "kernel sizes multiplied: 3 * 2 * 3"),
    wrong("rf-off-by-one", "receptive-field", Q4, "q4 = 7", "one pixel short: 3 + 2 * 2"),
    # 5 frozen trunk in training mode
    wrong("frozen-only-head", "frozen-batchnorm", Q5, 'q5 = "a"', "forgets that train() mode updates batch norm's running statistics"),
    wrong("frozen-bn-affine", "frozen-batchnorm", Q5, 'q5 = "C"', "thinks batch norm's weight and bias still train"),
    wrong("frozen-everything", "frozen-batchnorm", Q5, 'q5 = "d"', "thinks the optimiser updates parameters that need no gradient"),
    # 6 perplexity
    wrong("ppl-mean-inverse", "perplexity", Q6, "q6 = (2 + 4 + 8) / 3", "the mean of 1/p, not the geometric mean"),
    wrong("ppl-inverse-mean", "perplexity", Q6, "q6 = 1 / ((1 / 2 + 1 / 4 + 1 / 8) / 3)", "1 / mean(p)"),
    wrong("ppl-cross-entropy", "perplexity", Q6, "q6 = 2 * math.log(2)", "the cross-entropy in nats, not its exponential"),
    wrong("ppl-bits", "perplexity", Q6, "q6 = 2.0", "the cross-entropy in bits"),
    # 7 temperature
    wrong("temperature-ignored", "temperature", Q7, "q7 = math.exp(2) / (math.exp(2) + math.exp(1) + 1)", "softmax of the logits at T = 1"),
    wrong("temperature-multiplied", "temperature", Q7, "q7 = math.exp(1) / (math.exp(1) + math.exp(0.5) + 1)",
          "logits multiplied by T: a flatter, not a sharper, distribution"),
    wrong("temperature-greedy", "temperature", Q7, "q7 = 1.0", "a low temperature taken to mean greedy (argmax) sampling"),
    # 8 LSTM parameters
    wrong("lstm-one-bias", "lstm-parameters", Q8, "q8 = 4 * (64 * 50 + 64 * 64 + 64)", "one bias per gate (PyTorch has two: b_ih and b_hh)"),
    wrong("lstm-one-gate", "lstm-parameters", Q8, "q8 = 64 * 50 + 64 * 64 + 64 + 64", "a plain RNN cell: the four gates forgotten"),
    wrong("lstm-three-gates", "lstm-parameters", Q8, "q8 = 3 * (64 * 50 + 64 * 64 + 64 + 64)", "three gates (a GRU's count)"),
    wrong("lstm-no-recurrence", "lstm-parameters", Q8, "q8 = 4 * (64 * 50 + 64 + 64)", "the hidden-to-hidden weights forgotten"),
    # 9 KL divergence
    wrong("kl-no-half", "kl-divergence", Q9, "q9 = (1 + 1 - 1 - 0) + (4 + 0 - 1 - math.log(4))", "the factor 1/2 forgotten"),
    wrong("kl-mean-over-dims", "kl-divergence", Q9, "q9 = (0.5 * (1 + 1 - 1 - 0) + 0.5 * (4 + 0 - 1 - math.log(4))) / 2",
          "averaged over the latent dimensions, not summed"),
    wrong("kl-no-minus-one", "kl-divergence", Q9, "q9 = 0.5 * (1 + 1 - 0) + 0.5 * (4 + 0 - math.log(4))", "the - 1 per dimension forgotten"),
    wrong("kl-sigma-for-variance", "kl-divergence", Q9, "q9 = 0.5 * (1 + 1 - 1 - 0) + 0.5 * (2 + 0 - 1 - math.log(4))",
          "sigma used where sigma squared belongs"),
    # 10 reparameterisation
    wrong("reparam-dsigma", "reparameterisation", Q10, "q10 = (1.0, 0.5)", "dz/dsigma = epsilon, not dz/dlogvar"),
    wrong("reparam-noise-blocks", "reparameterisation", Q10, "q10 = (1.0, 0.0)", "thinks no gradient reaches the variance through the noise"),
    wrong("reparam-not-differentiable", "reparameterisation", Q10, "q10 = (0.0, 0.0)", "thinks a random sample has no gradient"),
    wrong("reparam-mu-scaled", "reparameterisation", Q10, "q10 = (0.5, 0.25)", "the noise multiplies the mean too"),
    # 11 generator loss
    wrong("gan-saturating", "generator-loss", Q11, "q11 = -math.log(1 + math.exp(-3))", "the saturating loss log(1 - D(G(z)))"),
    wrong("gan-discriminator-fake-loss", "generator-loss", Q11, "q11 = math.log(1 + math.exp(-3))", "-log(1 - D): the discriminator's loss on the fake"),
    wrong("gan-probability", "generator-loss", Q11, "q11 = 1 / (1 + math.exp(3))", "D(G(z)) = sigmoid(-3) itself"),
]
