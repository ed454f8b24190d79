"""Tokens grouped into the tokenizer's words, with character offsets: what NER features and the tagger share.

>>> pieces = word_pieces(tokenizer, ["高勇，男"])[0]
>>> pieces.first, pieces.word_start, pieces.word_end
([0, 1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["WordPieces", "word_pieces"]


@dataclass(frozen=True)
class WordPieces:
    """One text's tokens (no special tokens, no truncation) and the tokenizer words they form.

    Attributes:
        ids: token ids.
        starts: character offset where each token starts.
        ends: character offset where each token ends.
        first: index (into ``ids``) of the first token of each word.
        word_start: character offset where each word starts.
        word_end: character offset where each word ends.
    """

    ids: list[int]
    starts: list[int]
    ends: list[int]
    first: list[int]
    word_start: list[int]
    word_end: list[int]


def word_pieces(tokenizer: Any, texts: Sequence[str]) -> list[WordPieces]:
    """Tokenize ``texts`` with a fast tokenizer and group each text's tokens into words; one record per text."""
    texts = list(texts)
    if not texts:
        return []
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and backend.truncation is None and backend.padding is None:
        # The Rust tokenizer itself: the same encodings as the call below, without its per-call Python work
        # (a third of a millisecond a call, which counts when texts come one at a time).
        if len(texts) == 1:  # encode_batch's thread pool costs more than it saves on one text
            encodings = [backend.encode(texts[0], add_special_tokens=False)]
        else:
            encodings = backend.encode_batch(texts, add_special_tokens=False)
        rows = [(e.ids, e.offsets, e.word_ids) for e in encodings]
    else:
        # verbose=False: long texts are cut into windows later, so the "longer than ... indexing errors" warning
        # is wrong
        enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        rows = [(enc["input_ids"][i], enc["offset_mapping"][i], enc.word_ids(i)) for i in range(len(texts))]
    out = []
    for ids, offsets, words in rows:
        first: list[int] = []
        word_start: list[int] = []
        word_end: list[int] = []
        previous = None
        for t, w in enumerate(words):
            if w != previous or previous is None:
                first.append(t)
                word_start.append(offsets[t][0])
                word_end.append(offsets[t][1])
            else:
                word_end[-1] = offsets[t][1]
            previous = w
        out.append(WordPieces(ids, [o[0] for o in offsets], [o[1] for o in offsets], first, word_start, word_end))
    return out
