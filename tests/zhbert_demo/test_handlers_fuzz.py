"""The demo's handlers on fuzzed text (the strings of test_fuzz): every input is either refused with a message for
the user (Chinese, then English in brackets) exactly when the input check refuses it, or answered with output
that indexes the input: highlighted pieces that join back into it, offsets that cut out what they name,
probabilities that sum to 1."""

from __future__ import annotations

import re

import pytest

from tests.zhbert.test_fuzz import STRINGS
from zhbert_demo.inputs import InputError, check_input

MESSAGE = re.compile(r"\S.*\(.+\.\)\s*$", re.S)  # what the user reads, then the English in brackets


def _verdict(call, text):
    """(the result, None), or (None, the message) for input the demo refuses."""
    try:
        return call(text), None
    except InputError as err:
        assert MESSAGE.match(str(err)), str(err)
        return None, str(err)


def _refused(handlers, text: str) -> bool:
    try:
        check_input(text, handlers.max_chars)
    except InputError:
        return True
    return False


@pytest.mark.parametrize("start", range(0, 400, 100))
def test_classify_and_ner_refuse_exactly_what_the_check_refuses_and_index_the_rest(handlers, start):
    labels = set(handlers.classifier.model.config.id2label.values())
    for text in STRINGS[start : start + 100]:
        refused = _refused(handlers, text)
        scores, message = _verdict(handlers.classify, text)
        assert (message is not None) == refused, text
        if scores is not None:
            assert set(scores) == labels and abs(sum(scores.values()) - 1) < 1e-4
        found, message = _verdict(handlers.ner, text)
        assert (message is not None) == refused, text
        if found is not None:
            pieces, rows = found
            assert "".join(piece for piece, _ in pieces) == text
            for entity, _type, start_at, end_at, score in rows:
                assert text[start_at:end_at] == entity and 0 <= score <= 1


def test_mask_pieces_join_back_into_the_input(handlers):
    for seed, text in enumerate(STRINGS[400:600]):
        found, message = _verdict(lambda t, s=seed: handlers.mask(t, "jieba", s), text)
        assert (message is not None) == _refused(handlers, text), text
        if found is None:
            continue
        words, pieces, masked_input, rows = found
        assert "".join(piece for piece, _ in pieces) == text
        assert all(text[start_at:end_at] == word for word, start_at, end_at, *_ in rows)
        assert {kind for _, kind in pieces} <= {None, "掩码", "用户词典", "发现的术语"}
        assert words.replace("〔", "").replace("〕", "").replace("【", "").replace("】", "").split(" / ") == [
            row[0] for row in rows
        ]
        assert isinstance(masked_input, str) and masked_input


def test_fill_mask_candidates_fill_one_mask_each(handlers):
    for text in STRINGS[600:700]:
        masked = text + "[MASK]"
        found, _ = _verdict(lambda t: handlers.fill_mask(t, 3), masked)  # a refusal: checked in _verdict
        if found is None:
            continue
        assert found and {row[1] for row in found} <= {1, 2, 3}
        for position, _rank, _token, score, filled in found:
            assert position >= 1 and 0 <= score <= 1
            assert filled.count("[MASK]") == masked.count("[MASK]") - 1
