"""zhbert.api.predictor: TextClassifier, EntityTagger and MaskFiller share one set-up (loading, device, float
type, tokenizer) and one name for the window, ``max_length``: tokens per model call, [CLS] and [SEP] included."""

from __future__ import annotations

import re

import pytest
import torch

from zhbert.api import EntityTagger, MaskFiller, Predictor, TextClassifier, model_window
from zhbert.api.device import resolve_device
from zhbert.errors import UsageError, ZhbertError


@pytest.fixture(scope="module")
def predictors(tiny_classifier_dir, tiny_tagger_dir, tiny_mlm_dir):
    return [
        TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu", dtype="float32"),
        EntityTagger.from_pretrained(tiny_tagger_dir, device="cpu", dtype="float32"),
        MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu", dtype="float32"),
    ]


def test_one_set_up_for_the_three(predictors):
    for predictor in predictors:
        assert isinstance(predictor, Predictor)
        assert predictor.device == torch.device("cpu") and predictor.dtype == torch.float32
        assert not predictor.model.training and next(predictor.model.parameters()).dtype == torch.float32
        assert predictor.max_length == model_window(predictor.model, predictor.tokenizer) == 512
        assert predictor.tokens_per_call == 2048


def test_the_window_is_max_length_in_all_three(predictors):
    classifier, tagger, filler = predictors
    text = "高勇，男，中国国籍。" * 80  # 800 characters, beyond 512 tokens
    classifier.max_length = filler.max_length = tagger.max_length = 32
    assert classifier.predict([text])[0].truncated
    with pytest.raises(UsageError, match="beyond the model's window of 32 tokens"):
        filler.predict([text + "[MASK]"])
    assert tagger._windows(60) == [0, 15, 30]  # windows of 30 text tokens
    with pytest.deprecated_call(match="use max_length"):
        assert tagger.window == 30


@pytest.mark.parametrize("kind", [TextClassifier, EntityTagger, MaskFiller])
def test_from_pretrained_refuses_another_kind_of_model(kind, tiny_classifier_dir, tiny_mlm_dir):
    path = tiny_mlm_dir if kind is not MaskFiller else tiny_classifier_dir
    with pytest.raises(ZhbertError, match=re.escape(str(path))):
        kind.from_pretrained(path, device="cpu")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(UsageError, match="zhbert runs on 'cpu', 'cuda' or 'mps'"):
        resolve_device("meta")
