"""Plausible wrong answers to lab 6. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

PRE, PRE_T = "lab06-imagenet-preprocess", ("lab06-imagenet-preprocess-tests",)
TOPK, TOPK_T = "lab06-top-k-labels", ("lab06-top-k-labels-tests",)
FREEZE, FREEZE_T = "lab06-freeze", ("lab06-freeze-tests",)
HEAD, HEAD_T = "lab06-replace-classifier", ("lab06-replace-classifier-tests",)
FEAT, FEAT_T = "lab06-extract-features", ("lab06-extract-features-tests",)
PROBE, PROBE_T = "lab06-linear-probe", ("lab06-linear-probe-tests",)
NN, NN_T = "lab06-nearest-neighbours", ("lab06-nearest-neighbours-tests",)

FAULTS = [
    # imagenet_preprocess
    Fault("pre-unit-scale", PRE, PRE_T, replace=(("((pixels - PIXEL_MEAN) / PIXEL_SCALE)", "(pixels / 255.0)"),),
          why="scales pixels to [0, 1] instead of (v - 127) / 128"),
    Fault("pre-imagenet-mean-std", PRE, PRE_T,
          replace=(("((pixels - PIXEL_MEAN) / PIXEL_SCALE)",
                    "((pixels / 255.0 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225]))"),),
          why="another network's normalisation (torchvision's per-channel mean and std)"),
    Fault("pre-no-centre-crop", PRE, PRE_T,
          replace=(("image = image.resize((round(width * scale), round(height * scale)), Image.BILINEAR)",
                    "image = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)"),),
          why="squashes the whole photograph to 224x224 instead of resizing and cropping"),
    Fault("pre-corner-crop", PRE, PRE_T, replace=(("left, top = (width - IMAGE_SIZE) // 2, (height - IMAGE_SIZE) // 2", "left, top = 0, 0"),),
          why="crops the top-left corner"),
    Fault("pre-longer-side", PRE, PRE_T, replace=(("scale = 256 / min(width, height)", "scale = 256 / max(width, height)"),),
          why="resizes the longer side to 256"),
    # top_k_labels
    Fault("topk-train-mode", TOPK, TOPK_T, replace=(("    model.eval()\n", ""),), why="leaves the model in training mode"),
    Fault("topk-records-gradients", TOPK, TOPK_T,
          replace=(("    with torch.no_grad():\n        probabilities = torch.softmax(model(image.to(device)), dim=1)[0]",
                    "    probabilities = torch.softmax(model(image.to(device)), dim=1)[0].detach()"),),
          why="runs the model with autograd recording (and detaches afterwards)"),
    Fault("topk-softmax-batch-axis", TOPK, TOPK_T, replace=(("torch.softmax(model(image.to(device)), dim=1)", "torch.softmax(model(image.to(device)), dim=0)"),),
          why="softmax over the batch axis"),
    Fault("topk-logits", TOPK, TOPK_T, replace=(("torch.softmax(model(image.to(device)), dim=1)[0]", "model(image.to(device))[0]"),),
          why="returns logits, not probabilities"),
    Fault("topk-ascending", TOPK, TOPK_T, replace=(("probabilities.topk(k)", "probabilities.topk(k, largest=False)"),),
          why="the least likely classes"),
    Fault("topk-off-by-one-name", TOPK, TOPK_T, replace=(("(names[i], float(p))", "(names[i - 1], float(p))"),),
          why="class names shifted by one"),
    # freeze
    Fault("freeze-eval-only", FREEZE, FREEZE_T,
          replace=(("    for parameter in module.parameters():\n        parameter.requires_grad_(False)\n", "    module.eval()\n"),),
          why="thinks evaluation mode freezes the weights"),
    Fault("freeze-top-level-only", FREEZE, FREEZE_T, replace=(("module.parameters()", "module.parameters(recurse=False)"),),
          why="misses the parameters of submodules"),
    Fault("freeze-children-only", FREEZE, FREEZE_T,
          replace=(("    for parameter in module.parameters():\n        parameter.requires_grad_(False)\n",
                    "    for child in module.children():\n        for parameter in child.parameters(recurse=False):\n"
                    "            parameter.requires_grad_(False)\n"),),
          why="freezes one level of children only"),
    Fault("freeze-no-return", FREEZE, FREEZE_T, replace=(("    return module\n", ""),), why="forgets to return the module"),
    # replace_classifier
    Fault("head-1000-inputs", HEAD, HEAD_T, replace=(("nn.Linear(old.in_features, n_classes)", "nn.Linear(old.out_features, n_classes)"),),
          why="uses the old head's 1000 outputs as inputs"),
    Fault("head-hard-coded-1280", HEAD, HEAD_T, replace=(("nn.Linear(old.in_features, n_classes)", "nn.Linear(1280, n_classes)"),),
          why="assumes 1280 inputs instead of reading them"),
    Fault("head-frozen", HEAD, HEAD_T,
          replace=(("    return model\n", "    model._fc.requires_grad_(False)\n    return model\n"),), why="a new head that cannot learn"),
    Fault("head-wrong-attribute", HEAD, HEAD_T, replace=(("model._fc = nn.Linear", "model.fc = nn.Linear"),),
          why="adds a new attribute instead of replacing _fc"),
    # extract_features
    Fault("features-train-mode", FEAT, FEAT_T, replace=(("    model.eval()\n", ""),), why="batch norm in training mode"),
    Fault("features-not-pooled", FEAT, FEAT_T, replace=(("maps.mean(dim=(2, 3))", "maps.flatten(1)"),), why="flattens the map instead of pooling"),
    Fault("features-max-pooled", FEAT, FEAT_T, replace=(("maps.mean(dim=(2, 3))", "maps.amax(dim=(2, 3))"),), why="max pooling"),
    Fault("features-drops-last-batch", FEAT, FEAT_T,
          replace=(("range(0, len(images), batch_size)", "range(0, len(images) - batch_size + 1, batch_size)"),),
          why="drops the last, smaller batch"),
    Fault("features-logits", FEAT, FEAT_T,
          replace=(("maps = model.extract_features(images[start:start + batch_size].to(device))\n            features.append(maps.mean(dim=(2, 3)).cpu())",
                    "features.append(model(images[start:start + batch_size].to(device)).cpu())"),),
          why="returns the logits"),
    # linear_probe
    Fault("probe-no-zero-grad", PROBE, PROBE_T, replace=(("        optimiser.zero_grad()\n", ""),), why="gradients accumulate"),
    Fault("probe-no-weight-decay", PROBE, PROBE_T, replace=(("lr=lr, weight_decay=weight_decay)", "lr=lr)"),),
          why="ignores weight_decay (AdamW's default is used)"),
    Fault("probe-sgd", PROBE, PROBE_T, replace=(("torch.optim.AdamW(layer.parameters(), lr=lr, weight_decay=weight_decay)",
                                                  "torch.optim.SGD(layer.parameters(), lr=lr, weight_decay=weight_decay)"),),
          why="SGD instead of AdamW"),
    Fault("probe-random-init", PROBE, PROBE_T, replace=(("    nn.init.zeros_(layer.weight)\n    nn.init.zeros_(layer.bias)\n", ""),),
          why="keeps the random initialisation"),
    Fault("probe-double-softmax", PROBE, PROBE_T,
          replace=(("F.cross_entropy(layer(features), labels)", "F.cross_entropy(layer(features).softmax(dim=1), labels)"),),
          why="softmax before cross_entropy"),
    Fault("probe-one-step-short", PROBE, PROBE_T, replace=(("for _ in range(steps):", "for _ in range(steps - 1):"),), why="off by one step"),
    # nearest_neighbours
    Fault("nn-ascending", NN, NN_T, replace=(("similarity.topk(k, dim=1)", "similarity.topk(k, dim=1, largest=False)"),),
          why="the least similar first"),
    Fault("nn-dot-product", NN, NN_T,
          replace=(("    gallery = features / features.norm(dim=1, keepdim=True).clamp_min(1e-12)\n", "    gallery = features\n"),),
          why="dot product with unnormalised gallery vectors"),
    Fault("nn-normalise-wrong-axis", NN, NN_T,
          replace=(("gallery = features / features.norm(dim=1, keepdim=True)", "gallery = features / features.norm(dim=0, keepdim=True)"),),
          why="normalises the feature columns instead of the rows"),
    Fault("nn-excludes-first", NN, NN_T, replace=(("indices = similarity.topk(k, dim=1).indices", "indices = similarity.topk(k + 1, dim=1).indices[:, 1:]"),),
          why="drops the best match, assuming the query is in the gallery"),
    Fault("nn-library-cosine", NN, NN_T,
          source="def nearest_neighbours(features, query, k):\n"
                 "    queries = query.reshape(-1, features.shape[1])\n"
                 "    similarity = F.cosine_similarity(queries[:, None, :], features[None, :, :], dim=2)\n"
                 "    indices = similarity.topk(k, dim=1).indices\n"
                 "    return indices[0] if query.dim() == 1 else indices\n",
          why="calls the forbidden torch.nn.functional.cosine_similarity"),
    Fault("nn-euclidean-cdist", NN, NN_T,
          source="def nearest_neighbours(features, query, k):\n"
                 "    queries = query.reshape(-1, features.shape[1])\n"
                 "    indices = torch.cdist(queries, features).topk(k, dim=1, largest=False).indices\n"
                 "    return indices[0] if query.dim() == 1 else indices\n",
          why="Euclidean distance with the forbidden torch.cdist"),
]
