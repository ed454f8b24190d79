"""The span head: its scores mask what no entity can be, its rotary positions make a pair's score depend on the
distance between its ends and not on where it sits, its loss is the multilabel categorical cross-entropy in
float32 (also under bf16 autocast), and it saves and loads with the checkpoint; plain transformers still loads it."""

from __future__ import annotations

import logging

import pytest
import torch

from zhbert.errors import DataError
from zhbert.models import add_span_head, load_token_classifier
from zhbert.models.span_head import NEG, GlobalPointer, multilabel_categorical_crossentropy

TYPES = ["LOC", "ORG", "PER"]


def span_model(tiny_mlm_dir):
    from transformers import AutoModelForTokenClassification

    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_mlm_dir, num_labels=3, id2label=dict(enumerate(TYPES)), label2id={t: i for i, t in enumerate(TYPES)}
    )
    return add_span_head(model, head_size=8)


def test_scores_mask_reversed_pairs_and_padding():
    torch.manual_seed(0)
    head = GlobalPointer(hidden_size=16, types=2, head_size=4)
    mask = torch.tensor([[1, 1, 1, 0]])
    scores = head(torch.randn(1, 4, 16), mask)  # (B, E, T, T)
    assert scores.shape == (1, 2, 4, 4)
    for s in range(4):
        for e in range(4):
            masked = bool((scores[0, :, s, e] == NEG).all())
            assert masked == (s > e or s == 3 or e == 3), (s, e)


def test_rotary_scores_depend_on_the_distance_only():
    """The same two vectors score the same at positions (1, 3) and (5, 7): RoPE is relative."""
    torch.manual_seed(0)
    head = GlobalPointer(hidden_size=8, types=1, head_size=8)
    a, b = torch.randn(8), torch.randn(8)
    hidden = torch.zeros(1, 9, 8)
    hidden[0, 1], hidden[0, 3], hidden[0, 5], hidden[0, 7] = a, b, a, b
    scores = head(hidden)[0, 0]
    assert torch.allclose(scores[1, 3], scores[5, 7], atol=1e-5)
    assert not torch.allclose(scores[1, 3], scores[1, 7], atol=1e-3)  # another distance, another score


def brute_force_loss(logits, target):
    total = []
    for row_scores, row_gold in zip(
        logits.flatten(2).reshape(-1, logits.shape[-1] ** 2),
        target.flatten(2).reshape(-1, target.shape[-1] ** 2),
        strict=True,
    ):
        pos = [float(s) for s, g in zip(row_scores, row_gold, strict=True) if g]
        neg = [float(s) for s, g in zip(row_scores, row_gold, strict=True) if not g]
        total.append(
            torch.log(1 + torch.tensor(neg).exp().sum()) + torch.log(1 + torch.tensor([-p for p in pos]).exp().sum())
        )
    return torch.stack(total).mean()


def test_loss_is_the_multilabel_categorical_cross_entropy():
    torch.manual_seed(1)
    logits = torch.randn(2, 3, 4, 4)
    target = (torch.rand(2, 3, 4, 4) > 0.8).to(torch.int8)
    got = multilabel_categorical_crossentropy(logits, target)
    assert torch.allclose(got, brute_force_loss(logits, target), atol=1e-5)


def test_loss_is_float32_under_bf16_autocast(tiny_mlm_dir):
    model = span_model(tiny_mlm_dir)
    ids = torch.tensor([[101, 1266, 776, 102]])
    labels = torch.zeros(1, 3, 4, 4, dtype=torch.int8)
    labels[0, 0, 1, 2] = 1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)
    assert out.loss.dtype == torch.float32 and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.span_head.dense.weight.grad is not None


def test_round_trip_and_plain_loading(tiny_mlm_dir, tmp_path, caplog):
    from transformers import AutoModelForTokenClassification

    model = span_model(tiny_mlm_dir)
    with torch.no_grad():
        model.span_head.dense.bias.uniform_(-1, 1)
    model.save_pretrained(tmp_path)
    loaded = load_token_classifier(tmp_path)
    assert loaded.config.zhbert_head == "span" and loaded.span_head.head_size == 8
    assert not hasattr(loaded, "classifier")
    ids = torch.tensor([[101, 1266, 776, 1920, 2110, 102]])
    model.eval()
    loaded.eval()
    with torch.no_grad():
        assert torch.equal(model(input_ids=ids).logits, loaded(input_ids=ids).logits)
    plain = AutoModelForTokenClassification.from_pretrained(tmp_path)  # ignores span_head.*, makes a classifier
    assert plain(input_ids=ids).logits.shape == (1, 6, 3)


def test_missing_span_weights_are_refused(tiny_mlm_dir, tmp_path):
    model = span_model(tiny_mlm_dir)
    del model.span_head  # a checkpoint whose config claims a head it lacks
    model.save_pretrained(tmp_path)
    with pytest.raises(DataError, match=r"config says the model has a span head, but no span_head\.\* weights"):
        load_token_classifier(tmp_path)


def test_own_load_says_nothing_about_the_heads_weights(tiny_mlm_dir, tmp_path, caplog):
    span_model(tiny_mlm_dir).save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="zhbert"):
        load_token_classifier(tmp_path)
    assert not [r for r in caplog.records if r.name == "zhbert"], caplog.messages
