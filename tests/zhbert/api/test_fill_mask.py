from __future__ import annotations

import pytest
import torch

from zhbert.api import Candidate, MaskFiller


@pytest.fixture(scope="module")
def filler(tiny_mlm_dir):
    return MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu")


def test_top_k_per_mask_left_to_right(filler):
    text = "中华人民共和国[MASK]法，[MASK]事诉讼法"
    result = filler.predict([text, "[MASK]"], top_k=3)
    assert [len(r) for r in result] == [2, 1]
    first, second = result[0]
    assert len(first) == len(second) == 3
    head, _, tail = text.partition("[MASK]")
    before, _, after = text.rpartition("[MASK]")
    for c in first:
        assert c.text == head + c.token.removeprefix("##") + tail
    for c in second:
        assert c.text == before + c.token.removeprefix("##") + after
    for candidates in (first, second):
        scores = [c.score for c in candidates]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert all(isinstance(c, Candidate) for c in candidates)


def test_scores_match_the_model(filler):
    text = "被告人犯[MASK]窃罪"
    enc = filler.tokenizer(text, return_tensors="pt")
    position = int((enc["input_ids"][0] == filler.tokenizer.mask_token_id).nonzero()[0, 0])
    with torch.inference_mode():
        logits = filler.model(**enc).logits[0, position]
    # Over the tokens that occur in text (no [unusedN], special tokens or ##-pieces of CJK characters).
    probs = logits.masked_fill(~filler.candidates, float("-inf")).softmax(-1)
    best = filler.predict([text], top_k=1)[0][0][0]
    assert best.score == pytest.approx(float(probs.max()), abs=1e-6)
    assert best.token == filler.tokenizer.convert_ids_to_tokens(int(probs.argmax()))


def test_errors(filler):
    with pytest.raises(ValueError, match=r"texts\[1\] has no \[MASK\]"):
        filler.predict(["[MASK]", "没有"])
    with pytest.raises(ValueError, match="top_k must be a whole number >= 1"):
        filler.predict(["[MASK]"], top_k=0)
    with pytest.raises(ValueError, match="beyond the model's window"):
        filler.predict(["字" * 600 + "[MASK]"])
    with pytest.raises(TypeError, match="not a single string"):
        filler.predict("[MASK]")
