"""The NumPy Viterbi against brute force and against the torch decoder, on random scores and real schemes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from zhbert.errors import UsageError
from zhbert.tagging.numpy_viterbi import decoding_scores, log_softmax, viterbi
from zhbert.tagging.viterbi import constrained_viterbi, scheme_constraints

LABELS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC", "I-LOC", "S-LOC"]


def brute_force(emissions, start, trans, end):
    best, best_path = -np.inf, []
    for path in itertools.product(range(emissions.shape[1]), repeat=len(emissions)):
        score = start[path[0]] + end[path[-1]] + sum(emissions[t, y] for t, y in enumerate(path))
        score += sum(trans[a, b] for a, b in itertools.pairwise(path))
        if score > best:
            best, best_path = score, list(path)
    return best_path


def test_the_best_allowed_path_as_brute_force_finds_it():
    rng = np.random.default_rng(0)
    labels = LABELS[:5]
    allowed = [m.numpy() for m in scheme_constraints(labels)[1]]
    for crf in (False, True):
        learned = [rng.normal(size=m.shape).astype(np.float32) for m in allowed] if crf else None
        start, trans, end = decoding_scores(allowed, learned)
        for _ in range(30):
            batch, width = int(rng.integers(1, 4)), int(rng.integers(1, 5))
            emissions = rng.normal(size=(batch, width, len(labels))).astype(np.float32)
            lengths = rng.integers(1, width + 1, size=batch)
            paths = viterbi(emissions, lengths, start, trans, end)
            for row, n, path in zip(emissions, lengths, paths, strict=True):
                assert path == brute_force(row[:n], start, trans, end)


def test_the_same_paths_as_the_torch_decoder_with_a_crf():
    rng = np.random.default_rng(1)
    masks = scheme_constraints(LABELS)[1]
    for _ in range(50):
        batch, width = int(rng.integers(1, 7)), int(rng.integers(1, 12))
        emissions = rng.normal(size=(batch, width, len(LABELS))).astype(np.float32)
        lengths = rng.integers(0, width + 1, size=batch)
        learned = [rng.normal(size=m.shape).astype(np.float32) for m in masks]
        start, trans, end = decoding_scores([m.numpy() for m in masks], learned)
        expected = constrained_viterbi(
            torch.from_numpy(emissions),
            torch.from_numpy(lengths),
            masks,
            torch.from_numpy(learned[1]),
            start_scores=torch.from_numpy(learned[0]),
            end_scores=torch.from_numpy(learned[2]),
        )
        assert viterbi(emissions, lengths, start, trans, end) == expected


def test_log_softmax_matches_torch():
    x = np.random.default_rng(2).normal(size=(3, 4, 9)).astype(np.float32) * 20
    np.testing.assert_allclose(log_softmax(x), torch.from_numpy(x).log_softmax(-1).numpy(), atol=1e-5)


def test_shapes_and_impossible_paths_are_refused():
    start, trans, end = decoding_scores([m.numpy() for m in scheme_constraints(LABELS)[1]])
    with pytest.raises(UsageError, match=r"emissions must be \(B, T, L\)"):
        viterbi(np.zeros((3, len(LABELS)), np.float32), [3], start, trans, end)
    with pytest.raises(UsageError, match="lengths must be 1 whole numbers"):
        viterbi(np.zeros((1, 3, len(LABELS)), np.float32), [4], start, trans, end)
    nothing = np.full(len(LABELS), -np.inf, np.float32)
    with pytest.raises(UsageError, match=r"no label path satisfies the constraints for sequence\(s\) \[0\]"):
        viterbi(np.zeros((1, 2, len(LABELS)), np.float32), [2], nothing, trans, end)
