"""Plausible wrong answers to lab 5. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

SIZE, SIZE_T = "lab05-conv-output-size", ("lab05-conv-output-size-tests",)
CONV, CONV_T = "lab05-conv2d-naive", ("lab05-conv2d-naive-tests",)
POOL, POOL_T = "lab05-max-pool2d-naive", ("lab05-max-pool2d-naive-tests",)
RES, RES_T = "lab05-residual-block", ("lab05-residual-block-tests",)
BRANCH, BRANCH_T = "lab05-branch-block", ("lab05-branch-block-tests",)
SIMPLE, SIMPLE_T = "lab05-simple-cnn", ("lab05-simple-cnn-tests",)
REG, REG_T = "lab05-regularised-cnn", ("lab05-regularised-cnn-tests",)
SAVE, SAVE_T = "lab05-save-load", ("lab05-save-load-tests",)
TRAIN, TRAIN_T = "lab05-train-regularised", ("lab05-train-regularised-tests",)
PRE, PRE_T = "lab05-preprocess-image", ("lab05-preprocess-image-tests",)
MAPS, MAPS_T = "lab05-feature-maps", ("lab05-feature-maps-tests",)
SAL, SAL_T = "lab05-saliency-map", ("lab05-saliency-map-tests",)

FAULTS = [
    # conv_output_size
    Fault("size-ignores-dilation", SIZE, SIZE_T, replace=(("dilation * (kernel - 1)", "(kernel - 1)"),), why="no dilation"),
    Fault("size-padding-once", SIZE, SIZE_T, replace=(("2 * padding", "padding"),), why="pads one side only"),
    Fault("size-true-division", SIZE, SIZE_T,
          replace=(("return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1",
                    "return round((n + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1)"),),
          why="rounds instead of flooring"),
    Fault("size-no-plus-one", SIZE, SIZE_T, replace=(("// stride + 1", "// stride"),), why="off by one"),
    # conv2d_naive
    Fault("conv-flips-kernel", CONV, CONV_T, replace=(("weight[:, :, u, v]", "weight[:, :, kh - 1 - u, kw - 1 - v]"),),
          why="a true convolution, not PyTorch's cross-correlation"),
    Fault("conv-ignores-bias", CONV, CONV_T, replace=(("out = out + bias.view(1, -1, 1, 1)", "pass"),), why="drops the bias"),
    Fault("conv-ignores-padding", CONV, CONV_T, replace=(("xp = F.pad(x, (padding, padding, padding, padding))", "xp = x"),),
          why="forgets to pad"),
    Fault("conv-stride-after", CONV, CONV_T,
          replace=(("patch = xp[:, :, u:u + stride * (h_out - 1) + 1:stride, v:v + stride * (w_out - 1) + 1:stride]",
                    "patch = xp[:, :, u:u + h_out, v:v + w_out]"),),
          why="ignores the stride when slicing"),
    Fault("conv-channels-not-summed", CONV, CONV_T, replace=(('"nchw,oc->nohw"', '"nchw,oc->nohw"'), ("weight[:, :, u, v])", "weight[:, :1, u, v].expand(-1, c_in))")),
          why="uses the first input channel's weights for every channel"),
    Fault("conv-calls-f-conv2d", CONV, CONV_T,
          source="def conv2d_naive(x, weight, bias=None, stride=1, padding=0):\n"
                 "    return F.conv2d(x, weight, bias, stride=stride, padding=padding)\n",
          why="delegates to the function it was asked to write"),
    Fault("conv-torch-alias", CONV, CONV_T,
          source="from torch import conv2d as correlate\n\n\n"
                 "def conv2d_naive(x, weight, bias=None, stride=1, padding=0):\n"
                 "    return correlate(x, weight, bias, stride, padding)\n",
          why="delegates to torch.conv2d under another name"),
    Fault("conv-module", CONV, CONV_T,
          source="def conv2d_naive(x, weight, bias=None, stride=1, padding=0):\n"
                 "    layer = nn.Conv2d(weight.shape[1], weight.shape[0], tuple(weight.shape[2:]), stride=stride, padding=padding,\n"
                 "                      bias=bias is not None).to(x.dtype)\n"
                 "    layer.weight = nn.Parameter(weight)\n"
                 "    if bias is not None:\n"
                 "        layer.bias = nn.Parameter(bias)\n"
                 "    return layer(x)\n",
          why="an nn.Conv2d with the given weights (its forward calls F.conv2d)"),
    Fault("conv-f-unfold", CONV, CONV_T,
          source="def conv2d_naive(x, weight, bias=None, stride=1, padding=0):\n"
                 "    n, c_in, h, w = x.shape\n"
                 "    c_out, _, kh, kw = weight.shape\n"
                 "    h_out, w_out = conv_output_size(h, kh, stride, padding), conv_output_size(w, kw, stride, padding)\n"
                 "    columns = F.unfold(x, (kh, kw), padding=padding, stride=stride)\n"
                 "    out = (weight.reshape(c_out, -1) @ columns).reshape(n, c_out, h_out, w_out)\n"
                 "    return out if bias is None else out + bias.view(1, -1, 1, 1)\n",
          why="im2col with F.unfold, which cuts out the patches for you"),
    Fault("conv-tensor-unfold", CONV, CONV_T,
          source="def conv2d_naive(x, weight, bias=None, stride=1, padding=0):\n"
                 "    xp = F.pad(x, (padding, padding, padding, padding))\n"
                 "    patches = xp.unfold(2, weight.shape[2], stride).unfold(3, weight.shape[3], stride)\n"
                 "    out = torch.einsum('nchwuv,ocuv->nohw', patches, weight)\n"
                 "    return out if bias is None else out + bias.view(1, -1, 1, 1)\n",
          why="Tensor.unfold makes the sliding windows"),
    # max_pool2d_naive
    Fault("pool-calls-f-max-pool2d", POOL, POOL_T,
          source="def max_pool2d_naive(x, kernel, stride=None):\n    return F.max_pool2d(x, kernel, stride)\n",
          why="delegates to the function it was asked to write"),
    Fault("pool-module", POOL, POOL_T,
          source="def max_pool2d_naive(x, kernel, stride=None):\n    return nn.MaxPool2d(kernel, stride)(x)\n",
          why="an nn.MaxPool2d (its forward calls F.max_pool2d)"),
    Fault("pool-torch-alias", POOL, POOL_T,
          source="from torch.nn.functional import max_pool2d as largest_in_window\n\n\n"
                 "def max_pool2d_naive(x, kernel, stride=None):\n"
                 "    return largest_in_window(x, kernel, kernel if stride is None else stride)\n",
          why="delegates to F.max_pool2d under another name"),
    Fault("pool-tensor-unfold", POOL, POOL_T,
          source="def max_pool2d_naive(x, kernel, stride=None):\n"
                 "    stride = kernel if stride is None else stride\n"
                 "    return x.unfold(2, kernel, stride).unfold(3, kernel, stride).amax(dim=(-2, -1))\n",
          why="Tensor.unfold makes the windows"),
    Fault("pool-stride-one", POOL, POOL_T, replace=(("stride = kernel if stride is None else stride", "stride = 1 if stride is None else stride"),),
          why="default stride 1"),
    Fault("pool-average", POOL, POOL_T,
          replace=(("out = patch if out is None else torch.maximum(out, patch)", "out = patch / kernel ** 2 if out is None else out + patch / kernel ** 2"),),
          why="average pooling"),
    Fault("pool-zero-start", POOL, POOL_T, replace=(("    out = None\n", "    out = torch.zeros(())\n"),
                                                  ("out = patch if out is None else torch.maximum(out, patch)", "out = torch.maximum(out, patch)")),
          why="starts the max at 0, wrong for negative inputs"),
    # ResidualBlock
    Fault("residual-no-skip", RES, RES_T, replace=(("return F.relu(out + x)", "return F.relu(out)"),), why="no identity path"),
    Fault("residual-no-final-relu", RES, RES_T, replace=(("return F.relu(out + x)", "return out + x"),), why="no ReLU after the sum"),
    Fault("residual-relu-before-sum", RES, RES_T, replace=(("return F.relu(out + x)", "return F.relu(out) + x"),), why="ReLU on the branch only"),
    Fault("residual-with-bias", RES, RES_T, replace=(("self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)", "self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)"),),
          why="a convolution with a bias"),
    Fault("residual-conv1-twice", RES, RES_T, replace=(("out = self.bn2(self.conv2(out))", "out = self.bn2(self.conv1(out))"),),
          why="applies conv1 twice and leaves conv2 unused"),
    # BranchBlock
    Fault("branch-wrong-order", BRANCH, BRANCH_T,
          replace=(("branches = [self.branch1, self.branch3, self.branch5, self.branch_pool]", "branches = [self.branch_pool, self.branch1, self.branch3, self.branch5]"),),
          why="concatenates in the wrong order"),
    Fault("branch-no-relu", BRANCH, BRANCH_T, replace=(("[F.relu(branch(x)) for branch in branches]", "[branch(x) for branch in branches]"),),
          why="no ReLU"),
    Fault("branch-five-as-three", BRANCH, BRANCH_T, replace=(("nn.Conv2d(in_channels, branch_channels, 5, padding=2)", "nn.Conv2d(in_channels, branch_channels, 3, padding=1)"),),
          why="a second 3x3 branch"),
    Fault("branch-pool-without-conv", BRANCH, BRANCH_T,
          replace=(("nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(in_channels, branch_channels, 1))",
                    "nn.Sequential(nn.Conv2d(in_channels, branch_channels, 1), nn.MaxPool2d(3, stride=1, padding=1))"),),
          why="pools after the 1x1 convolution"),
    Fault("branch-pool-no-grad", BRANCH, BRANCH_T,
          replace=(("        branches = [self.branch1, self.branch3, self.branch5, self.branch_pool]\n"
                    "        return torch.cat([F.relu(branch(x)) for branch in branches], dim=1)",
                    "        with torch.no_grad():  # pooling has no parameters to learn\n"
                    "            pooled = self.branch_pool(x)\n"
                    "        outputs = [self.branch1(x), self.branch3(x), self.branch5(x), pooled]\n"
                    "        return torch.cat([F.relu(out) for out in outputs], dim=1)"),),
          why="runs the pooling branch without gradients, so its 1x1 convolution never learns"),
    # SimpleCNN
    Fault("simple-no-relu", SIMPLE, SIMPLE_T, replace=(("nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),", "nn.Conv2d(16, 32, 3, padding=1),"),),
          why="no nonlinearity after the second convolution"),
    Fault("simple-hidden-64", SIMPLE, SIMPLE_T, replace=(("nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)", "nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10)"),),
          why="a 64-unit hidden layer"),
    Fault("simple-avg-pool", SIMPLE, SIMPLE_T, replace=(("nn.MaxPool2d(2),\n            nn.Flatten()", "nn.AvgPool2d(2),\n            nn.Flatten()"),),
          why="average pooling in the second stage"),
    Fault("simple-no-padding", SIMPLE, SIMPLE_T,
          replace=(("nn.Conv2d(1, 16, 3, padding=1)", "nn.Conv2d(1, 16, 3)"), ("nn.Conv2d(16, 32, 3, padding=1)", "nn.Conv2d(16, 32, 3)"),
                   ("nn.Linear(32 * 7 * 7, 128)", "nn.Linear(32 * 5 * 5, 128)")),
          why="valid convolutions (5x5 maps at the end)"),
    Fault("simple-features-no-grad", SIMPLE, SIMPLE_T,
          source="class SimpleCNN(nn.Module):\n"
                 "    def __init__(self):\n"
                 "        super().__init__()\n"
                 "        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
                 "                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))\n"
                 "        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))\n"
                 "\n"
                 "    def forward(self, x):\n"
                 "        with torch.no_grad():  # the features are just a fixed transform of the image\n"
                 "            h = self.features(x)\n"
                 "        return self.classifier(h)\n",
          why="computes the convolutions without gradients: only the classifier can learn"),
    # RegularisedCNN
    Fault("reg-fixed-dropout", REG, REG_T, replace=(("nn.Flatten(), nn.Dropout(dropout)", "nn.Flatten(), nn.Dropout(0.3)"),),
          why="ignores the dropout argument in the first dropout layer"),
    Fault("reg-no-batchnorm", REG, REG_T, replace=(("nn.BatchNorm2d(16), ", ""), ("nn.BatchNorm2d(32), ", "")), why="no batch norm"),
    Fault("reg-conv-bias", REG, REG_T, replace=(("nn.Conv2d(1, 16, 3, padding=1, bias=False)", "nn.Conv2d(1, 16, 3, padding=1)"),), why="a bias before batch norm"),
    Fault("reg-bn-before-pool", REG, REG_T,
          replace=(("nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU()", "nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2)"),),
          why="the usual order, not the one asked for"),
    Fault("reg-detached-features", REG, REG_T,
          source="class RegularisedCNN(nn.Module):\n"
                 "    def __init__(self, dropout=0.3):\n"
                 "        super().__init__()\n"
                 "        self.features = nn.Sequential(\n"
                 "            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU(),\n"
                 "            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(32), nn.ReLU())\n"
                 "        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(32 * 7 * 7, 128), nn.ReLU(),\n"
                 "                                        nn.Dropout(dropout), nn.Linear(128, 10))\n"
                 "\n"
                 "    def forward(self, x):\n"
                 "        return self.classifier(self.features(x).detach())\n",
          why="detaches the feature maps, cutting the graph: the convolutions and batch norms never learn"),
    # save/load
    Fault("save-parameters-only", SAVE, SAVE_T, replace=(("torch.save(model.state_dict(), path)", "torch.save(dict(model.named_parameters()), path)"),),
          why="loses the batch-norm buffers"),
    Fault("load-ignores-file", SAVE, SAVE_T,
          replace=(('model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))', 'torch.load(path, map_location="cpu", weights_only=True)'),),
          why="reads the file but never loads it"),
    Fault("save-whole-model", SAVE, SAVE_T,
          replace=(("torch.save(model.state_dict(), path)", "torch.save(model, path)"),
                   ('model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))',
                    'model.load_state_dict(torch.load(path, map_location="cpu", weights_only=False).state_dict())')),
          why="pickles the whole model"),
    Fault("load-returns-new-model", SAVE, SAVE_T,
          replace=(("    return model\n", "    return type(model)()\n"),), why="returns a fresh, untrained model"),
    # training the regularised CNN
    Fault("train-reg-tiny-lr", TRAIN, TRAIN_T, replace=(("lr=3e-3", "lr=3e-6"),), why="learning rate far too small"),
    Fault("train-reg-no-epochs", TRAIN, TRAIN_T, replace=((".run(epochs=2)", ".run(epochs=0)"),), why="never trains"),
    Fault("train-reg-diverges", TRAIN, TRAIN_T,
          replace=(("torch.optim.Adam(regularised.parameters(), lr=3e-3)", "torch.optim.SGD(regularised.parameters(), lr=30.0)"),),
          why="a learning rate that diverges"),
    # preprocess_image
    Fault("pre-no-inversion", PRE, PRE_T, replace=(("    if frame.mean() > 0.5:\n        pixels = 1.0 - pixels\n", ""),),
          why="keeps dark digits on light paper"),
    Fault("pre-always-invert", PRE, PRE_T, replace=(("    if frame.mean() > 0.5:\n        pixels = 1.0 - pixels\n", "    pixels = 1.0 - pixels\n"),),
          why="inverts light-on-dark images too"),
    Fault("pre-no-standardise", PRE, PRE_T,
          replace=(("torch.tensor((canvas - DIGIT_MEAN) / DIGIT_STD, dtype=torch.float32)", "torch.tensor(canvas, dtype=torch.float32)"),),
          why="forgets the standardisation"),
    Fault("pre-fill-28", PRE, PRE_T, replace=(("scale = 20.0 / max(h, w)", "scale = 28.0 / max(h, w)"),), why="fills the whole 28x28 image"),
    Fault("pre-top-left", PRE, PRE_T,
          replace=(("top = int(np.clip(round(13.5 - centre_row), 0, 28 - new_h))", "top = 0"),
                   ("left = int(np.clip(round(13.5 - centre_col), 0, 28 - new_w))", "left = 0")),
          why="pastes the digit in the corner"),
    Fault("pre-squash", PRE, PRE_T, replace=(("new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))", "new_w, new_h = 20, 20"),),
          why="stretches every digit to 20x20"),
    # feature_maps
    Fault("maps-hook-left", MAPS, MAPS_T, replace=(("        handle.remove()\n", "        pass\n"),), why="never removes the hook"),
    Fault("maps-no-finally", MAPS, MAPS_T,
          replace=(("    try:\n        with torch.no_grad():\n            model(x)\n    finally:\n        handle.remove()\n",
                    "    with torch.no_grad():\n        model(x)\n    handle.remove()\n"),),
          why="leaves the hook when the forward pass raises"),
    Fault("maps-model-output", MAPS, MAPS_T,
          source="def feature_maps(model, x, layer):\n"
                 "    with torch.no_grad():\n"
                 "        return model(x)\n",
          why="returns the model's output"),
    Fault("maps-input-not-output", MAPS, MAPS_T, replace=(("captured.append(output.detach())", "captured.append(inputs[0].detach())"),),
          why="captures the layer's input"),
    # saliency_map
    Fault("saliency-probability", SAL, SAL_T, replace=(("score = model(inputs)[0, target]", "score = model(inputs).softmax(dim=1)[0, target]"),),
          why="gradient of the probability, not the logit"),
    Fault("saliency-abs", SAL, SAL_T, replace=(("return gradient.detach()", "return gradient.detach().abs()"),), why="returns |gradient|"),
    Fault("saliency-train-mode", SAL, SAL_T, replace=(("    model.eval()\n", ""),), why="dropout still on"),
    Fault("saliency-backward", SAL, SAL_T,
          replace=(("    (gradient,) = torch.autograd.grad(score, inputs)\n", "    score.backward()\n    gradient = inputs.grad\n"),),
          why="backward() leaves gradients in the model"),
    Fault("saliency-modifies-x", SAL, SAL_T,
          replace=(("inputs = x.detach().clone().requires_grad_(True)", "inputs = x.requires_grad_(True)"),), why="changes the caller's tensor"),
]

# notebook 4: shifts, global average pooling, depth
SHIFT, SHIFT_T = "lab05-shift-images", ("lab05-shift-images-tests",)
TINY, TINY_T = "lab05-tiny-resnet", ("lab05-tiny-resnet-tests",)

FAULTS += [
    # shift_images
    Fault("shift-roll", SHIFT, SHIFT_T,
          source="def shift_images(x, dy, dx):\n    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))\n",
          why="torch.roll wraps the content around instead of filling with zeros"),
    Fault("shift-axes-swapped", SHIFT, SHIFT_T,
          source="def shift_images(x, dy, dx):\n"
                 "    h, w = x.shape[-2:]\n"
                 "    out = torch.zeros_like(x)\n"
                 "    if abs(dy) >= w or abs(dx) >= h:\n"
                 "        return out\n"
                 "    out[..., max(dx, 0):h + min(dx, 0), max(dy, 0):w + min(dy, 0)] = \\\n"
                 "        x[..., max(-dx, 0):h + min(-dx, 0), max(-dy, 0):w + min(-dy, 0)]\n"
                 "    return out\n",
          why="moves dy along the columns and dx along the rows"),
    Fault("shift-wrong-direction", SHIFT, SHIFT_T,
          source="def shift_images(x, dy, dx):\n"
                 "    h, w = x.shape[-2:]\n"
                 "    out = torch.zeros_like(x)\n"
                 "    if abs(dy) >= h or abs(dx) >= w:\n"
                 "        return out\n"
                 "    out[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)] = \\\n"
                 "        x[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)]\n"
                 "    return out\n",
          why="moves up and left for positive shifts"),
    Fault("shift-in-place", SHIFT, SHIFT_T,
          source="def shift_images(x, dy, dx):\n"
                 "    h, w = x.shape[-2:]\n"
                 "    if abs(dy) >= h or abs(dx) >= w:\n"
                 "        return x.zero_()\n"
                 "    moved = x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)].clone()\n"
                 "    x.zero_()\n"
                 "    x[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = moved\n"
                 "    return x\n",
          why="shifts the caller's tensor in place"),
    Fault("shift-no-large-guard", SHIFT, SHIFT_T,
          replace=(("    if abs(dy) >= h or abs(dx) >= w:\n        return out\n", ""),),
          why="fails for shifts larger than the image"),
    # TinyResNet
    Fault("tiny-ignores-residual", TINY, TINY_T,
          replace=(("x = F.relu(x + h) if self.residual else F.relu(h)", "x = F.relu(x + h)"),),
          why="always adds the shortcut"),
    Fault("tiny-global-max", TINY, TINY_T, replace=(("x.mean(dim=(2, 3))", "x.amax(dim=(2, 3))"),),
          why="global max pooling instead of the average"),
    Fault("tiny-flatten-head", TINY, TINY_T,
          replace=(("self.fc = nn.Linear(channels, 10)", "self.fc = nn.Linear(channels * 14 * 14, 10)"),
                   ("return self.fc(x.mean(dim=(2, 3)))", "return self.fc(x.flatten(1))")),
          why="flattens the 14x14 maps instead of averaging them"),
    Fault("tiny-plain-list", TINY, TINY_T,
          replace=(("self.convs = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1, bias=False) for _ in range(depth))",
                    "self.convs = [nn.Conv2d(channels, channels, 3, padding=1, bias=False) for _ in range(depth)]"),),
          why="keeps the convolutions in a plain list: they are not registered and never trained"),
    Fault("tiny-relu-before-sum", TINY, TINY_T,
          replace=(("x = F.relu(x + h) if self.residual else F.relu(h)", "x = x + F.relu(h) if self.residual else F.relu(h)"),),
          why="ReLU on the branch only"),
    Fault("tiny-detached-head", TINY, TINY_T,
          replace=(("return self.fc(x.mean(dim=(2, 3)))", "return self.fc(x.mean(dim=(2, 3)).detach())"),),
          why="detaches the pooled features: only the head can learn"),
]
