"""The span model's ``EntityTagger`` (a ``SpanTagger``): overlapping entities with offsets into the caller's own
string, long texts in windows that neither lose nor repeat a span, the empty-text and batch-size rules, and the
window each span is read from checked against brute force."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zhbert.api import EntityTagger
from zhbert.api.span_tagger import SpanTagger, best_window
from zhbert.models import add_span_head

TYPES = ["LOC", "ORG"]


def context_free_span_model(tiny_mlm_dir):
    """A span model whose pair scores depend only on the two tokens and their distance: attention outputs and
    absolute positions are zeroed, so every window of a text scores a span alike (the head's rotary positions
    are relative)."""
    from transformers import AutoModelForTokenClassification

    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_mlm_dir, num_labels=2, id2label=dict(enumerate(TYPES)), label2id={t: i for i, t in enumerate(TYPES)}
    )
    model = add_span_head(model, head_size=8)
    with torch.no_grad():
        model.bert.embeddings.position_embeddings.weight.zero_()
        for layer in model.bert.encoder.layer:
            layer.attention.output.dense.weight.zero_()
            layer.attention.output.dense.bias.zero_()
        model.span_head.dense.weight.normal_(0, 0.5)
    return model


@pytest.fixture(scope="module")
def span_tagger(tiny_mlm_dir, tokenizer):
    tagger = EntityTagger(context_free_span_model(tiny_mlm_dir), tokenizer, device="cpu", dtype="float32")
    tagger.threshold = 2.0  # a few spans per text, not half of all pairs
    return tagger


def test_an_entity_tagger_of_a_span_model_is_a_span_tagger(span_tagger):
    assert isinstance(span_tagger, SpanTagger) and isinstance(span_tagger, EntityTagger)
    assert span_tagger.id2label == {0: "LOC", 1: "ORG"}


def test_long_texts_give_the_spans_of_one_window_once(span_tagger, resume_sentences):
    text = "".join(resume_sentences[:8])  # 240 characters
    whole = span_tagger.predict([text])[0]
    window, span_tagger.max_length = span_tagger.max_length, 18  # windows of 16 tokens, 8 apart
    try:
        windowed = span_tagger.predict([text])[0]
    finally:
        span_tagger.max_length = window
    assert len(text) > 200 and windowed
    keys = [(e.start, e.end, e.type) for e in windowed]
    assert len(keys) == len(set(keys)), "a span reported twice"
    short = {(e.start, e.end, e.type) for e in whole if e.end - e.start <= 8}  # spans every window step can hold
    assert {k for k in keys if k[1] - k[0] <= 8} == short
    assert all(text[e.start : e.end] == e.text and 0.5 < e.score <= 1 for e in windowed)
    nested = [(a, b) for a in windowed for b in windowed if a != b and a.start <= b.start and b.end <= a.end]
    assert nested, "a span model's entities may nest"


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("北京大学 é\u0301👍🏽abc１２\u200d中国人\t")), min_size=1, max_size=40))
def test_offsets_index_the_original_string(span_tagger, text):
    if not text.strip():
        return
    for entity in span_tagger.predict([text])[0]:
        assert text[entity.start : entity.end] == entity.text and entity.start < entity.end


def test_empty_texts_and_bad_batch_sizes_are_refused(span_tagger):
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        span_tagger.predict(["北京", "  "])
    with pytest.raises(ValueError, match="batch_size must be"):
        span_tagger.predict(["北京"], batch_size=0)
    assert span_tagger.predict([]) == []


def test_batches_do_not_change_answers(span_tagger, resume_sentences):
    texts = resume_sentences[:20]
    assert span_tagger.predict(texts, batch_size=3) == span_tagger.predict(texts, batch_size=32)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.integers(1, 20), st.data())
def test_best_window_against_brute_force(n, size, data):
    step = max(1, size // 2)
    starts = [0] if n <= size else sorted({*range(0, n - size, step), n - size})
    start = data.draw(st.integers(0, n - 1))
    end = data.draw(st.integers(start, n - 1))
    holding = [(min(start - a, a + min(size, n - a) - 1 - end), -a) for a in starts if a <= start and end < a + size]
    expected = -max(holding)[1] if holding else -1
    assert best_window(start, end, starts, size, n) == expected


def test_random_nested_predictions_keep_their_order(span_tagger):
    texts = ["".join(random.Random(i).choices("北京大学上海交通银行中国人民", k=30)) for i in range(5)]
    for found in span_tagger.predict(texts):
        assert found == sorted(found, key=lambda e: (e.start, e.end, e.type))
