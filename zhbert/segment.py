"""Word segmenters behind whole-word masking: jieba (default), LTP (optional extra) and one word per character.

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

__all__ = [
    "CharSegmenter",
    "JiebaSegmenter",
    "LtpSegmenter",
    "Segmenter",
    "UserWord",
    "check_texts",
    "get_segmenter",
    "read_user_dict",
    "split_long_text",
]

_JOIN = "\x00"
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """Return ``texts`` as a list of str, or raise a clear error naming the offending item.

    Raises:
        TypeError: ``texts`` is a bare string or an item is not a string.
        ValueError: an item holds a lone surrogate, which no tokenizer can encode.
    """
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of strings, not a single string; wrap it as [text]")
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"{name} must be a list of strings, got {type(texts).__name__}") from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] is {type(text).__name__}, expected str")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ValueError(
                f"{name}[{i}] holds a lone surrogate {text[err.start]!r} at character {err.start}; "
                "decode the source with errors='replace' or remove it"
            ) from None
    return items


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
            raise ValueError(
                f"texts[{index}]: the segmenter returned {word!r}, which is not at character {pos} "
                f"of the text ({text[pos : pos + 20]!r}...)"
            )
        if found > pos:
            out.append(text[pos:found])
        out.append(word)
        pos = found + len(word)
    if pos < len(text):
        if text[pos:].strip():
            raise ValueError(f"texts[{index}]: the segmenter dropped {text[pos : pos + 20]!r} at character {pos}")
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

    def _word_lengths(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Lengths of the words of checked ``texts`` laid end to end, and where each text starts in that layout."""
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
        FileNotFoundError: the file does not exist.
        ValueError: the file is not UTF-8, or a line has a bad frequency (the message names file:line).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"user dictionary not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 (byte {err.start}); save the dictionary as UTF-8") from None
    entries = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        parts = line.strip().split()
        if not parts:
            continue
        if len(parts) > 3:
            raise ValueError(f"{path}:{lineno}: expected 'word [freq] [tag]', got {line.strip()!r}")
        freq: int | None = None
        tag: str | None = None
        if len(parts) >= 2:
            if parts[1].isdigit():
                freq = int(parts[1])
                tag = parts[2] if len(parts) == 3 else None
            elif len(parts) == 2:
                tag = parts[1]
            else:
                raise ValueError(f"{path}:{lineno}: frequency {parts[1]!r} is not a whole number")
        entries.append(UserWord(parts[0], freq, tag))
    return entries


class JiebaSegmenter(Segmenter):
    """jieba's precise mode, on a private ``jieba.Tokenizer`` (jieba's global one is left untouched).

    Args:
        user_dict: a jieba-format user dictionary (``word [freq] [tag]`` per line), e.g. legal terms.
        hmm: let jieba's HMM join characters into words it has never seen.
    """

    name = "jieba"

    def __init__(self, user_dict: str | os.PathLike[str] | None = None, hmm: bool = True) -> None:
        self.user_dict = str(user_dict) if user_dict is not None else None
        self.hmm = bool(hmm)
        self._entries: list[UserWord] = read_user_dict(user_dict) if user_dict is not None else []
        self._tokenizer: Any = None

    def add_words(self, words: Iterable[str | tuple[str, int]]) -> None:
        """Add words (or ``(word, freq)`` pairs) that must stay whole."""
        for item in words:
            word, freq = (item, None) if isinstance(item, str) else (item[0], int(item[1]))
            if not isinstance(word, str) or not word.strip():
                raise ValueError(f"add_words: {item!r} is not a word")
            entry = UserWord(word, freq)
            self._entries.append(entry)
            if self._tokenizer is not None:
                self._tokenizer.add_word(entry[0], entry[1], entry[2])

    def user_words(self) -> frozenset[str]:
        return frozenset(entry.word for entry in self._entries)

    def _backend(self) -> Any:
        if self._tokenizer is None:
            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word, freq, tag in self._entries:
                tokenizer.add_word(word, freq, tag)
            self._tokenizer = tokenizer
        return self._tokenizer

    def _cut(self, texts: list[str]) -> list[list[str]]:
        tokenizer = self._backend()
        return [tokenizer.lcut(text, HMM=self.hmm) for text in texts]

    def _word_lengths(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # One jieba call over all texts: the separator is neither a Han-block nor a whitespace character,
        # so jieba yields it as a word of its own and no word crosses from one text into the next.
        joined = _JOIN.join(texts)
        words = self._backend().lcut(joined, HMM=self.hmm)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        if int(lengths.sum()) != len(joined):
            return super()._word_lengths(texts)
        starts = np.concatenate(([0], np.cumsum([len(t) + 1 for t in texts])[:-1])).astype(np.int64)
        return lengths, starts

    def _config(self) -> dict[str, Any]:
        return {"hmm": self.hmm, "words": [list(e) for e in self._entries]}

    def __getstate__(self) -> dict[str, Any]:
        # The loaded dictionary is large: worker processes rebuild it instead of unpickling it.
        state = self.__dict__.copy()
        state["_tokenizer"] = None
        return state


class LtpSegmenter(Segmenter):
    """LTP word segmentation from a local model directory (neural or legacy perceptron), batched.

    Texts longer than ``max_chars`` are split at sentence ends, segmented piece by piece and re-joined,
    so nothing is silently truncated. LTP is free for research only; install it with ``pip install zhbert[ltp]``.

    Args:
        model_dir: a directory holding LTP's ``config.json`` and model files.
        user_words: words that must stay whole.
        batch_size: texts per LTP call.
        max_chars: longest piece handed to LTP; ``None`` picks 500 for neural models and no limit for legacy ones.
    """

    name = "ltp"

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        user_words: Iterable[str] = (),
        batch_size: int = 64,
        max_chars: int | None = None,
    ) -> None:
        self.model_dir = str(model_dir)
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._user_words = [w for w in user_words]
        self._model: Any = None
        self._check_dir()
        self._neural = bool(self._read_config().get("nerual", True))
        self.max_chars = max_chars if max_chars is not None else (500 if self._neural else None)
        if self.max_chars is not None and self.max_chars < 1:
            raise ValueError(f"max_chars must be >= 1, got {max_chars}")

    def _check_dir(self) -> None:
        path = Path(self.model_dir)
        if not path.is_dir():
            raise FileNotFoundError(f"LTP model directory not found: {path}")
        if not (path / "config.json").is_file():
            raise ValueError(f"{path} is not an LTP model directory: it has no config.json")

    def _read_config(self) -> dict[str, Any]:
        config_path = Path(self.model_dir) / "config.json"
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{config_path}: not a valid LTP config ({err})") from None
        if not isinstance(config, dict):
            raise ValueError(f"{config_path}: not a valid LTP config (expected a JSON object)")
        if config.get("nerual", True) is False:
            tasks = config.get("tasks")
            if not isinstance(tasks, dict) or "cws" not in tasks:
                raise ValueError(f"{config_path}: a legacy LTP config needs a 'cws' model under 'tasks'")
            missing = Path(self.model_dir) / str(tasks["cws"])
            if not missing.is_file():
                raise ValueError(f"{config_path}: the cws model file {missing} does not exist")
        return config

    def add_words(self, words: Iterable[str]) -> None:
        """Add words that must stay whole."""
        new = list(words)
        self._user_words.extend(new)
        if self._model is not None and new:
            self._model.add_words(new, freq=2)

    def user_words(self) -> frozenset[str]:
        return frozenset(self._user_words)

    def _backend(self) -> Any:
        if self._model is None:
            try:
                from ltp import LTP
            except ImportError:
                raise ImportError("LtpSegmenter needs LTP: pip install zhbert[ltp]") from None
            try:
                model = LTP(self.model_dir)
            except Exception as err:  # LTP raises many kinds; all mean "not a usable model"
                raise ValueError(f"could not load an LTP model from {self.model_dir}: {err}") from err
            if self._user_words:
                model.add_words(self._user_words, freq=2)
            self._model = model
        return self._model

    def _cut(self, texts: list[str]) -> list[list[str]]:
        model = self._backend()
        owners: list[int] = []
        pieces: list[str] = []
        for i, text in enumerate(texts):
            for piece in split_long_text(text, self.max_chars):
                owners.append(i)
                pieces.append(piece)
        out: list[list[str]] = [[] for _ in texts]
        # LTP rejects empty strings, and whitespace-only pieces give it nothing to do.
        todo = [k for k, piece in enumerate(pieces) if piece.strip()]
        for lo in range(0, len(todo), self.batch_size):
            chunk = todo[lo : lo + self.batch_size]
            words = model.pipeline([pieces[k] for k in chunk], tasks=["cws"]).cws
            for k, piece_words in zip(chunk, words, strict=True):
                out[owners[k]].extend(piece_words)
        # Whitespace-only pieces got no words; cut() puts the whitespace back.
        return out

    def _config(self) -> dict[str, Any]:
        return {
            "model_dir": os.path.abspath(self.model_dir),
            "words": self._user_words,
            "max": self.max_chars,
        }

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_model"] = None
        return state


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
            raise ValueError("the ltp segmenter needs a model directory (--ltp_model DIR)")
        return LtpSegmenter(ltp_model, user_words=words)
    if name == "char":
        if words:
            raise ValueError("the char segmenter cannot use a user dictionary")
        return CharSegmenter()
    raise ValueError(f"unknown segmenter {name!r}: choose jieba, ltp or char")
