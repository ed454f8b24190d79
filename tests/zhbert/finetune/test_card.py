"""The model card's account of plain transformers loading: for a tagger, what it leaves out and the paths that keep
the decoding; for a classifier, the same labels."""

from __future__ import annotations

from zhbert.finetune import ClassificationTask, NerTask
from zhbert.finetune.card import write_model_card
from zhbert.tagging.schemes import bioes_labels

LABELS = bioes_labels(["LOC", "PER"])


def card(tmp_path, task, labels) -> str:
    out = tmp_path / "model"
    out.mkdir()
    write_model_card(out, task, "base", labels, {"test_f1": 0.9}, {"train": (10, "train.txt")}, "zhbert train")
    return (out / "README.md").read_text(encoding="utf-8")


def test_a_crf_tagger_card_says_what_plain_loading_leaves_out(tmp_path):
    text = " ".join(card(tmp_path, NerTask(crf=True), LABELS).split())
    assert "It also loads with plain transformers" not in text
    assert "`AutoModelForTokenClassification` loads only part of it" in text
    assert "without the CRF (its `crf.*` weights are left unread) and the decoding held to the BIOES rules" in text
    assert "tag sequences that BIOES forbids" in text
    assert "an E- token becomes an entity of its own (`B-LOC I-LOC E-LOC` gives two entities)" in text
    for path in ("`zhbert predict`", "`zhbert export`", "`zhbert serve`", "EntityTagger.from_pretrained"):
        assert path in text


def test_a_softmax_tagger_card_mentions_no_crf(tmp_path):
    text = " ".join(card(tmp_path, NerTask(crf=False), LABELS).split())
    assert "CRF" not in text and "without the decoding held to the BIOES rules" in text


def test_a_classifier_card_promises_the_same_labels(tmp_path):
    text = " ".join(card(tmp_path, ClassificationTask(), ["负面", "正面"]).split())
    assert (
        "`AutoModelForSequenceClassification` loads the whole model and gives the same labels as `TextClassifier`"
        in text
    )
    assert "`zhbert_max_length`" in text and "BIOES" not in text
