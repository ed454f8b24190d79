"""Tag files whose tokens are words, not characters (CoNLL-2003, spaCy, Label Studio's CoNLL export): told apart
from character files, joined into text, and refused where one token holds a whole clause.

A file is read as word tokens when at least 30% of its tokens hold several characters. Its words are joined with a
space where two Latin words meet (``EU rejects``), not between Chinese words; an entity covers its tokens' every
character (each character after the first of a ``B-`` token is inside the entity, an ``E-`` or ``S-`` token ends
it at its last character). Label Studio's CoNLL export splits text at spaces only, so a Chinese sentence is one
token with one tag and its entities cannot be recovered: a tagged token with sentence punctuation inside, or more
than 16 characters long, is refused with its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError

__all__ = ["WORD_TOKENS_SHARE", "is_word_tokens", "join_words", "refuse_clause_tokens"]

WORD_TOKENS_SHARE = 0.3
# A tagged token longer than this, or holding one of these, is a clause the export did not split.
LONGEST_WORD = 16
CLAUSE_PUNCTUATION = set("。，、；：？！")


def is_word_tokens(sentences: Sequence[Sequence[str]]) -> bool:
    """Whether at least :data:`WORD_TOKENS_SHARE` of the tokens hold several characters."""
    tokens = [tok for sent in sentences for tok in sent]
    return bool(tokens) and sum(len(tok) > 1 for tok in tokens) >= WORD_TOKENS_SHARE * len(tokens)


def _latin(token: str) -> bool:
    return any(c.isascii() and c.isalpha() for c in token)


def join_words(tokens: Sequence[str]) -> tuple[str, list[int], list[int]]:
    """The text of word tokens and each token's ``[start, end)``: a space between two tokens whose meeting
    characters are ASCII letters or digits and one of which holds a Latin letter (``in 1996``, not ``20 01``)."""
    text, starts, ends = "", [], []
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else ""
        meet = prev[-1:] + tok[:1]
        if len(meet) == 2 and meet.isascii() and meet.isalnum() and (_latin(prev) or _latin(tok)):
            text += " "
        starts.append(len(text))
        text += tok
        ends.append(len(text))
    return text, starts, ends


def refuse_clause_tokens(path: Path, sentence: Sequence[tuple[str, str, int]], tokens: Sequence[str]) -> None:
    """``DataError`` naming the line of a tagged token that holds a clause, not a word."""
    for (_, tag, lineno), tok in zip(sentence, tokens, strict=True):
        if tag != "O" and (len(tok) > LONGEST_WORD or CLAUSE_PUNCTUATION & set(tok)):
            raise DataError(
                f"{path}:{lineno}: the token {tok[:20]!r}{'…' if len(tok) > 20 else ''} ({len(tok)} characters) "
                f"carries one tag, {tag}: the file splits text at spaces only (Label Studio's CoNLL export does), so "
                "the entities inside it cannot be recovered; export JSON instead"
            )
