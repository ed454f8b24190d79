"""FastBert (packed dense layers, last layer only where the head reads) against the models' own forward."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, BertForTokenClassification

from tests.zhbert.api.test_inference import random_texts
from zhbert import EntityTagger, TextClassifier
from zhbert.models import FastBert, add_crf
from zhbert.tagging import bioes_labels
from zhbert.text import word_pieces

LABELS = bioes_labels(["NAME", "ORG"])


def token_model(path, crf: bool):
    torch.manual_seed(7)
    model = AutoModelForTokenClassification.from_pretrained(
        path, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id={v: i for i, v in enumerate(LABELS)}
    )
    with torch.no_grad():
        model.classifier.weight.normal_(0, 2.0)  # a random model that proposes many entities
    return (add_crf(model) if crf else model).eval()


def padded_batch(tokenizer, n=12, seed=5, pairs=False):
    texts = [t or "好" for t in random_texts(n, seed)] + ["房间很大，床很舒服。" * 12]  # lengths 3 to ~120
    enc = tokenizer(texts, [t[::-1] for t in texts] if pairs else None, padding=True, return_tensors="pt")
    assert enc["attention_mask"].eq(0).any()  # the batch has padding
    return enc


@pytest.fixture(params=["products", "fused"])
def attention(request, monkeypatch):
    """Both attention paths: batched products and softmax (short batches), PyTorch's fused kernel (long ones)."""
    from zhbert.models import fast_bert

    if request.param == "fused":
        monkeypatch.setattr(fast_bert, "MATH_ATTENTION_MAX_LENGTH", 0)
    return request.param


@pytest.mark.parametrize("pairs", [False, True])
def test_sequence_logits_equal_the_models(tiny_mlm_dir, tokenizer, pairs, attention):
    torch.manual_seed(3)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=3).eval()
    fast = FastBert.for_model(model)
    assert fast is not None and fast.kind == "sequence"
    enc = padded_batch(tokenizer, pairs=pairs)
    if pairs:
        assert enc["token_type_ids"].eq(1).any()
    with torch.inference_mode():
        want = model(**enc).logits
        got = fast(**enc)
    assert got.shape == want.shape and torch.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("crf", [False, True])
def test_token_logits_equal_the_models_at_every_real_token(tiny_mlm_dir, tokenizer, crf, attention):
    model = token_model(tiny_mlm_dir, crf)
    fast = FastBert.for_model(model)
    assert fast is not None and fast.kind == "token"
    enc = padded_batch(tokenizer, n=20, seed=8)
    with torch.inference_mode():
        want = model(**enc).logits[enc["attention_mask"].bool()]  # (real tokens, labels)
        got = fast(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    assert got.shape == want.shape and torch.allclose(got, want, atol=1e-5)


def test_the_apis_give_the_same_answers_with_and_without_it(tiny_mlm_dir, tokenizer):
    texts = [t for t in random_texts(300, seed=9) if t.strip()] + ["高勇，男，中国国籍，无境外居留权。" * 30]
    tagger = EntityTagger(token_model(tiny_mlm_dir, crf=True), tokenizer, device="cpu")
    plain = EntityTagger(tagger.model, tokenizer, device="cpu")
    plain.fast = None
    assert tagger.fast is not None
    # Token scores of each text in batches equal the model's own forward on that text alone.
    pieces = [p for p in word_pieces(tokenizer, texts[:60]) if p.ids]
    for p, scores in zip(pieces, tagger.token_scores(pieces, batch_size=8), strict=True):
        ids = torch.tensor([[tokenizer.cls_token_id, *p.ids, tokenizer.sep_token_id]])
        with torch.inference_mode():
            assert torch.allclose(scores, tagger.model(input_ids=ids).logits[0, 1:-1], atol=1e-5)
    got, want = tagger.predict(texts), plain.predict(texts)
    assert sum(map(len, want)) > 500  # many entities to compare
    for g, w in zip(got, want, strict=True):
        assert [(e.start, e.end, e.type) for e in g] == [(e.start, e.end, e.type) for e in w]
        assert all(abs(a.score - b.score) < 1e-4 for a, b in zip(g, w, strict=True))

    torch.manual_seed(4)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=2)
    classifier = TextClassifier(model, tokenizer, device="cpu")
    slow = TextClassifier(model, tokenizer, device="cpu")
    slow.fast = None
    texts = [t for t in texts if t.strip()]  # the classifier refuses an empty text
    for g, w in zip(classifier.predict(texts), slow.predict(texts), strict=True):
        assert g.label == w.label and all(abs(g.scores[k] - w.scores[k]) < 1e-5 for k in g.scores)


class DoubledLogits(BertForTokenClassification):
    """A subclass with a forward of its own: FastBert must not replace it."""

    def forward(self, *args, **kwargs):
        out = super().forward(*args, **kwargs)
        out.logits = out.logits * 2
        return out


def test_models_it_does_not_reproduce_keep_their_own_forward(tiny_mlm_dir, tokenizer):
    decoder = AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=2, is_decoder=True)
    subclass = DoubledLogits.from_pretrained(tiny_mlm_dir, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)))
    swapped = AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=2)
    swapped.bert.encoder.layer[0].intermediate = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU())
    assert FastBert.for_model(decoder) is None
    assert FastBert.for_model(subclass) is None
    assert FastBert.for_model(swapped) is None
    assert FastBert.for_model(add_crf(subclass)) is None  # the CRF mix-in over a user's subclass
    # The APIs then run the model's own forward: a causal model's scores, the subclass's doubled logits.
    texts = random_texts(20, seed=6)
    classifier = TextClassifier(decoder, tokenizer, device="cpu")
    assert classifier.fast is None
    with torch.inference_mode():
        for text, got in zip(texts, classifier.predict(texts, batch_size=4), strict=True):
            want = decoder(**tokenizer(text, return_tensors="pt")).logits.softmax(-1)[0]
            assert torch.allclose(torch.tensor(list(got.scores.values())), want, atol=1e-5)
    tagger = EntityTagger(subclass, tokenizer, device="cpu")
    assert tagger.fast is None
    scores = tagger.token_scores(word_pieces(tokenizer, ["高勇"]))[0]
    with torch.inference_mode():
        want = subclass(**tokenizer("高勇", return_tensors="pt")).logits[0, 1:3]
    assert torch.allclose(scores, want, atol=1e-5)


def test_eval_mode_and_right_padding_only(tiny_mlm_dir, tokenizer):
    model = AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=2)
    fast = FastBert.for_model(model)
    assert fast is not None
    enc = padded_batch(tokenizer)
    model.train()
    with pytest.raises(RuntimeError, match="eval mode"):
        fast(**enc)
    model.eval()
    left = {k: v.flip(1) for k, v in enc.items()}
    with pytest.raises(ValueError, match="right padding"):
        fast(**left)


def test_both_dense_paths_give_the_models_logits(tiny_mlm_dir, tokenizer, monkeypatch):
    from zhbert.models import fast_bert

    # The torch build here has oneDNN (x86 CPU wheels do): the fused path is the one under test above.
    assert fast_bert.onednn_works()
    model = token_model(tiny_mlm_dir, crf=False)
    fast = FastBert.for_model(model)
    enc = padded_batch(tokenizer, n=16, seed=11)
    with torch.inference_mode():
        want = model(**enc).logits[enc["attention_mask"].bool()]
        for flag in (True, False):  # oneDNN's fused linear + GELU, then plain F.linear and F.gelu
            fast_bert.use_onednn(flag)
            got = fast(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
            assert torch.allclose(got, want, atol=1e-5)
    fast_bert.use_onednn(None)
