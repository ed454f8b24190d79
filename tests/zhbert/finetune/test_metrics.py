"""Classification metrics against scikit-learn's (installed with seqeval), and strict NER scoring on spans."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from zhbert.errors import UsageError
from zhbert.finetune import classification_metrics, ner_metrics


@pytest.mark.parametrize("seed", range(20))
def test_classification_metrics_match_scikit_learn(seed: int) -> None:
    rng = random.Random(seed)
    gold = [rng.choice("正负中") for _ in range(rng.randint(1, 40))]
    # Some predictions use a label the gold set never has: it counts in the macro average with F1 0.
    predicted = [rng.choice("正负中杂") for _ in gold]
    scores = classification_metrics(gold, predicted)
    assert scores["accuracy"] == pytest.approx(accuracy_score(gold, predicted))
    assert scores["macro_f1"] == pytest.approx(f1_score(gold, predicted, average="macro", zero_division=0))
    labels = sorted(set(gold) | set(predicted))
    p, r, f, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    for i, label in enumerate(labels):
        assert scores["per_label"][label] == pytest.approx(
            {"precision": p[i], "recall": r[i], "f1": f[i], "support": support[i]}
        )


def test_a_label_only_predicted_lowers_macro_f1() -> None:
    scores = classification_metrics(["正", "正", "负"], ["正", "正", "中"])
    # 正: F1 1; 负: never predicted, F1 0; 中: never gold, F1 0.
    assert scores["macro_f1"] == pytest.approx(1 / 3)
    assert scores["per_label"]["中"]["support"] == 0


def test_classification_metrics_refuse_lists_of_different_lengths() -> None:
    with pytest.raises(UsageError, match="2 gold labels but 1 predictions"):
        classification_metrics(["正", "负"], ["正"])


def test_ner_metrics_credit_exact_spans_only() -> None:
    texts = ["高勇在北京工作", "李明"]
    gold = [[(0, 2, "NAME"), (3, 5, "LOC")], [(0, 2, "NAME")]]
    predicted = [[(0, 2, "NAME"), (3, 4, "LOC")], [(0, 2, "ORG")]]  # a cut entity and a wrong type
    scores = ner_metrics(texts, gold, predicted)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["per_type"]["NAME"]["recall"] == pytest.approx(1 / 2)
    assert scores["per_type"]["LOC"]["f1-score"] == 0.0
    assert scores["macro_f1"] == pytest.approx((0 + 2 / 3 + 0) / 3)  # LOC, NAME and the predicted-only ORG
