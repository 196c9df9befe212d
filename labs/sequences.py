"""Sequence tasks, a reference transformer block and a training loop for the transformer notebooks of lab 10.

The notebooks ask students to write attention, multi-head attention, positional encodings, a transformer block
and a small model. What is *not* the exercise lives here, written with PyTorch's own layers and losses, so that
a mistake in one exercise costs only that exercise's points:

* the tasks: :func:`task_batch` makes sequences ``x_1 ... x_n SEP y_1 ... y_n`` where ``y`` is ``x`` reversed
  (or sorted), drawn from a ``torch.Generator``;
* :class:`PreNormBlock`: a pre-norm transformer block built on ``nn.MultiheadAttention``, which notebook 3's
  model is made of (it can record its attention weights for plotting);
* :func:`train_sequence_model`: Adam with teacher forcing and cross-entropy on the answer tokens only;
* :func:`greedy_answers` and :func:`token_accuracy`: the answer generated one token at a time, each prediction
  fed back in, and the fraction of answer tokens that are right.

A model here maps tokens ``(B, T)`` (``torch.long``) to logits ``(B, T, vocab)``, the logits at position ``t``
predicting the token at ``t + 1``; it must not look at later positions (a causal model).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F

TASKS = ("reverse", "sort")


def task_batch(task: str, batch_size: int, length: int, digits: int, generator: torch.Generator) -> torch.Tensor:
    """``batch_size`` sequences ``x_1 .. x_length SEP y_1 .. y_length`` as a ``(batch_size, 2 * length + 1)`` long tensor.

    The ``x`` are uniform random digits ``0 .. digits - 1``; the separator is the token ``digits`` (so the
    vocabulary has ``digits + 1`` tokens); ``y`` is ``x`` reversed (``task="reverse"``) or sorted in
    increasing order (``task="sort"``).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if length < 1 or digits < 2:
        raise ValueError("length must be at least 1 and digits at least 2")
    x = torch.randint(digits, (batch_size, length), generator=generator)
    y = x.flip(1) if task == "reverse" else x.sort(dim=1).values
    separator = torch.full((batch_size, 1), digits, dtype=torch.long)
    return torch.cat([x, separator, y], dim=1)


def answer_loss(logits: torch.Tensor, sequences: torch.Tensor, length: int) -> torch.Tensor:
    """Mean cross-entropy of the answer tokens, the model having read ``sequences[:, :-1]`` (teacher forcing).

    ``logits`` are ``(B, 2 * length, vocab)``: position ``t`` predicts token ``t + 1``, so the answer
    ``sequences[:, length + 1:]`` is predicted at positions ``length .. 2 * length - 1``.
    """
    answer_logits = logits[:, length:, :]
    return F.cross_entropy(answer_logits.reshape(-1, answer_logits.shape[-1]), sequences[:, length + 1:].reshape(-1))


class PreNormBlock(nn.Module):
    """A pre-norm transformer block: ``x + attn(LN(x))``, then ``x + MLP(LN(x))`` with a GELU MLP of width ``d_ff``.

    ``forward(x, mask)`` takes ``x`` of shape ``(B, T, d_model)`` and a boolean ``mask`` ``(T, T)`` that is
    True where a position may attend (the convention of the notebooks; PyTorch's ``attn_mask`` is the opposite).
    With ``record_attention`` set, the block keeps the last attention weights, ``(B, n_heads, T, T)``, in
    ``attention``.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int | None = None):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff or 4 * d_model), nn.GELU(), nn.Linear(d_ff or 4 * d_model, d_model))
        self.record_attention = False
        self.attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.norm1(x)
        blocked = None if mask is None else ~mask
        out, weights = self.attn(h, h, h, attn_mask=blocked, need_weights=self.record_attention, average_attn_weights=False)
        if self.record_attention:
            self.attention = weights.detach()
        x = x + out
        return x + self.mlp(self.norm2(x))


@contextlib.contextmanager
def recording_attention(model: nn.Module):
    """While the block runs, every :class:`PreNormBlock` in ``model`` keeps its attention weights in ``.attention``."""
    blocks = [m for m in model.modules() if isinstance(m, PreNormBlock)]
    for block in blocks:
        block.record_attention = True
    try:
        yield blocks
    finally:
        for block in blocks:
            block.record_attention = False


def train_sequence_model(model: nn.Module, *, task: str = "reverse", length: int = 6, digits: int = 10,
                         steps: int = 800, batch_size: int = 64, lr: float = 3e-3, warmup: int = 50,
                         seed: int = 0) -> list[float]:
    """Train ``model`` on fresh batches of ``task`` with Adam and teacher forcing; the loss of every step.

    Each step draws a new batch (one generator seeded with ``seed`` draws them all, so a seed fixes the run),
    feeds ``sequences[:, :-1]`` to the model and minimises :func:`answer_loss`. The learning rate rises
    linearly over ``warmup`` steps, then decays to a tenth along a cosine. The model is left in eval mode.
    """
    import math

    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    model.train()
    losses = []
    for _ in range(steps):
        sequences = task_batch(task, batch_size, length, digits, generator).to(device)
        loss = answer_loss(model(sequences[:, :-1]), sequences, length)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses


def greedy_answers(model: nn.Module, prompts: torch.Tensor, length: int) -> torch.Tensor:
    """The model's answers ``(B, length)`` to ``prompts`` ``(B, P)`` (``x`` and the separator), one token at a time.

    Each step runs the model on the prompt and the tokens generated so far and appends the most likely next
    token: the model never sees the true answer.
    """
    tokens = prompts
    with torch.no_grad():
        for _ in range(length):
            next_token = model(tokens)[:, -1, :].argmax(dim=-1, keepdim=True)
            tokens = torch.cat([tokens, next_token], dim=1)
    return tokens[:, prompts.shape[1]:]


def token_accuracy(model: nn.Module, sequences: torch.Tensor, length: int) -> float:
    """Fraction of answer tokens that :func:`greedy_answers` gets right on ``sequences`` ``(B, 2 * length + 1)``."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    sequences = sequences.to(device)
    answers = greedy_answers(model, sequences[:, :length + 1], length)
    model.train(was_training)
    return float((answers == sequences[:, length + 1:]).float().mean())
