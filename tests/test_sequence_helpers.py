"""labs.sequences, the plumbing of lab 10's transformer notebooks: not exercises, but tested."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from labs import sequences

pytestmark = pytest.mark.usefixtures("one_blas_thread")  # as in the grading sandbox (tests/conftest.py)


def test_task_batch_reverses_and_sorts_with_a_separator():
    batch = sequences.task_batch("reverse", 50, 5, 7, torch.Generator().manual_seed(0))
    assert batch.shape == (50, 11) and batch.dtype == torch.long
    x, separator, y = batch[:, :5], batch[:, 5], batch[:, 6:]
    assert bool((separator == 7).all()) and bool(((x >= 0) & (x < 7)).all())
    assert torch.equal(y, x.flip(1))
    assert len(torch.unique(x)) == 7  # all digits occur
    sorted_batch = sequences.task_batch("sort", 50, 5, 7, torch.Generator().manual_seed(0))
    assert torch.equal(sorted_batch[:, :5], x)  # the same draws for the same seed
    assert torch.equal(sorted_batch[:, 6:], x.sort(dim=1).values)
    assert bool((sorted_batch[:, 7:] >= sorted_batch[:, 6:-1]).all())
    again = sequences.task_batch("reverse", 50, 5, 7, torch.Generator().manual_seed(0))
    other = sequences.task_batch("reverse", 50, 5, 7, torch.Generator().manual_seed(1))
    assert torch.equal(batch, again) and not torch.equal(batch, other)
    with pytest.raises(ValueError, match="task"):
        sequences.task_batch("copy", 2, 3, 4, torch.Generator())
    with pytest.raises(ValueError):
        sequences.task_batch("reverse", 2, 0, 4, torch.Generator())


def test_answer_loss_scores_only_the_answer_tokens_one_position_ahead():
    seq = sequences.task_batch("reverse", 4, 3, 5, torch.Generator().manual_seed(2))  # (4, 7); the model reads (4, 6)
    logits = torch.randn(4, 6, 6, generator=torch.Generator().manual_seed(3), requires_grad=True)
    loss = sequences.answer_loss(logits, seq, 3)
    expected = torch.stack([F.cross_entropy(logits[:, t], seq[:, t + 1]) for t in range(3, 6)]).mean()
    assert torch.allclose(loss, expected)
    (grad,) = torch.autograd.grad(loss, logits)
    assert bool((grad[:, :3] == 0).all()) and bool((grad[:, 3:].abs().sum(-1) > 0).all())
    perfect = F.one_hot(seq[:, 1:], 6).float() * 50
    assert float(sequences.answer_loss(perfect, seq, 3)) < 1e-10


def _manual_pre_norm(block, x, mask):
    h = block.norm1(x)
    a = block.attn(h, h, h, attn_mask=None if mask is None else ~mask, need_weights=False)[0]
    x = x + a
    return x + block.mlp(block.norm2(x))


def test_pre_norm_block_is_pre_norm_causal_and_records_attention():
    torch.manual_seed(0)
    block = sequences.PreNormBlock(12, 3, d_ff=20)
    assert block.mlp[0].out_features == 20 and sequences.PreNormBlock(8, 2).mlp[0].out_features == 32
    x = torch.randn(2, 7, 12)
    causal = torch.ones(7, 7, dtype=torch.bool).tril()
    y = block(x, causal)
    assert torch.allclose(y, _manual_pre_norm(block, x, causal), atol=1e-6)
    assert torch.allclose(block(x), _manual_pre_norm(block, x, None), atol=1e-6)
    later = x.clone()
    later[:, 5:] = torch.randn(2, 2, 12)
    assert torch.allclose(block(later, causal)[:, :5], y[:, :5], atol=1e-6)
    assert not torch.allclose(block(later)[:, :5], block(x)[:, :5], atol=1e-4)
    assert block.attention is None
    model = nn.ModuleList([block, sequences.PreNormBlock(12, 3)])
    with sequences.recording_attention(model) as blocks:
        assert len(blocks) == 2
        blocks[0](x, causal)
    assert not block.record_attention
    weights = block.attention
    assert weights.shape == (2, 3, 7, 7) and not weights.requires_grad
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 7), atol=1e-6)
    assert bool((weights[..., ~causal] == 0).all())


class _Reverser(nn.Module):
    """A perfect causal 'model' of the reversal task: at each answer position it predicts the mirrored digit."""

    def __init__(self, length, vocab):
        super().__init__()
        self.length, self.vocab = length, vocab
        self.dummy = nn.Parameter(torch.zeros(()))
        self.calls = 0

    def forward(self, tokens):
        self.calls += 1
        B, T = tokens.shape
        target = torch.zeros(B, T, dtype=torch.long)
        for t in range(self.length, T):
            target[:, t] = tokens[:, 2 * self.length - 1 - t]
        return F.one_hot(target, self.vocab).float() + self.dummy


def test_greedy_answers_feed_predictions_back_and_token_accuracy_counts_them():
    seq = sequences.task_batch("reverse", 30, 4, 6, torch.Generator().manual_seed(4))
    oracle = _Reverser(4, 7)
    answers = sequences.greedy_answers(oracle, seq[:, :5], 4)
    assert answers.shape == (30, 4) and torch.equal(answers, seq[:, 5:]) and oracle.calls == 4
    assert sequences.token_accuracy(oracle, seq, 4) == 1.0

    class NextIsLastPlusOne(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))

        def forward(self, tokens):
            return F.one_hot((tokens + 1) % 7, 7).float() + self.p

    grown = sequences.greedy_answers(NextIsLastPlusOne(), torch.tensor([[0, 2]]), 3)
    assert grown.tolist() == [[3, 4, 5]]  # each prediction is fed back in

    class AlwaysZero(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))

        def forward(self, tokens):
            return F.one_hot(torch.zeros_like(tokens), 7).float() + self.p

    zeros = AlwaysZero().train()
    accuracy = sequences.token_accuracy(zeros, seq, 4)
    assert accuracy == pytest.approx(float((seq[:, 5:] == 0).float().mean())) and 0 < accuracy < 0.5
    assert zeros.training  # the mode is restored


class _Tiny(nn.Module):
    def __init__(self, vocab, d, max_len):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, d), nn.Embedding(max_len, d)
        self.block = sequences.PreNormBlock(d, 2)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens):
        T = tokens.shape[1]
        h = self.tokens(tokens) + self.positions.weight[:T]
        return self.head(self.block(h, torch.ones(T, T, dtype=torch.bool).tril()))


def test_train_sequence_model_learns_reversal_reproducibly():
    torch.manual_seed(0)
    model = _Tiny(5, 32, 8)
    start = [p.detach().clone() for p in model.parameters()]
    losses = sequences.train_sequence_model(model, task="reverse", length=3, digits=4, steps=250, batch_size=32, lr=1e-2,
                                            warmup=20, seed=1)
    assert len(losses) == 250 and not model.training
    assert sum(losses[-20:]) / 20 < 0.2 * sum(losses[:5]) / 5
    held_out = sequences.task_batch("reverse", 300, 3, 4, torch.Generator().manual_seed(9))
    assert sequences.token_accuracy(model, held_out, 3) > 0.9
    torch.manual_seed(0)
    again = _Tiny(5, 32, 8)
    assert all(torch.equal(a, b) for a, b in zip(start, again.parameters()))
    assert sequences.train_sequence_model(again, task="reverse", length=3, digits=4, steps=250, batch_size=32, lr=1e-2,
                                          warmup=20, seed=1) == losses
