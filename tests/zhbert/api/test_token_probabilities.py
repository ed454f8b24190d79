"""``EntityTagger.token_probabilities``: one distribution per word with its character offsets; a CRF tagger's are
its marginals (the shipped tagger), a plain one's the softmax of its scores (the tiny tagger)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import REPO
from zhbert import EntityTagger
from zhbert.text.pieces import word_pieces

TEXTS = ["国务院总理李强在北京会见了联合国秘书长古特雷斯。", "Hello 世界 👋🏽 café"]


def test_a_crf_taggers_probabilities_are_its_marginals():
    tagger = EntityTagger.from_pretrained(REPO / "zhbert_demo" / "models" / "tagger", dtype="float32")
    assert tagger.crf is not None
    found = tagger.token_probabilities(TEXTS)
    pieces = word_pieces(tagger.tokenizer, TEXTS)
    for text, probs, p in zip(TEXTS, found, pieces, strict=True):
        assert probs.starts == tuple(p.word_start) and probs.ends == tuple(p.word_end)
        assert probs.probs.shape == (len(p.word_start), len(tagger.id2label))
        assert np.allclose(probs.probs.sum(-1), 1.0, atol=1e-5) and probs.probs.min() >= 0
        assert all(0 <= a < b <= len(text) for a, b in zip(probs.starts, probs.ends, strict=True))
    softmax = tagger.token_scores(pieces[:1])[0].softmax(-1).numpy()
    assert not np.allclose(found[0].probs, softmax, atol=1e-3)  # the transitions change them
    # where the CRF's best path puts an entity, its words' marginals favour a label of that type
    labels = [tagger.id2label[i] for i in range(len(tagger.id2label))]
    for entity in tagger.predict(TEXTS[:1])[0]:
        word = found[0].starts.index(entity.start)
        assert labels[int(found[0].probs[word].argmax())].endswith(entity.type)


def test_a_plain_taggers_probabilities_are_the_softmax_of_its_scores(tiny_tagger_dir):
    tagger = EntityTagger.from_pretrained(tiny_tagger_dir, dtype="float32")
    assert tagger.crf is None
    found = tagger.token_probabilities(TEXTS, batch_size=1)
    pieces = word_pieces(tagger.tokenizer, TEXTS)
    for probs, scores, p in zip(found, tagger.token_scores(pieces), pieces, strict=True):
        assert np.allclose(probs.probs, scores[p.first].softmax(-1).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="empty"):
        tagger.token_probabilities(["ok", "  "])
