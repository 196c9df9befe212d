"""Text for the sequence labs: a train/held-out split of Jane Austen, random windows and length-bucketed batches.

These helpers are not exercises: they are the plumbing that lets a notebook show only what it teaches.

* :func:`austen_split` — training text and a held-out passage from *Pride & Prejudice* (never overlapping);
* :func:`random_windows` — a batch of random windows of a long id sequence, for truncated back-propagation;
* :func:`length_batches` — mini-batches of indices whose sequences have similar lengths, so padding stays small.
"""

from __future__ import annotations

import torch

from labs.data import load_jane_austen


def austen_split(train_chars: int = 600_000, held_out_chars: int = 20_000,
                 title: str = "Pride & Prejudice") -> tuple[str, str]:
    """The first ``train_chars`` characters of a novel, and ``held_out_chars`` characters from its end.

    The held-out passage comes after the training text and never overlaps it; characters that do not occur in the
    training text are dropped from it, so that a vocabulary built from the training text covers it.
    """
    text = load_jane_austen()[title]
    if train_chars + held_out_chars > len(text):
        raise ValueError(f"{title} has {len(text):,d} characters, fewer than {train_chars + held_out_chars:,d}")
    train = text[:train_chars]
    known = set(train)
    held_out = "".join(c for c in text[len(text) - held_out_chars:] if c in known)
    return train, held_out


def random_windows(ids: torch.Tensor, batch_size: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """``batch_size`` windows of ``length + 1`` consecutive ids from the 1-D tensor ``ids``, at random starts.

    Returns a (batch_size, length + 1) tensor: the first ``length`` ids of a window are a model's input and the last
    ``length`` its targets.
    """
    if ids.dim() != 1 or len(ids) < length + 1:
        raise ValueError(f"need a 1-D tensor of at least {length + 1} ids, got shape {tuple(ids.shape)}")
    starts = torch.randint(0, len(ids) - length, (batch_size,), generator=generator)
    return ids[starts[:, None] + torch.arange(length + 1)]


def length_batches(lengths, batch_size: int, generator: torch.Generator, pool: int = 20) -> list[torch.Tensor]:
    """Shuffled mini-batches of indices in which sequences have similar lengths ("bucketing").

    The indices are shuffled, cut into pools of ``pool * batch_size``, each pool sorted by length and cut into
    batches, and the batches shuffled again: every index appears exactly once, and a batch pads its sequences
    only to the longest of similar ones.
    """
    lengths = torch.as_tensor(lengths)
    order = torch.randperm(len(lengths), generator=generator)
    batches = []
    for start in range(0, len(order), pool * batch_size):
        chunk = order[start:start + pool * batch_size]
        chunk = chunk[torch.argsort(lengths[chunk], stable=True)]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
