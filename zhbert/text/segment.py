"""Word segmenters behind whole-word masking: jieba (default), LTP (``zhbert.text.ltp``) and one word per character.

Every segmenter has one call shape, ``cut(texts) -> list[list[str]]``, and never changes the text:
``"".join(words) == text`` for every item, with whitespace that a backend drops put back as words of its own.

    >>> JiebaSegmenter().cut(["中华人民共和国刑法"])
    [['中华人民共和国', '刑法']]
"""

from __future__ import annotations

import json
import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import DataError, MissingFileError, UsageError
from .checks import check_texts
from .files import read_utf8

__all__ = [
    "CharSegmenter",
    "JiebaSegmenter",
    "Segmenter",
    "UserWord",
    "get_segmenter",
    "private_cache_dir",
    "read_user_dict",
    "restore_text",
    "split_long_text",
]

_JOIN = "\x00"
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def restore_text(text: str, words: Sequence[str], index: int = 0) -> list[str]:
    """Fit ``words`` back onto ``text``, re-inserting characters the backend dropped (whitespace).

    Raises:
        ValueError: the words are not the text in order, apart from dropped whitespace.
    """
    if "".join(words) == text:
        return list(words)
    out: list[str] = []
    pos = 0
    for word in words:
        if not word:
            continue
        found = text.find(word, pos)
        if found < 0 or (found > pos and text[pos:found].strip()):
            raise UsageError(
                f"texts[{index}]: the segmenter returned {word!r}, which is not at character {pos} "
                f"of the text ({text[pos : pos + 20]!r}...)"
            )
        if found > pos:
            out.append(text[pos:found])
        out.append(word)
        pos = found + len(word)
    if pos < len(text):
        if text[pos:].strip():
            raise UsageError(f"texts[{index}]: the segmenter dropped {text[pos : pos + 20]!r} at character {pos}")
        out.append(text[pos:])
    return out


def split_long_text(text: str, max_chars: int | None) -> list[str]:
    """Split ``text`` into pieces of at most ``max_chars``, at sentence ends where one lies in the last 3/4.

    ``"".join(pieces) == text``; ``max_chars=None`` keeps the text whole.
    """
    if max_chars is None or len(text) <= max_chars:
        return [text]
    pieces, start = [], 0
    while len(text) - start > max_chars:
        window = text[start : start + max_chars]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > max_chars // 4 else max_chars
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


class Segmenter(ABC):
    """Splits texts into words. Subclasses implement ``_cut``; ``cut`` checks input and output."""

    name: str = "segmenter"

    def cut(self, texts: Sequence[str]) -> list[list[str]]:
        """Segment ``texts``; ``"".join(result[i]) == texts[i]`` for every item."""
        items = check_texts(texts)
        if not items:
            return []
        raw = self._cut(items)
        return [restore_text(text, words, i) for i, (text, words) in enumerate(zip(items, raw, strict=True))]

    @abstractmethod
    def _cut(self, texts: list[str]) -> list[list[str]]:
        """Segment checked, non-empty input. May drop whitespace; must keep everything else."""

    def user_words(self) -> frozenset[str]:
        """Words added by the user (dictionary or ``add_words``); empty when the backend has none."""
        return frozenset()

    def word_lengths(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The segmentation of ``texts`` as numbers: the length of every word, all texts laid end to end, and
        where each text starts in that layout. Whole-word masking reads words this way (``wwm_features``)."""
        words = self.cut(texts)
        lengths = np.fromiter((len(w) for ws in words for w in ws), dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum([len(t) for t in texts])[:-1])).astype(np.int64)
        return lengths, starts

    def cache_key(self) -> str:
        """A string that changes whenever segmentation output may change (used for dataset caching)."""
        return json.dumps({"name": self.name, "config": self._config()}, sort_keys=True, ensure_ascii=False)

    def _config(self) -> dict[str, Any]:
        return {}


class CharSegmenter(Segmenter):
    """Every character is its own word: the no-WWM (token-level masking) baseline."""

    name = "char"

    def _cut(self, texts: list[str]) -> list[list[str]]:
        return [list(text) for text in texts]


class UserWord(NamedTuple):
    """One user-dictionary entry."""

    word: str
    freq: int | None = None
    tag: str | None = None


def read_user_dict(path: str | os.PathLike[str]) -> list[UserWord]:
    """Read a jieba-format user dictionary: one ``word [freq] [tag]`` per line, UTF-8.

    Raises:
        MissingFileError: the file does not exist.
        DataError: the file is not UTF-8, or a line has a bad frequency (the message names file:line).
    """
    if not Path(path).is_file():
        raise MissingFileError(f"user dictionary not found: {path}")
    text = read_utf8(path)
    entries = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        parts = line.strip().split()
        if not parts:
            continue
        if len(parts) > 3:
            raise DataError(f"{path}:{lineno}: expected 'word [freq] [tag]', got {line.strip()!r}")
        freq: int | None = None
        tag: str | None = None
        if len(parts) >= 2:
            if parts[1].isdigit():
                freq = int(parts[1])
                tag = parts[2] if len(parts) == 3 else None
            elif len(parts) == 2:
                tag = parts[1]
            else:
                raise DataError(f"{path}:{lineno}: frequency {parts[1]!r} is not a whole number")
        entries.append(UserWord(parts[0], freq, tag))
    return entries


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


def private_cache_dir(name: str) -> Path:
    """``$ZHBERT_HOME/<name>`` (default ``~/.cache/zhbert/<name>``), created readable by its owner alone.

    Raises:
        UsageError: the folder exists but belongs to another user or others may write to it.
    """
    home = Path(os.environ.get("ZHBERT_HOME") or Path.home() / ".cache" / "zhbert").expanduser()
    folder = home / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = folder.stat()
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        raise UsageError(f"{folder}: the cache folder belongs to another user or others may write to it")
    return folder


def get_segmenter(
    name: str,
    user_dict: str | os.PathLike[str] | None = None,
    ltp_model: str | os.PathLike[str] | None = None,
) -> Segmenter:
    """Build a segmenter by name: ``jieba`` (default), ``ltp`` (needs ``ltp_model``) or ``char``."""
    if name == "jieba":
        return JiebaSegmenter(user_dict=user_dict)
    words = [entry.word for entry in read_user_dict(user_dict)] if user_dict is not None else []
    if name == "ltp":
        if ltp_model is None:
            raise UsageError("the ltp segmenter needs an LTP model directory", argument="ltp_model")
        from .ltp import LtpSegmenter

        return LtpSegmenter(ltp_model, user_words=words)
    if name == "char":
        if words:
            raise UsageError("the char segmenter cannot use a user dictionary", argument="user_dict")
        return CharSegmenter()
    raise UsageError(f"unknown segmenter {name!r}: choose jieba, ltp or char", argument="segmenter")
