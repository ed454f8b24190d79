"""``CRF.marginals`` against brute force: each label's probability at each position, summed over every path."""

from __future__ import annotations

import itertools

import torch

from zhbert.tagging import CRF
from zhbert.tagging.viterbi import scheme_constraints


def brute_force(crf: CRF, emissions: torch.Tensor, length: int) -> torch.Tensor:
    start, trans, end = (s.detach() for s in crf._scores())
    totals, z = torch.zeros(length, crf.num_labels, dtype=torch.float64), 0.0
    for path in itertools.product(range(crf.num_labels), repeat=length):
        score = start[path[0]] + end[path[-1]] + sum(emissions[t, path[t]] for t in range(length))
        score = score + sum(trans[path[t - 1], path[t]] for t in range(1, length))
        weight = float(torch.exp(score.double()))
        z += weight
        for t, label in enumerate(path):
            totals[t, label] += weight
    return (totals / z).float()


def test_marginals_equal_brute_force_with_and_without_constraints():
    torch.manual_seed(0)
    labels = {0: "O", 1: "B-PER", 2: "I-PER", 3: "E-PER", 4: "S-PER"}
    _, constraints = scheme_constraints(labels)
    for crf in (CRF(3), CRF(5, constraints=constraints)):
        emissions = torch.randn(2, 4, crf.num_labels) * 2
        mask = torch.tensor([[True] * 4, [True, True, True, False]])
        with torch.inference_mode():  # as the tagger calls it
            got = crf.marginals(emissions, mask)
        for row, length in enumerate((4, 3)):
            assert torch.allclose(got[row, :length], brute_force(crf, emissions[row], length), atol=1e-5)
        assert torch.all(got[1, 3] == 0)
        assert not any(p.grad is not None for p in crf.parameters())
