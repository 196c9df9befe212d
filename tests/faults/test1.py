"""Plausible wrong answers to in-class test 1 (labs 1-4). Each must lose the points of its question's test cell.

A test's answer is a value, so each fault replaces the model answer by a tempting wrong one: the answer that a
student gets from one specific mistake, named in ``why``.
"""

from functools import partial

from labs.qa.faults import wrong_answer

wrong = partial(wrong_answer, "test1")  # wrong(name, question, model answer line, wrong answer line, why)


Q1, Q2, Q3, Q4 = "q1 = (5, 4, 3)", "q2 = 158", "q3 = (300, 200)", "q4 = (-0.75, 0.25, 0.5)"
Q5, Q6, Q7, Q8 = 'q5 = "c"', "q6 = (3, 1000)", "q7 = (4.0, -8.0)", "q8 = 0.99"
Q9, Q10 = "q9 = 0.72", "q10 = (16, 40)"
Q11 = "q11 = (784 * 256 + 256) + (256 * 64 + 64) + (64 * 10 + 10)"

FAULTS = [
    # 1 broadcasting
    wrong("broadcast-keeps-singleton", "broadcast-shape", Q1, "q1 = (5, 1, 3)", "a size-1 dimension wins instead of stretching"),
    wrong("broadcast-aligned-left", "broadcast-shape", Q1, "q1 = (4, 5, 3)", "lines b up from the left: its 4 goes first"),
    wrong("broadcast-singleton-of-b-wins", "broadcast-shape", Q1, "q1 = (5, 4, 1)", "takes b's trailing 1 for the last size"),
    wrong("broadcast-drops-leading", "broadcast-shape", Q1, "q1 = (4, 3)", "the result has the shape of the smaller operand's rank"),
    # 2 views
    wrong("view-is-a-copy", "view-write", Q2, "q2 = 66", "thinks x.t() copies: x is unchanged"),
    wrong("view-same-index", "view-write", Q2, "q2 = 164", "y[0, 2] taken as x[0, 2] (the transpose forgotten)"),
    wrong("view-adds", "view-write", Q2, "q2 = 166", "adds 100 to the sum without removing the value it overwrote"),
    # 3 dtypes
    wrong("uint8-sum-wraps", "uint8", Q3, "q3 = (44, 200)", "thinks sum() keeps uint8 and wraps at 256 (it accumulates in int64)"),
    wrong("uint8-no-wrap", "uint8", Q3, "q3 = (300, 400)", "thinks x + x is promoted and does not wrap"),
    wrong("uint8-saturates", "uint8", Q3, "q3 = (255, 255)", "thinks integer overflow saturates at 255"),
    wrong("uint8-max-of-wrapped", "uint8", Q3, "q3 = (300, 144)", "takes the wrapped 400 (144) for the maximum"),
    # 4 cross-entropy gradient
    wrong("ce-grad-probabilities", "softmax-grad", Q4, "q4 = (0.25, 0.25, 0.5)", "the softmax p, without subtracting the one-hot target"),
    wrong("ce-grad-sign", "softmax-grad", Q4, "q4 = (0.75, -0.25, -0.5)", "y - p: the sign of the gradient flipped"),
    wrong("ce-grad-true-class-only", "softmax-grad", Q4, "q4 = (-0.75, 0, 0)", "only the true class's logit gets a gradient"),
    wrong("ce-grad-uniform", "softmax-grad", Q4, "q4 = (-2 / 3, 1 / 3, 1 / 3)", "softmax of (0, 0, ln 2) taken as uniform"),
    # 5 stable form
    wrong("stable-naive", "stable-loss", Q5, 'q5 = "a"', "the formula as written: exp(200) overflows to inf"),
    wrong("stable-log-sigmoid", "stable-loss", Q5, 'q5 = "b"', "sigmoid(-200) underflows to 0 in float32, and log(0) = -inf"),
    wrong("stable-wrong-sign", "stable-loss", Q5, 'q5 = "D"', "the stable form of log(1 + e^z), not of log(1 + e^-z)"),
    # 6 jacobian passes
    wrong("passes-swapped", "jacobian-passes", Q6, "q6 = (1000, 3)", "one reverse pass per input and one forward pass per output"),
    wrong("passes-one-backward", "jacobian-passes", Q6, "q6 = (1, 1000)", "thinks one backward pass gives the whole Jacobian"),
    wrong("passes-outputs-both", "jacobian-passes", Q6, "q6 = (3, 3)", "counts outputs for both modes"),
    # 7 gradient accumulation
    wrong("accumulation-ignored", "grad-accumulation", Q7, "q7 = (2.0, -4.0)", "thinks backward() overwrites .grad: one gradient, 2w"),
    wrong("accumulation-zero-ignored", "grad-accumulation", Q7, "q7 = (6.0, -12.0)", "all three gradients accumulate: zero_() forgotten"),
    wrong("accumulation-sign", "grad-accumulation", Q7, "q7 = (4.0, 8.0)", "the square's gradient taken as positive"),
    # 8 Adam
    wrong("adam-sgd-step", "adam-first-step", Q8, "q8 = 0.96", "a plain gradient step lr * g = 0.04"),
    wrong("adam-no-bias-correction", "adam-first-step", Q8, "q8 = 1 - 0.01 * 0.4 / math.sqrt(0.016)",
          "no bias correction: m = 0.4, v = 0.016, a step of lr * sqrt(10)"),
    wrong("adam-ascent", "adam-first-step", Q8, "q8 = 1.01", "steps up the gradient"),
    # 9 SGD momentum
    wrong("momentum-ignored", "sgd-momentum", Q9, "q9 = 0.81", "plain gradient descent: theta * 0.9 twice"),
    wrong("momentum-dampened", "sgd-momentum", Q9, "q9 = 0.9711", "an average buffer b = 0.9 b + 0.1 g from b = 0 (not PyTorch's b = 0.9 b + g)"),
    wrong("momentum-nesterov", "sgd-momentum", Q9, "q9 = 0.5751", "Nesterov's update g + 0.9 b instead of b"),
    # 10 DataLoader
    wrong("batches-floor", "dataloader-batches", Q10, "q10 = (15, 40)", "1000 // 64 batches, yet a last batch of 40"),
    wrong("batches-padded", "dataloader-batches", Q10, "q10 = (16, 64)", "thinks the last batch is filled up to 64"),
    wrong("batches-remainder-wrong", "dataloader-batches", Q10, "q10 = (16, 24)", "64 - 40: the shortfall, not the size"),
    # 11 parameter count
    wrong("params-no-biases", "mlp-parameters", Q11, "q11 = 784 * 256 + 256 * 64 + 64 * 10", "weights only: the biases forgotten"),
    wrong("params-bias-per-input", "mlp-parameters", Q11, "q11 = (784 * 256 + 784) + (256 * 64 + 256) + (64 * 10 + 64)",
          "one bias per input instead of one per output"),
    wrong("params-last-layer-forgotten", "mlp-parameters", Q11, "q11 = (784 * 256 + 256) + (256 * 64 + 64)", "stops at the last hidden layer"),
]
