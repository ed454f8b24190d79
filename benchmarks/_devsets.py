"""The shipped models' dev sets, split as they were trained (zhbert_demo/models/manifest.json): MSRA NER's
train.char.bio 10/10 with seed 42 for the tagger; each review set 10/10 with seed 42, the dev parts joined, for
the classifier."""

from __future__ import annotations

from _common import REPO, SHARED_DATA

from wwm_pretrain.splits import DEV_PERCENT, SPLIT_SEED, TEST_PERCENT
from zhbert.data import read_cls_file, read_ner_file, split_examples
from zhbert_demo.release import MSRA_TRAIN, REVIEW_SETS, SENTIMENT_NAMES

MODELS = REPO / "zhbert_demo" / "models"


def tagger_dev() -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """MSRA NER dev sentences and their gold spans (tags fixed as in training)."""
    examples, _ = read_ner_file(SHARED_DATA / MSRA_TRAIN, fix_tags=True)
    dev = split_examples(examples, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)[1]
    return [e.text for e in dev], [list(e.spans) for e in dev]


def classifier_dev() -> tuple[list[str], list[str]]:
    """The review sets' dev reviews and their gold labels (负面, 正面)."""
    texts, labels = [], []
    for relative in REVIEW_SETS.values():
        examples = read_cls_file(SHARED_DATA / relative, text_column="review").examples
        for e in split_examples(examples, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)[1]:
            texts.append(e.text)
            labels.append(SENTIMENT_NAMES[str(e.label)])
    return texts, labels
