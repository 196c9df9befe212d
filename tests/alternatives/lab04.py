"""Correct answers to lab 4 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab04.py)."""

from labs.qa.faults import alternative

STATS, STATS_T = "lab04-pixel-stats", ("lab04-pixel-stats-tests",)
DATASET, DATASET_T = "lab04-fashion-dataset", ("lab04-fashion-dataset-tests",)
COUNT, COUNT_T = "lab04-count-parameters", ("lab04-count-parameters-tests",)
DEVICE, DEVICE_T = "lab04-to-device", ("lab04-to-device-tests",)
EPOCH, EPOCH_T = "lab04-train-epoch", ("lab04-train-epoch-tests",)
EVAL, EVAL_T = "lab04-evaluate", ("lab04-evaluate-tests",)
CONF, CONF_T = "lab04-confusion-matrix", ("lab04-confusion-matrix-tests",)
RECORDER, RECORDER_T = "lab04-batch-loss-recorder", ("lab04-batch-loss-recorder-tests",)
FIT, FIT_T = "lab04-fit-with-torchbearer", ("lab04-fit-with-torchbearer-tests",)

ALTERNATIVES = [
    alternative("stats-scaled-after", STATS, STATS_T, source='''def pixel_stats(images):
    return float(images.mean()) / 255, float(images.std()) / 255
''', why="the statistics of the raw bytes, scaled afterwards"),
    alternative("dataset-normalise-per-item", DATASET, DATASET_T, source='''class FashionMNIST(Dataset):
    def __init__(self, split, mean, std):
        self.images, self.labels = load_fashion_mnist(split)
        self.mean, self.std = mean, std

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, index):
        image = torch.tensor(self.images[index], dtype=torch.float32) / 255
        return ((image - self.mean) / self.std)[None], torch.tensor(self.labels[index], dtype=torch.long)
''', why="keeps the bytes and normalises each image when it is read"),
    alternative("count-loop", COUNT, COUNT_T, source='''def count_parameters(model, trainable_only=True):
    total = 0
    for p in model.parameters():
        if p.requires_grad or not trainable_only:
            total += p.numel()
    return total
''', why="an explicit loop"),
    alternative("to-device-namedtuple-aware", DEVICE, DEVICE_T, source='''def to_device(batch, device):
    if torch.is_tensor(batch):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((key, to_device(value, device)) for key, value in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(item, device) for item in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(item, device) for item in batch)
    return batch
''', why="torch.is_tensor, and named tuples rebuilt field by field"),
    alternative("epoch-no-bar-sample-weighted", EPOCH, EPOCH_T, source='''def train_epoch(model, loader, optimiser, loss_fn, progress=False):
    model.train()
    device = next(model.parameters()).device
    losses, sizes = [], []
    for x, y in (tqdm(loader, leave=False) if progress else loader):
        x, y = x.to(device), y.to(device)
        optimiser.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        sizes.append(y.shape[0])
    return sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
''', why="the per-batch losses kept and weighted by batch size at the end"),
    alternative("evaluate-logits-then-argmax", EVAL, EVAL_T, source='''@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    device = next(model.parameters()).device
    logits, targets = [], []
    for x, y in loader:
        logits.append(model(to_device(x, device)).cpu())
        targets.append(y)
    return torch.cat(logits).argmax(dim=1), torch.cat(targets)
''', why="all logits first, one argmax at the end; torch.no_grad() as a decorator"),
    alternative("confusion-index-put", CONF, CONF_T, source='''def confusion_matrix(preds, targets, n):
    counts = torch.zeros(n, n, dtype=torch.long)
    counts.index_put_((targets.long(), preds.long()), torch.ones(len(preds), dtype=torch.long), accumulate=True)
    return counts
''', why="index_put_ with accumulate instead of bincount"),
    alternative("recorder-on-criterion", RECORDER, RECORDER_T, source='''class BatchLossRecorder(Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_criterion(self, state):
        self.losses.append(float(state[torchbearer.LOSS]))
''', why="records the loss as soon as the criterion computes it (training batches only)"),
    alternative("fit-builder-methods", FIT, FIT_T, source='''def fit_with_torchbearer(model, train_loader, val_loader, epochs, lr, callbacks=(), verbose=0):
    device = next(model.parameters()).device
    trial = Trial(model, torch.optim.Adam(model.parameters(), lr=lr), nn.functional.cross_entropy,
                  metrics=["loss", "accuracy"], callbacks=[*callbacks], verbose=verbose)
    trial = trial.with_train_generator(train_loader).with_val_generator(val_loader).to(device)
    return trial.run(epochs)
''', why="the functional cross-entropy and Trial's separate builder methods"),
]
