"""The training sampler behind ``--train_sampling_strategy group_by_length``."""

from __future__ import annotations

import itertools
import random

from zhbert.finetune import LengthBuckets


def batches(order: list[int], size: int) -> list[list[int]]:
    return [order[i : i + size] for i in range(0, len(order), size)]


def test_every_example_once_in_tight_batches_of_random_order():
    lengths = [random.Random(i).randint(1, 256) for i in range(3_000)]
    sampler = LengthBuckets(lengths, batch_size=32, seed=0)
    order = list(sampler)
    assert sorted(order) == list(range(len(lengths))) and len(sampler) == len(lengths)
    cut = batches(order, 32)
    assert [len(b) for b in cut[:-1]] == [32] * (len(cut) - 1) and len(cut[-1]) == 3_000 % 32  # the short one last
    spreads = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in cut]
    assert max(spreads[:-1]) <= 40  # each batch is a slice of a length-sorted group of 1,600
    means = [sum(lengths[i] for i in b) / len(b) for b in cut[:-1]]
    # Batch order is random, not long-to-short within each group: neighbours' mean lengths are uncorrelated.
    runs = sum(1 for a, b in itertools.pairwise(means) if b < a)
    assert 0.3 < runs / (len(means) - 1) < 0.7
    assert list(LengthBuckets(lengths, 32, seed=0)) == order  # seeded
    assert list(sampler) != order  # a new order each epoch
