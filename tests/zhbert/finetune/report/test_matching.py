"""The NER error kinds over span sets (``zhbert.finetune.report.matching``): one golden case per kind, the pairing
invariants on random nested span sets, and strict span scores equal to seqeval's on flat ones."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhbert.finetune import ner_metrics
from zhbert.finetune.report import KINDS, match_spans, ner_confusion, ner_kind_counts, span_scores
from zhbert.finetune.report.cases import mark_entities

TYPES = ["LOC", "ORG", "PER"]


@pytest.mark.parametrize(
    ("gold", "predicted", "kinds"),
    [
        ([(0, 2, "PER")], [(0, 2, "PER")], ["correct"]),
        ([(0, 2, "PER")], [(0, 2, "LOC")], ["wrong_type"]),
        ([(0, 3, "LOC")], [(1, 3, "LOC")], ["wrong_boundary"]),
        ([(1, 3, "LOC")], [(1, 5, "ORG")], ["wrong_type_and_boundary"]),
        ([(0, 2, "PER")], [], ["missed"]),
        ([], [(4, 6, "ORG")], ["spurious"]),
        # 中国球队: gold LOC 中国 inside predicted ORG 中国球队, and a second gold entity that no prediction touches
        ([(0, 2, "LOC"), (5, 7, "PER")], [(0, 4, "ORG")], ["wrong_type_and_boundary", "missed"]),
        # nested gold: the outer ORG is found exactly, the inner LOC is missed (not a boundary error of the ORG)
        ([(0, 6, "ORG"), (0, 2, "LOC")], [(0, 6, "ORG")], ["missed", "correct"]),
        # two predictions over one gold entity: the same type pairs first, the other one is spurious
        ([(0, 4, "LOC")], [(0, 3, "ORG"), (1, 4, "LOC")], ["spurious", "wrong_boundary"]),
    ],
)
def test_each_kind(gold, predicted, kinds):
    assert [kind for kind, _, _ in match_spans(gold, predicted)] == kinds


spans = st.lists(
    st.tuples(st.integers(0, 12), st.integers(1, 5), st.sampled_from(TYPES)).map(lambda s: (s[0], s[0] + s[1], s[2])),
    max_size=6,
    unique=True,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(spans, spans), min_size=1, max_size=4))
def test_every_entity_is_counted_once_and_the_matrix_sums_to_the_entities(texts):
    gold = [g for g, _ in texts]
    predicted = [p for _, p in texts]
    for g, p in texts:
        pairs = match_spans(g, p)
        assert sorted(i for _, i, _ in pairs if i is not None) == list(range(len(g)))
        assert sorted(j for _, _, j in pairs if j is not None) == list(range(len(p)))
        for kind, i, j in pairs:
            if i is not None and j is not None:
                a, b = g[i], p[j]
                assert min(a[1], b[1]) > max(a[0], b[0])  # paired entities overlap
                assert (kind in ("correct", "wrong_boundary")) == (a[2] == b[2])
                assert (kind in ("correct", "wrong_type")) == (a[:2] == b[:2])
    counts = ner_kind_counts(gold, predicted, TYPES)
    gold_n = Counter(k for g in gold for *_, k in g)
    for kind in TYPES:
        assert sum(counts[kind][k] for k in KINDS if k != "spurious") == gold_n[kind]
    assert sum(c[k] for c in counts.values() for k in KINDS if k != "missed") == sum(map(len, predicted))
    names, matrix = ner_confusion(gold, predicted, TYPES)
    assert names == [*TYPES, "O"]
    assert sum(map(sum, matrix[:-1])) == sum(map(len, gold))
    assert sum(row[j] for row in matrix for j in range(len(TYPES))) == sum(map(len, predicted))
    assert matrix[-1][-1] == 0


def flat(draw_spans):
    kept, end = [], -1
    for s in sorted(draw_spans):
        if s[0] >= end:
            kept.append(s)
            end = s[1]
    return kept


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(spans, spans), min_size=1, max_size=4))
def test_span_scores_equal_seqevals_strict_scores_on_flat_entities(texts):
    gold = [flat(g) for g, _ in texts]
    predicted = [flat(p) for _, p in texts]
    assume(any(gold) or any(predicted))  # seqeval gives nan with no entity at all, zhbert 0
    ours = span_scores(gold, predicted, TYPES)
    theirs = ner_metrics(["x" * 20] * len(texts), gold, predicted)
    for key in ("precision", "recall", "f1", "macro_f1"):
        assert ours[key] == pytest.approx(theirs[key])
    for kind, row in theirs["per_type"].items():
        assert ours["per_type"][kind]["f1"] == pytest.approx(row["f1-score"])
        assert ours["per_type"][kind]["support"] == row["support"]


def test_marked_entities_nest_and_escape_markdown():
    text = "北京*大学*在海淀"
    assert mark_entities(text, [(0, 6, "ORG"), (0, 2, "LOC")]) == "【【北京】LOC\\*大学\\*】ORG在海淀"
    assert mark_entities(text, [(0, 6, "ORG"), (7, 9, "LOC")], lo=3, hi=8) == "大学\\*】ORG在【海"
