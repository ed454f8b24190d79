"""jieba's precise mode, the default segmenter.

>>> JiebaSegmenter().cut(["中华人民共和国刑法"])
[['中华人民共和国', '刑法']]
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ...errors import UsageError
from ..home import private_cache_dir
from .base import Segmenter, split_long_text
from .user_dict import UserWord, read_user_dict

__all__ = ["JiebaSegmenter"]

_JOIN = "\x00"


class JiebaSegmenter(Segmenter):
    """jieba's precise mode, on a private ``jieba.Tokenizer`` (jieba's global one is left untouched).

    Args:
        user_dict: a jieba-format user dictionary (``word [freq] [tag]`` per line), e.g. legal terms.
        hmm: let jieba's HMM join characters into words it has never seen.
        max_chars: longest piece handed to jieba; longer texts are cut at sentence ends where possible (jieba's HMM
            takes time quadratic in the length of a run of characters it does not know).

    jieba's dictionary cache lives in a folder of the user's own (``$ZHBERT_HOME/jieba``, mode 0700), not in the
    shared temporary folder where another local user could plant a cache file that jieba would unmarshal.
    """

    name = "jieba"

    def __init__(self, user_dict: str | os.PathLike[str] | None = None, hmm: bool = True, max_chars: int = 500) -> None:
        if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
            raise UsageError(f"max_chars must be an int >= 1, got {max_chars!r}", argument="max_chars")
        self.user_dict = str(user_dict) if user_dict is not None else None
        self.hmm = bool(hmm)
        self.max_chars = max_chars
        self._entries: list[UserWord] = read_user_dict(user_dict) if user_dict is not None else []
        self._tokenizer: Any = None

    def add_words(self, words: Iterable[str | tuple[str, int]]) -> None:
        """Add words (or ``(word, freq)`` pairs) that must stay whole."""
        for item in words:
            word, freq = (item, None) if isinstance(item, str) else (item[0], int(item[1]))
            if not isinstance(word, str) or not word.strip():
                raise UsageError(f"add_words: {item!r} is not a word")
            entry = UserWord(word, freq)
            self._entries.append(entry)
            if self._tokenizer is not None:
                self._tokenizer.add_word(entry[0], entry[1], entry[2])

    def user_words(self) -> frozenset[str]:
        return frozenset(entry.word for entry in self._entries)

    def suggest_freqs(self, words: Sequence[str]) -> list[int]:
        """For each word, the frequency at which this segmenter's dictionary keeps it whole instead of cutting it
        into words it knows (jieba's ``suggest_freq``); the dictionary is left as it is."""
        tokenizer = self._backend()
        return [int(tokenizer.suggest_freq(word, tune=False)) for word in words]

    def _backend(self) -> Any:
        if self._tokenizer is None:
            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = str(private_cache_dir("jieba"))
            tokenizer.initialize()
            for word, freq, tag in self._entries:
                tokenizer.add_word(word, freq, tag)
            self._tokenizer = tokenizer
        return self._tokenizer

    def _cut(self, texts: list[str]) -> list[list[str]]:
        tokenizer = self._backend()
        return [
            [word for piece in split_long_text(text, self.max_chars) for word in tokenizer.lcut(piece, HMM=self.hmm)]
            for text in texts
        ]

    def word_lengths(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # One jieba call over all texts: the separator is neither a Han-block nor a whitespace character,
        # so jieba yields it as a word of its own and no word crosses from one text into the next.
        items = list(texts)
        if not items or max(map(len, items)) > self.max_chars:  # long texts go piece by piece, through cut()
            return super().word_lengths(items)
        joined = _JOIN.join(items)
        words = self._backend().lcut(joined, HMM=self.hmm)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        if int(lengths.sum()) != len(joined):  # a text holding the separator itself
            return super().word_lengths(items)
        starts = np.concatenate(([0], np.cumsum([len(t) + 1 for t in items])[:-1])).astype(np.int64)
        return lengths, starts

    def _config(self) -> dict[str, Any]:
        return {"hmm": self.hmm, "words": [list(e) for e in self._entries], "max_chars": self.max_chars}

    def __getstate__(self) -> dict[str, Any]:
        # The loaded dictionary is large: worker processes rebuild it instead of unpickling it.
        state = self.__dict__.copy()
        state["_tokenizer"] = None
        return state
