"""attention_maps: every layer's and head's weights, from the models the API classes hold, against the models' own
``output_attentions``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification

from tests.zhbert.models.test_fast_bert import token_model
from zhbert import AttentionMap, EntityTagger, MaskFiller, TextClassifier, attention_maps
from zhbert.errors import ArgumentTypeError, UsageError

TEXTS = [
    "国务院总理李强在北京会见了联合国秘书长古特雷斯。",
    "Apple发布了新款iPhone 😀，售价６９９９元！",
    "  空格  在前后  ",
    "",
]


def own_attentions(model, tokenizer, text: str) -> np.ndarray:
    """The model's own forward with output_attentions under eager attention: (layers, heads, T, T)."""
    before = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        with torch.inference_mode():
            out = model(**tokenizer(text, return_tensors="pt"), output_attentions=True)
    finally:
        model.set_attn_implementation(before)
    return torch.stack([a[0] for a in out.attentions]).float().numpy()


@pytest.fixture(scope="module")
def filler(tiny_mlm_dir, tokenizer):
    return MaskFiller(AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir), tokenizer, device="cpu", dtype="float32")


def test_shape_rows_and_offsets(filler, tokenizer):
    maps = attention_maps(filler.model, filler.tokenizer, TEXTS)
    assert len(maps) == len(TEXTS) and all(isinstance(m, AttentionMap) for m in maps)
    for text, m in zip(TEXTS, maps, strict=True):
        t = len(m.tokens)
        assert m.weights.shape == (2, 2, t, t) and m.weights.dtype == np.float32
        assert (m.layers, m.heads) == (2, 2) and not m.truncated
        np.testing.assert_allclose(m.weights.sum(-1), 1.0, atol=1e-5)
        assert m.tokens[0] == "[CLS]" and m.tokens[-1] == "[SEP]"
        assert m.offsets[0] == m.offsets[-1] == (0, 0)
        for token, (start, end) in zip(m.tokens[1:-1], m.offsets[1:-1], strict=True):
            assert 0 <= start < end <= len(text) and text[start:end] == token
        assert not m.weights.flags.writeable
    assert maps[0].tokens[1:-1] == tuple(TEXTS[0])  # Chinese: one token per character
    assert "Apple" in maps[1].tokens and "😀" in maps[1].tokens  # the text's own spelling, not "apple" / [UNK]
    assert maps[3].tokens == ("[CLS]", "[SEP]")


def test_equal_the_models_own_output_attentions(filler):
    for text in TEXTS[:3]:
        got = attention_maps(filler.model, filler.tokenizer, [text])[0].weights
        np.testing.assert_allclose(got, own_attentions(filler.model, filler.tokenizer, text), atol=1e-6)


def test_the_model_is_left_as_it_was(tiny_mlm_dir, tokenizer):
    filler = MaskFiller(AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir), tokenizer, device="cpu", dtype="bf16")
    model = filler.model
    params = {name: (p, p.data_ptr()) for name, p in model.named_parameters()}
    implementation = model.config._attn_implementation
    assert implementation != "eager"  # the fused kernel, which returns no weights
    m = attention_maps(model, tokenizer, [TEXTS[0]])[0]
    assert m.weights.dtype == np.float32
    assert model.config._attn_implementation == implementation and not model.training
    for name, p in model.named_parameters():
        assert params[name][0] is p and p.data_ptr() == params[name][1] and p.dtype == torch.bfloat16
    assert filler.predict(["中华人民共和国[MASK]法"])[0][0]  # still predicts


def test_bf16_models_compute_in_float32(tiny_mlm_dir, tokenizer):
    """A bf16 model's weights equal the float32 model's with the same (bf16-rounded) weights, to float32 rounding."""
    bf16 = AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir).to(torch.bfloat16).eval()
    rounded = AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir).to(torch.bfloat16).float().eval()
    for text in TEXTS[:2]:
        got = attention_maps(bf16, tokenizer, [text])[0].weights
        np.testing.assert_allclose(got, own_attentions(rounded, tokenizer, text), atol=1e-6)


def test_crf_tagger_and_classifier(tiny_mlm_dir, tokenizer):
    tagger = EntityTagger(token_model(tiny_mlm_dir, crf=True), tokenizer, device="cpu", dtype="float32")
    assert tagger.crf is not None
    torch.manual_seed(4)
    classifier = TextClassifier(
        AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=2), tokenizer, device="cpu"
    )
    for model in (tagger.model, classifier.model):
        m = attention_maps(model, tokenizer, [TEXTS[0]])[0]
        np.testing.assert_allclose(m.weights, own_attentions(model, tokenizer, TEXTS[0]), atol=1e-6)
    assert tagger.predict([TEXTS[0]]) == tagger.predict([TEXTS[0]])  # the tagger still works


def test_long_texts_are_truncated_to_the_window(filler, tokenizer):
    text = "房间很大，床很舒服。" * 60  # 600 characters
    m = attention_maps(filler.model, tokenizer, [text])[0]
    assert len(m.tokens) == 512 and m.truncated and m.tokens[-1] == "[SEP]"
    assert m.offsets[-2] == (509, 510)
    short = attention_maps(filler.model, tokenizer, [text], max_length=20)[0]
    assert len(short.tokens) == 20 and short.weights.shape == (2, 2, 20, 20)
    np.testing.assert_allclose(short.weights.sum(-1), 1.0, atol=1e-5)
    assert not attention_maps(filler.model, tokenizer, ["房间很大"], max_length=6)[0].truncated


def test_matrix_picks_a_head_or_averages_them(filler):
    m = attention_maps(filler.model, filler.tokenizer, [TEXTS[0]])[0]
    for layer in range(m.layers):
        np.testing.assert_array_equal(m.matrix(layer, 1), m.weights[layer, 1])
        mean = m.matrix(layer)
        np.testing.assert_allclose(mean, m.weights[layer].mean(axis=0), atol=1e-7)
        np.testing.assert_allclose(mean.sum(-1), 1.0, atol=1e-5)
        assert not np.allclose(mean, m.weights[layer, 0])  # the heads differ: the mean is not one of them


@pytest.mark.parametrize(
    ("layer", "head", "message"),
    [
        (2, None, "layer must be a whole number from 0 to 1, got 2"),
        (-1, None, "layer must be a whole number from 0 to 1, got -1"),
        (1.0, None, "layer must be a whole number from 0 to 1, got 1.0"),
        (True, None, "layer must be a whole number from 0 to 1, got True"),
        (0, 2, "head must be a whole number from 0 to 1, got 2"),
        (0, "0", "head must be a whole number from 0 to 1, got '0'"),
    ],
)
def test_bad_layer_or_head_is_a_usage_error(filler, layer, head, message):
    m = attention_maps(filler.model, filler.tokenizer, ["好"])[0]
    with pytest.raises(UsageError, match=f"^{message}$") as err:
        m.matrix(layer, head)
    assert err.value.argument == ("layer" if "layer" in message else "head")


def test_bad_arguments(filler):
    with pytest.raises(ArgumentTypeError, match="texts must be a list of strings, not a single string"):
        attention_maps(filler.model, filler.tokenizer, "好")
    for bad in (2, 513, 3.5):
        with pytest.raises(UsageError, match=r"max_length must be a whole number from 3 to 512"):
            attention_maps(filler.model, filler.tokenizer, ["好"], max_length=bad)
    assert attention_maps(filler.model, filler.tokenizer, []) == []


def test_runs_beside_predict_on_the_same_model(tiny_mlm_dir, tokenizer):
    """Threads reading attention and filling masks on one model at once get what each gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    filler = MaskFiller(AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir), tokenizer, device="cpu", dtype="float32")
    masked = ["中华人民共和国[MASK]法", "当事人应当遵循诚实[MASK]用原则。"]
    want_maps = [m.weights for m in attention_maps(filler.model, tokenizer, TEXTS[:2])]
    want_fills = filler.predict(masked)

    def work(i: int) -> bool:
        if i % 2:
            return filler.predict(masked) == want_fills
        got = attention_maps(filler.model, tokenizer, TEXTS[:2])
        return all(np.allclose(g.weights, w, atol=1e-6) for g, w in zip(got, want_maps, strict=True))

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(16)))
    assert filler.model.config._attn_implementation != "eager"
