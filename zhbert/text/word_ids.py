"""Word ids per token: which tokens of a text belong to one segmenter word, for whole-word masking.

Word ids come from the fast tokenizer's character offsets, so they hold for ``##`` pieces of Latin words,
digits, full-width forms, whitespace, emoji, ``[UNK]`` and characters the tokenizer drops. Two tokens share a
word id when they overlap one segmenter word or one tokenizer word (``##`` pieces never start a word).

    >>> feats = wwm_features(["中华人民共和国刑法"], tokenizer, JiebaSegmenter())
    >>> feats[0]["word_ids"]
    [-1, 0, 0, 0, 0, 0, 0, 0, 1, 1, -1]

The ``chinese_ref`` helpers read and write the files of transformers' old ``run_chinese_ref.py``: one JSON list
per line with the positions (in ``input_ids``) of Chinese characters that continue a word.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from ..errors import ArgumentTypeError, DataError, UsageError
from .chars import is_bert_chinese
from .checks import check_texts
from .files import atomic_write, read_lines
from .segmenters import Segmenter

__all__ = [
    "chinese_ref_from_word_ids",
    "read_chinese_ref",
    "text_token_ids",
    "word_ids_from_chinese_ref",
    "write_chinese_ref",
    "wwm_features",
]

# Characters past the truncation point still handed to the segmenter, so a word cut by truncation
# is segmented as it would be in the full text.
_SEGMENT_MARGIN = 32
_CHUNK = 1024
_BACKENDS: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()
_TOKEN_TABLES: weakref.WeakKeyDictionary[Any, tuple[np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def _token_tables(tokenizer: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per vocabulary id: is it a ``##`` continuation piece; is it a single CJK character."""
    tables = _TOKEN_TABLES.get(tokenizer)
    if tables is None:
        vocab = tokenizer.get_vocab()  # once: `tokenizer.vocab` rebuilds this dict on every access
        size = max(max(vocab.values()) + 1, len(tokenizer))
        continuation = np.zeros(size, dtype=bool)
        cjk = np.zeros(size, dtype=bool)
        for token, idx in vocab.items():
            continuation[idx] = token.startswith("##") and len(token) > 2
            cjk[idx] = len(token) == 1 and is_bert_chinese(token)
        tables = (continuation, cjk)
        _TOKEN_TABLES[tokenizer] = tables
    return tables


def text_token_ids(tokenizer: Any) -> list[int]:
    """The vocabulary ids that tokenizing text can produce: all but the special tokens, ``[unusedN]`` and the
    ``##`` pieces of single CJK characters (a BERT tokenizer splits every CJK character off as a word of its
    own, so ``##字`` never occurs). The collator draws its random replacements from these, and ``MaskFiller``
    proposes only these."""
    vocab = tokenizer.get_vocab()  # once: `tokenizer.vocab` rebuilds this dict on every access
    special = set(tokenizer.all_special_ids)
    return sorted(
        idx
        for token, idx in vocab.items()
        if idx not in special
        and not (token.startswith("[unused") and token.endswith("]"))
        and not (token.startswith("##") and len(token) == 3 and is_bert_chinese(token[2]))
    )


def _backend(tokenizer: Any, max_length: int) -> Any:
    """A private copy of the tokenizer's Rust backend that truncates to ``max_length`` and never pads.

    It reads a special token's spelling in the text (``[MASK]``, ``[CLS]``) as plain text: a corpus that
    quotes ``[MASK]`` must not put mask tokens into the model's input that no label ever covers."""
    backends = _BACKENDS.setdefault(tokenizer, {})
    if max_length not in backends:
        backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        backend.encode_special_tokens = True
        backend.no_padding()
        backend.enable_truncation(max_length)
        backends[max_length] = backend
    return backends[max_length]


def _check_tokenizer(tokenizer: Any) -> None:
    if not getattr(tokenizer, "is_fast", False):
        raise ArgumentTypeError(
            f"wwm_features needs a fast tokenizer with character offsets, got {type(tokenizer).__name__}; "
            "load it with AutoTokenizer.from_pretrained(path)"
        )


def wwm_features(
    texts: Sequence[str],
    tokenizer: Any,
    segmenter: Segmenter,
    max_length: int = 512,
) -> list[dict[str, list[int]]]:
    """Tokenize ``texts`` and give every token the id of the segmenter word it belongs to.

    Only the part of each text that fits in ``max_length`` tokens is segmented.

    Args:
        texts: the texts, one feature dict per text.
        tokenizer: a fast (Rust-backed) BERT tokenizer.
        segmenter: decides the words, e.g. ``JiebaSegmenter(user_dict=...)``.
        max_length: tokens per text, special tokens included; longer texts are truncated.

    Returns:
        One dict per text with ``input_ids``, ``attention_mask``, ``token_type_ids`` and ``word_ids``
        (-1 for special tokens; the tokens of one word share an id, counting from 0 and never decreasing).

    Raises:
        TypeError: an item is not a string (the message names its index), or the tokenizer is not fast.
        ValueError: an item holds a lone surrogate, or ``max_length`` is too small.
    """
    items = check_texts(texts)
    _check_tokenizer(tokenizer)
    if not isinstance(max_length, int) or max_length < 3:
        raise UsageError(f"max_length must be an int >= 3, got {max_length!r}")
    out: list[dict[str, list[int]]] = []
    for lo in range(0, len(items), _CHUNK):
        out.extend(_features_chunk(items[lo : lo + _CHUNK], tokenizer, segmenter, max_length))
    return out


def _features_chunk(
    texts: list[str], tokenizer: Any, segmenter: Segmenter, max_length: int
) -> list[dict[str, list[int]]]:
    # The Rust tokenizer directly: transformers' per-text conversion to Python lists costs as much as encoding.
    encodings = _backend(tokenizer, max_length).encode_batch(texts)
    # Work on all tokens of the chunk laid end to end (ragged, no padding): cheaper than padded tensors.
    rows = [e.ids for e in encodings]
    n_tokens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))  # (N,)
    row_start = np.concatenate(([0], np.cumsum(n_tokens)[:-1]))
    row = np.repeat(np.arange(len(rows)), n_tokens)  # (K,) text of each token
    input_ids = np.fromiter(chain.from_iterable(rows), dtype=np.int64)  # (K,)
    offsets = np.fromiter(chain.from_iterable(chain.from_iterable(e.offsets for e in encodings)), dtype=np.int64)
    starts, ends = offsets[0::2], offsets[1::2]  # (K,)
    real = ends > starts  # tokens that cover text; special tokens cover none

    # Segment only what the tokenizer kept, plus a margin so the last word is whole.
    kept_chars = np.maximum.reduceat(np.where(real, ends, 0), row_start) if len(rows) else row_start
    prefixes = [
        text[: min(len(text), int(n) + _SEGMENT_MARGIN)] if n else "" for text, n in zip(texts, kept_chars, strict=True)
    ]
    lengths, char_base = segmenter.word_lengths(prefixes)

    # Character -> word, all texts laid end to end (words numbered across the chunk).
    # One spare entry so that the index 0 used for non-text tokens is valid even when no text has words.
    char_word = np.append(np.repeat(np.arange(lengths.size, dtype=np.int64), lengths), 0)
    first_word = char_word[np.where(real, char_base[row] + starts, 0)]
    last_word = char_word[np.where(real, char_base[row] + ends - 1, 0)]

    continuation, _ = _token_tables(tokenizer)
    prev_real = np.roll(real, 1)
    prev_real[row_start] = False
    # Tokens are ordered and disjoint, so a token joins its predecessor exactly when it shares a
    # segmenter word with it or is a ## piece of the same tokenizer word.
    joins = prev_real & ((first_word <= np.roll(last_word, 1)) | continuation[input_ids])
    starts_word = real & ~joins
    counts = np.cumsum(starts_word)
    counts -= (counts - starts_word)[row_start][row]  # restart the count in every text
    word_ids = np.where(real, counts - 1, -1).tolist()

    types = [e.type_ids for e in encodings]
    return [
        {
            "input_ids": ids,
            "attention_mask": [1] * len(ids),
            "token_type_ids": types[i],
            "word_ids": word_ids[int(row_start[i]) : int(row_start[i]) + len(ids)],
        }
        for i, ids in enumerate(rows)
    ]


def chinese_ref_from_word_ids(input_ids: Sequence[int], word_ids: Sequence[int], tokenizer: Any) -> list[int]:
    """Positions of single Chinese characters that continue the previous token's word (``chinese_ref``)."""
    _, cjk = _token_tables(tokenizer)
    ids = np.asarray(input_ids, dtype=np.int64)
    wids = np.asarray(word_ids, dtype=np.int64)
    if ids.shape != wids.shape:
        raise UsageError(f"input_ids has {ids.size} tokens but word_ids has {wids.size}")
    same = np.zeros(wids.shape, dtype=bool)
    same[1:] = (wids[1:] == wids[:-1]) & (wids[1:] >= 0)
    return np.flatnonzero(same & cjk[ids]).tolist()


def word_ids_from_chinese_ref(input_ids: Sequence[int], ref: Iterable[int], tokenizer: Any) -> list[int]:
    """Word ids for a tokenized text and its ``chinese_ref`` positions.

    A token starts a new word unless it is a ``##`` piece or its position is in ``ref``.
    """
    continuation, _ = _token_tables(tokenizer)
    ids = np.asarray(input_ids, dtype=np.int64)
    special = np.isin(ids, np.asarray(tokenizer.all_special_ids, dtype=np.int64))
    joins = continuation[ids].copy()
    positions = [int(p) for p in ref]
    for p in positions:
        if not 0 <= p < ids.size:
            raise UsageError(f"chinese_ref position {p} is outside the {ids.size} tokens")
    joins[positions] = True
    starts = ~special & ~joins
    starts[~special & (np.cumsum(~special) == 1)] = True  # the first real token always starts a word
    return np.where(special, -1, np.cumsum(starts) - 1).tolist()


def write_chinese_ref(path: str | os.PathLike[str], refs: Iterable[Sequence[int]]) -> None:
    """Write one JSON list per line, as ``run_chinese_ref.py`` did; the file appears only when complete."""
    with atomic_write(path) as handle:
        for ref in refs:
            handle.write(json.dumps([int(p) for p in ref]) + "\n")


def read_chinese_ref(path: str | os.PathLike[str]) -> list[list[int]]:
    """Read a ``chinese_ref`` file; a bad line (or one that is not UTF-8) raises ``DataError`` naming file:line."""
    path = Path(path)
    refs = []
    for lineno, line in read_lines(path):
        try:
            ref = json.loads(line)
        except json.JSONDecodeError:
            raise DataError(f"{path}:{lineno}: not a JSON list of positions: {line.strip()[:40]!r}") from None
        if not isinstance(ref, list) or not all(isinstance(p, int) and p >= 0 for p in ref):
            raise DataError(f"{path}:{lineno}: expected a JSON list of non-negative integers")
        refs.append(ref)
    return refs
