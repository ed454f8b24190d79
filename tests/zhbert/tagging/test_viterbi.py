from __future__ import annotations

import itertools
import math

import pytest
import torch

from zhbert.tagging import TagError, bioes_constraints, constrained_viterbi, scheme_constraints, tags_to_spans

LABELS = ["O", "B-A", "I-A", "E-A", "S-A", "B-B", "I-B", "E-B", "S-B"]
L = len(LABELS)


def is_valid(labels: list[str]) -> bool:
    """Strict BIOES, written as a state machine independent of the module under test."""
    open_type = None
    for label in labels:
        prefix, _, entity_type = label.partition("-")
        if prefix in ("O", "B", "S"):
            if open_type is not None:
                return False
            open_type = entity_type if prefix == "B" else None
        elif open_type != entity_type:  # I or E must continue the open span
            return False
        elif prefix == "E":
            open_type = None
    return open_type is None


def all_paths(length: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(L), repeat=length)), dtype=torch.long).view(-1, length)


def path_scores(paths, emissions, trans=None, start=None, end=None) -> torch.Tensor:
    """Scores of many paths (N, n) under emissions (n, L) and optional transition/start/end scores."""
    score = emissions[torch.arange(paths.shape[1]), paths].sum(dim=1)
    if trans is not None:
        score = score + trans[paths[:, :-1], paths[:, 1:]].sum(dim=1)
    if start is not None:
        score = score + start[paths[:, 0]]
    if end is not None:
        score = score + end[paths[:, -1]]
    return score


def brute_force_best(emissions, trans=None, start=None, end=None) -> float:
    paths = all_paths(emissions.shape[0])
    valid = torch.tensor([is_valid([LABELS[i] for i in p]) for p in paths.tolist()])
    return path_scores(paths, emissions, trans, start, end)[valid].max().item()


def test_constraints_equal_the_moves_seen_in_valid_sequences():
    starts, ends, moves = set(), set(), set()
    for length in range(1, 5):
        for path in all_paths(length).tolist():
            if is_valid([LABELS[i] for i in path]):
                starts.add(path[0])
                ends.add(path[-1])
                moves.update(itertools.pairwise(path))
    start, transitions, end = bioes_constraints(LABELS)
    assert start.dtype == transitions.dtype == end.dtype == torch.bool
    assert start.shape == end.shape == (L,) and transitions.shape == (L, L)
    assert set(start.nonzero().flatten().tolist()) == starts
    assert set(end.nonzero().flatten().tolist()) == ends
    assert {tuple(pair) for pair in transitions.nonzero().tolist()} == moves


def test_constraints_from_config_mapping_and_named_types():
    labels = ["O", "B-EDU", "I-EDU", "E-EDU", "S-EDU", "B-NAME", "I-NAME", "E-NAME", "S-NAME"]
    id2label = {i: label for i, label in reversed(list(enumerate(labels)))}
    from_dict = bioes_constraints(id2label)
    for a, b in zip(from_dict, bioes_constraints(labels), strict=True):
        assert torch.equal(a, b)
    start, transitions, end = from_dict
    assert transitions[1, 2] and transitions[2, 3] and transitions[3, 5] and transitions[4, 0]
    assert not transitions[1, 7] and not transitions[0, 2] and not transitions[2, 0]
    assert start.tolist() == [True, True, False, False, True, True, False, False, True]
    assert end.tolist() == [True, False, False, True, True, False, False, True, True]


@pytest.mark.parametrize("label", ["X-A", "B-", "B", "BA", "", "o", "B_A"])
def test_constraints_reject_non_bioes_label(label):
    with pytest.raises(ValueError, match="is not BIOES"):
        bioes_constraints(["O", label])


def test_constraints_reject_gapped_ids():
    with pytest.raises(ValueError, match=r"id2label keys must be 0\.\.1"):
        bioes_constraints({0: "O", 2: "S-A"})


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("learned", [False, True])
def test_viterbi_matches_brute_force(seed, learned):
    generator = torch.Generator().manual_seed(seed)
    batch, seq_len = 5, 4
    scores = torch.randn(batch, seq_len, L, generator=generator).log_softmax(-1)
    lengths = torch.tensor([4, 0, 1, 3, 2])[torch.randperm(batch, generator=generator)]
    trans = start = end = None
    if learned:
        trans, start, end = (torch.randn(*shape, generator=generator) for shape in ((L, L), (L,), (L,)))
    paths = constrained_viterbi(scores, lengths, bioes_constraints(LABELS), trans, start_scores=start, end_scores=end)
    assert len(paths) == batch
    for b, path in enumerate(paths):
        n = int(lengths[b])
        assert len(path) == n
        if n == 0:
            assert path == []
            continue
        assert is_valid([LABELS[i] for i in path])
        got = path_scores(torch.tensor([path]), scores[b, :n], trans, start, end).item()
        assert got == pytest.approx(brute_force_best(scores[b, :n], trans, start, end), abs=1e-5)


def test_viterbi_fixes_invalid_argmax():
    probs = torch.full((1, 2, L), 1e-4)
    probs[0, 0, LABELS.index("O")] = 0.6
    probs[0, 0, LABELS.index("B-A")] = 0.3
    probs[0, 1, LABELS.index("I-A")] = 0.5
    probs[0, 1, LABELS.index("E-A")] = 0.4
    probs[0, 1, LABELS.index("O")] = 0.1
    scores = probs.log()
    assert [LABELS[i] for i in scores[0].argmax(-1).tolist()] == ["O", "I-A"]
    (path,) = constrained_viterbi(scores, torch.tensor([2]), bioes_constraints(LABELS))
    # B-A E-A: log .3 + log .4 = -2.12 beats O O: log .6 + log .1 = -2.81
    assert [LABELS[i] for i in path] == ["B-A", "E-A"]
    assert math.log(0.3) + math.log(0.4) > math.log(0.6) + math.log(0.1)


def test_viterbi_without_constraints_is_argmax():
    scores = torch.randn(3, 6, L, generator=torch.Generator().manual_seed(0))
    paths = constrained_viterbi(scores, torch.tensor([6, 2, 0]), None)
    argmax = scores.argmax(-1).tolist()
    assert paths == [argmax[0], argmax[1][:2], []]


def test_viterbi_empty_inputs_and_no_grad():
    assert constrained_viterbi(torch.zeros(2, 0, L), torch.tensor([0, 0]), bioes_constraints(LABELS)) == [[], []]
    assert constrained_viterbi(torch.zeros(0, 3, L), torch.zeros(0, dtype=torch.long), None) == []
    scores = torch.randn(1, 3, L, requires_grad=True)
    (path,) = constrained_viterbi(scores, torch.tensor([3]), bioes_constraints(LABELS))
    assert len(path) == 3 and is_valid([LABELS[i] for i in path])


def test_viterbi_raises_when_no_path_is_allowed():
    start, transitions, end = bioes_constraints(LABELS)
    start = torch.zeros_like(start)
    with pytest.raises(ValueError, match=r"no label path satisfies the constraints for sequence\(s\) \[1\]"):
        constrained_viterbi(torch.zeros(2, 3, L), torch.tensor([0, 2]), (start, transitions, end))


def test_viterbi_validates_shapes():
    constraints = bioes_constraints(LABELS)
    with pytest.raises(ValueError, match="lengths must lie in"):
        constrained_viterbi(torch.zeros(1, 3, L), torch.tensor([4]), constraints)
    with pytest.raises(ValueError, match="lengths must have shape"):
        constrained_viterbi(torch.zeros(2, 3, L), torch.tensor([3]), constraints)
    with pytest.raises(ValueError, match="scores must be"):
        constrained_viterbi(torch.zeros(3, L), torch.tensor([3]), constraints)
    with pytest.raises(ValueError, match="transition scores must have shape"):
        constrained_viterbi(torch.zeros(1, 3, L), torch.tensor([3]), constraints, torch.zeros(L, L + 1))
    with pytest.raises(ValueError, match="start constraint must have shape"):
        constrained_viterbi(torch.zeros(1, 3, L + 1), torch.tensor([3]), constraints)


@pytest.mark.parametrize(
    ("labels", "scheme"),
    [
        (["O", "B-A", "I-A", "B-B", "I-B"], "IOB2"),
        (["O", "B-A", "M-A", "E-A", "S-A"], "BMES"),
        (LABELS, "BIOES"),
    ],
)
def test_the_decoder_serves_every_scheme(labels, scheme):
    """scheme_constraints reads the scheme from the labels; the path is the best one that scheme allows, where a
    path is allowed when the scheme's strict reader (tags_to_spans) takes it."""
    found, constraints = scheme_constraints(labels)
    assert found == scheme
    n = len(labels)
    paths = torch.tensor(list(itertools.product(range(n), repeat=4)), dtype=torch.long)
    allowed = []
    for path in paths.tolist():
        try:
            tags_to_spans([labels[i] for i in path], scheme)
            allowed.append(True)
        except TagError:
            allowed.append(False)
    generator = torch.Generator().manual_seed(7)
    for _ in range(5):
        scores = torch.randn(1, 4, n, generator=generator).log_softmax(-1)
        (path,) = constrained_viterbi(scores, torch.tensor([4]), constraints)
        best = path_scores(paths, scores[0])[torch.tensor(allowed)].max().item()
        assert allowed[paths.tolist().index(path)]
        assert path_scores(torch.tensor([path]), scores[0]).item() == pytest.approx(best, abs=1e-5)
