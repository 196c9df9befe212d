"""Plausible wrong answers to lab 4. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

STATS, STATS_T = "lab04-pixel-stats", ("lab04-pixel-stats-tests",)
DATASET, DATASET_T = "lab04-fashion-dataset", ("lab04-fashion-dataset-tests",)
MLP, MLP_T = "lab04-mlp", ("lab04-mlp-tests",)
COUNT, COUNT_T = "lab04-count-parameters", ("lab04-count-parameters-tests",)
DEVICE, DEVICE_T = "lab04-to-device", ("lab04-to-device-tests",)
EPOCH, EPOCH_T = "lab04-train-epoch", ("lab04-train-epoch-tests",)
EVAL, EVAL_T = "lab04-evaluate", ("lab04-evaluate-tests",)
CONF, CONF_T = "lab04-confusion-matrix", ("lab04-confusion-matrix-tests",)
TRAIN, TRAIN_T = "lab04-train-mlp", ("lab04-train-mlp-tests",)
RECORDER, RECORDER_T = "lab04-batch-loss-recorder", ("lab04-batch-loss-recorder-tests",)
FIT, FIT_T = "lab04-fit-with-torchbearer", ("lab04-fit-with-torchbearer-tests",)
FIT1D, FIT1D_T = "lab04-fit-1d", ("lab04-fit-1d-tests",)
GRADNORM, GRADNORM_T = "lab04-gradient-norms", ("lab04-gradient-norms-tests",)

FAULTS = [
    # pixel_stats
    Fault("stats-not-scaled", STATS, STATS_T, replace=((" / 255.0", ""),), why="statistics of 0..255 values"),
    Fault("stats-sample-std", STATS, STATS_T, replace=(("pixels.std()", "pixels.std(ddof=1)"),), why="ddof=1"),
    Fault("stats-uint8-overflow", STATS, STATS_T,
          replace=(("pixels = images.astype(np.float64) / 255.0", "pixels = (images * images).astype(np.float64) ** 0.5 / 255.0"),),
          why="squares in uint8, which wraps around"),
    Fault("stats-variance-not-std", STATS, STATS_T, replace=(("float(pixels.std())", "float(pixels.var())"),), why="returns the variance"),
    # FashionMNIST
    Fault("dataset-no-channel", DATASET, DATASET_T, replace=((").unsqueeze(1)", ")"),), why="images (28, 28), no channel dimension"),
    Fault("dataset-not-standardised", DATASET, DATASET_T, replace=(("((pixels - mean) / std)", "(pixels)"),), why="ignores mean and std"),
    Fault("dataset-wrong-order", DATASET, DATASET_T, replace=(("((pixels - mean) / std)", "(pixels / std - mean)"),),
          why="divides before subtracting the mean"),
    Fault("dataset-float-labels", DATASET, DATASET_T, replace=(("torch.from_numpy(labels).long()", "torch.from_numpy(labels).float()"),),
          why="labels as floats"),
    Fault("dataset-always-train", DATASET, DATASET_T, replace=(("load_fashion_mnist(split)", 'load_fashion_mnist("train")'),),
          why="ignores the split"),
    Fault("dataset-not-scaled", DATASET, DATASET_T, replace=((".float().div(255.0)", ".float()"),), why="pixels left in 0..255"),
    # MLP
    Fault("mlp-relu-on-output", MLP, MLP_T, replace=(("layers.append(nn.Linear(width, n_classes))", "layers += [nn.Linear(width, n_classes), nn.ReLU()]"),),
          why="ReLU after the output layer"),
    Fault("mlp-ignores-hidden", MLP, MLP_T,
          replace=(("for h in hidden:", "for h in (256,):"),), why="always one hidden layer of 256"),
    Fault("mlp-no-relu", MLP, MLP_T, replace=(("layers += [nn.Linear(width, h), nn.ReLU()]", "layers += [nn.Linear(width, h)]"),),
          why="no nonlinearity: a linear model"),
    Fault("mlp-width-not-updated", MLP, MLP_T, replace=(("            width = h\n", ""),), why="every layer takes in_features inputs"),
    Fault("mlp-sigmoid", MLP, MLP_T, replace=(("nn.ReLU()]", "nn.Sigmoid()]"),), why="sigmoid instead of ReLU"),
    Fault("mlp-detached-output", MLP, MLP_T, replace=(("return self.net(x)", "return self.net(x).detach()"),),
          why="cuts the graph: right shapes and values, but no gradient reaches the weights"),
    Fault("mlp-plain-list", MLP, MLP_T,
          replace=(("self.net = nn.Sequential(*layers)", "self.layers = layers"),
                   ("return self.net(x)", "for layer in self.layers:\n            x = layer(x)\n        return x")),
          why="keeps the layers in a plain Python list: they are not registered, so nothing is trained"),
    # count_parameters
    Fault("count-ignores-frozen-flag", COUNT, COUNT_T, replace=((" if p.requires_grad or not trainable_only", ""),),
          why="counts frozen parameters as trainable"),
    Fault("count-tensors-not-entries", COUNT, COUNT_T, replace=(("p.numel()", "1"),), why="counts tensors, not numbers"),
    Fault("count-state-dict", COUNT, COUNT_T,
          source="def count_parameters(model, trainable_only=True):\n"
                 "    return sum(t.numel() for t in model.state_dict().values())\n",
          why="counts buffers too"),
    Fault("count-weights-only", COUNT, COUNT_T,
          source="def count_parameters(model, trainable_only=True):\n"
                 "    return sum(p.numel() for name, p in model.named_parameters()\n"
                 "               if name.endswith('weight') and (p.requires_grad or not trainable_only))\n",
          why="forgets the biases"),
    # to_device
    Fault("to-device-flat", DEVICE, DEVICE_T,
          source="def to_device(batch, device):\n"
                 "    if isinstance(batch, torch.Tensor):\n"
                 "        return batch.to(device)\n"
                 "    return tuple(b.to(device) if isinstance(b, torch.Tensor) else b for b in batch)\n",
          why="one level of tuple only"),
    Fault("to-device-lists-become-tuples", DEVICE, DEVICE_T,
          replace=(("return type(batch)(to_device(item, device) for item in batch)", "return tuple(to_device(item, device) for item in batch)"),),
          why="lists come back as tuples"),
    Fault("to-device-skips-dicts", DEVICE, DEVICE_T,
          replace=(("return {key: to_device(value, device) for key, value in batch.items()}", "return batch"),),
          why="dicts are not walked"),
    Fault("to-device-in-place", DEVICE, DEVICE_T,
          source="def to_device(batch, device):\n"
                 "    if isinstance(batch, torch.Tensor):\n"
                 "        return batch.to(device)\n"
                 "    if isinstance(batch, dict):\n"
                 "        for key in batch:\n"
                 "            batch[key] = to_device(batch[key], device)\n"
                 "        return batch\n"
                 "    if isinstance(batch, (list, tuple)):\n"
                 "        return type(batch)(to_device(item, device) for item in batch)\n"
                 "    return batch\n",
          why="changes the caller's dict"),
    # train_epoch
    Fault("epoch-no-zero-grad", EPOCH, EPOCH_T, replace=(("        optimiser.zero_grad()\n", ""),), why="gradients accumulate"),
    Fault("epoch-unweighted-mean", EPOCH, EPOCH_T,
          replace=(("total += loss.item() * len(y)", "total += loss.item()"), ("count += len(y)", "count += 1")),
          why="mean of batch means"),
    Fault("epoch-no-train-mode", EPOCH, EPOCH_T, replace=(("    model.train()\n", ""),), why="stays in eval mode"),
    Fault("epoch-step-before-backward", EPOCH, EPOCH_T,
          replace=(("        loss.backward()\n        optimiser.step()\n", "        optimiser.step()\n        loss.backward()\n"),),
          why="steps with the previous batch's gradient"),
    Fault("epoch-returns-last-loss", EPOCH, EPOCH_T, replace=(("return total / count", "return loss.item()"),), why="last batch only"),
    Fault("epoch-torchbearer", EPOCH, EPOCH_T,
          source="def train_epoch(model, loader, optimiser, loss_fn, progress=False):\n"
                 "    import torchbearer\n"
                 "    from torchbearer.callbacks import on_step_training\n"
                 "    sums = [0.0, 0]\n"
                 "\n"
                 "    @on_step_training\n"
                 "    def tally(state):\n"
                 "        n = len(state[torchbearer.Y_TRUE])\n"
                 "        sums[0] += state[torchbearer.LOSS].item() * n\n"
                 "        sums[1] += n\n"
                 "\n"
                 "    torchbearer.Trial(model, optimiser, loss_fn, callbacks=[tally], verbose=0) \\\n"
                 "        .to(next(model.parameters()).device).with_train_generator(loader).run(epochs=1)\n"
                 "    return sums[0] / sums[1]\n",
          why="hands the loop to Torchbearer, which the exercise forbids (the weighted average is right)"),
    # evaluate
    Fault("evaluate-train-mode", EVAL, EVAL_T, replace=(("    model.eval()\n", ""),), why="dropout still on"),
    Fault("evaluate-with-grad", EVAL, EVAL_T,
          replace=(("    with torch.no_grad():\n        for x, y in loader:", "    if True:\n        for x, y in loader:"),),
          why="records a graph for nothing"),
    Fault("evaluate-last-batch", EVAL, EVAL_T,
          replace=(("return torch.cat(predictions), torch.cat(targets)", "return predictions[-1], targets[-1]"),),
          why="only the last batch"),
    Fault("evaluate-argmin", EVAL, EVAL_T, replace=((".argmax(dim=1)", ".argmin(dim=1)"),), why="argmin"),
    Fault("evaluate-torchbearer", EVAL, EVAL_T,
          source="def evaluate(model, loader):\n"
                 "    import torchbearer\n"
                 "    logits = torchbearer.Trial(model, verbose=0).with_test_generator(loader).predict()\n"
                 "    return logits.argmax(dim=1).cpu(), torch.cat([y for _, y in loader]).cpu()\n",
          why="lets Torchbearer's predict run the loop, which the exercise forbids"),
    # confusion_matrix
    Fault("confusion-transposed", CONF, CONF_T, replace=(("targets.long() * n + preds.long()", "preds.long() * n + targets.long()"),),
          why="rows are predictions"),
    Fault("confusion-size-from-data", CONF, CONF_T,
          replace=(("torch.bincount(index, minlength=n * n).reshape(n, n)",
                    "torch.bincount(index).reshape(n, -1) if index.max() + 1 >= n * n else torch.bincount(index, minlength=n * n).reshape(n, n)[: int(targets.max()) + 1]"),),
          why="drops rows of classes that never occur"),
    Fault("confusion-float", CONF, CONF_T, replace=(("torch.bincount(index, minlength=n * n)", "torch.bincount(index, minlength=n * n).float()"),),
          why="float counts"),
    Fault("confusion-loop", CONF, CONF_T,
          source="def confusion_matrix(preds, targets, n):\n"
                 "    C = torch.zeros(n, n, dtype=torch.int64)\n"
                 "    for t, p in zip(targets.tolist(), preds.tolist()):\n"
                 "        C[t, p] += 1\n"
                 "    return C\n",
          why="correct counts, but a Python loop"),
    Fault("confusion-sklearn", CONF, CONF_T,
          source="from sklearn.metrics import confusion_matrix as sk_confusion_matrix\n"
                 "\n"
                 "\n"
                 "def confusion_matrix(preds, targets, n):\n"
                 "    return torch.from_numpy(sk_confusion_matrix(targets.numpy(), preds.numpy(), labels=np.arange(n))).long()\n",
          why="calls scikit-learn's confusion_matrix, which the exercise forbids"),
    # training the MLP
    Fault("train-mlp-too-small-lr", TRAIN, TRAIN_T, replace=(("lr=1e-3", "lr=1e-6"),), why="learning rate far too small"),
    Fault("train-mlp-no-epochs", TRAIN, TRAIN_T, replace=(("for epoch in range(4):", "for epoch in range(0):"),), why="never trains"),
    Fault("train-mlp-diverges", TRAIN, TRAIN_T,
          replace=(("torch.optim.Adam(model.parameters(), lr=1e-3)", "torch.optim.SGD(model.parameters(), lr=50.0)"),),
          why="a learning rate that diverges"),
    # BatchLossRecorder
    Fault("recorder-keeps-tensors", RECORDER, RECORDER_T, replace=(("state[torchbearer.LOSS].item()", "state[torchbearer.LOSS]"),),
          why="keeps tensors (and their graphs)"),
    Fault("recorder-per-epoch", RECORDER, RECORDER_T, replace=(("def on_step_training(self, state):", "def on_end_epoch(self, state):"),),
          why="one value per epoch"),
    Fault("recorder-shared-list", RECORDER, RECORDER_T,
          replace=(("        self.losses = []\n", ""), ("class BatchLossRecorder(Callback):\n", "class BatchLossRecorder(Callback):\n    losses = []\n")),
          why="a class attribute shared by every recorder"),
    Fault("recorder-overwrites", RECORDER, RECORDER_T,
          replace=(("self.losses.append(state[torchbearer.LOSS].item())", "self.losses = [state[torchbearer.LOSS].item()]"),),
          why="keeps only the latest loss"),
    # fit_with_torchbearer
    Fault("fit-ignores-callbacks", FIT, FIT_T, replace=(("callbacks=list(callbacks)", "callbacks=[]"),), why="drops the callbacks"),
    Fault("fit-no-validation", FIT, FIT_T,
          replace=(("trial.with_generators(train_loader, val_generator=val_loader)", "trial.with_generators(train_loader)"),),
          why="no validation metrics"),
    Fault("fit-sgd", FIT, FIT_T, replace=(("torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.SGD(model.parameters(), lr=lr)"),),
          why="SGD instead of Adam"),
    Fault("fit-validates-on-training-data", FIT, FIT_T, replace=(("val_generator=val_loader", "val_generator=train_loader"),),
          why="validation metrics from the training data"),
    Fault("fit-one-epoch", FIT, FIT_T, replace=(("trial.run(epochs=epochs)", "trial.run(epochs=1)"),), why="ignores epochs"),
    # fit_1d
    Fault("fit1d-no-seed", FIT1D, FIT1D_T, replace=(("    torch.manual_seed(0)\n", ""),), why="starts from a different point each call"),
    Fault("fit1d-fixed-width", FIT1D, FIT1D_T,
          replace=(("nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1)", "nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 1)"),),
          why="width ignored"),
    Fault("fit1d-no-zero-grad", FIT1D, FIT1D_T, replace=(("        optimiser.zero_grad()\n", ""),), why="gradients accumulate"),
    Fault("fit1d-untrained", FIT1D, FIT1D_T, replace=(("for _ in range(steps):", "for _ in range(0):"),), why="never trains"),
    Fault("fit1d-ignores-steps", FIT1D, FIT1D_T, replace=(("for _ in range(steps):", "for _ in range(1500):"),),
          why="always 1500 steps, whatever steps says"),
    Fault("fit1d-extra-step", FIT1D, FIT1D_T, replace=(("for _ in range(steps):", "for _ in range(steps + 1):"),),
          why="one step too many"),
    Fault("fit1d-sgd", FIT1D, FIT1D_T, replace=(("torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.SGD(model.parameters(), lr=lr)"),),
          why="SGD instead of Adam"),
    Fault("fit1d-torchbearer", FIT1D, FIT1D_T,
          source="def fit_1d(x, y, width, steps=1500, lr=0.01):\n"
                 "    torch.manual_seed(0)\n"
                 "    model = nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1))\n"
                 "    trial = Trial(model, torch.optim.Adam(model.parameters(), lr=lr), nn.MSELoss(), verbose=0)\n"
                 "    trial.with_train_generator(DataLoader(TensorDataset(x, y), batch_size=len(x))).run(epochs=steps)\n"
                 "    return model\n",
          why="one Torchbearer epoch per step, which the exercise forbids (the steps are right)"),
    # GradientNormRecorder
    Fault("gradnorm-weights-not-grads", GRADNORM, GRADNORM_T, replace=(("float(parameter.grad.norm())", "float(parameter.norm())"),),
          why="the norm of the weights, not of their gradient"),
    Fault("gradnorm-before-backward", GRADNORM, GRADNORM_T, replace=(("def on_backward(self, state):", "def on_forward(self, state):"),),
          why="records before the backward pass, when the gradients are not there yet"),
    Fault("gradnorm-last-layer-only", GRADNORM, GRADNORM_T,
          replace=(("for name, parameter in state[torchbearer.MODEL].named_parameters():",
                    "for name, parameter in list(state[torchbearer.MODEL].named_parameters())[-2:]:"),),
          why="only the last layer's weight and bias"),
    Fault("gradnorm-squared", GRADNORM, GRADNORM_T, replace=(("float(parameter.grad.norm())", "float(parameter.grad.pow(2).sum())"),),
          why="the squared norm"),
    Fault("gradnorm-max-abs", GRADNORM, GRADNORM_T, replace=(("float(parameter.grad.norm())", "float(parameter.grad.abs().max())"),),
          why="the largest entry instead of the L2 norm"),
    Fault("gradnorm-includes-frozen", GRADNORM, GRADNORM_T,
          replace=(("            if parameter.requires_grad:\n                self.norms", "            if True:\n                self.norms"),),
          why="does not skip frozen parameters, whose gradient is None"),
    Fault("gradnorm-shared-dict", GRADNORM, GRADNORM_T,
          replace=(("        self.norms = {}\n", ""), ("class GradientNormRecorder(Callback):\n", "class GradientNormRecorder(Callback):\n    norms = {}\n")),
          why="a class attribute shared by every recorder"),
]
