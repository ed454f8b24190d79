"""Unsupervised term discovery: the words of a corpus that jieba's dictionary lacks, for the whole-word-masking
dictionary (``zhbert terms``, ``wwm-pretrain --user_dict auto``).

    >>> with open("law.txt", encoding="utf-8") as corpus:
    ...     terms = discover_terms(corpus, top_k=500)
    >>> write_user_dict(terms, "terms.txt")  # jieba's format; the statistics go to terms.tsv beside it

A candidate is a run of ``min_len`` to ``max_len`` CJK characters (never across punctuation, Latin letters,
digits or the end of a text) seen at least ``min_count`` times. Three statistics judge it, ``c`` being counts
and ``N`` the number of CJK characters in the corpus:

- cohesion, the smallest pointwise mutual information over the ways to cut the word ``w`` in two:
  ``min_k log(N * c(w) / (c(w[:k]) * c(w[k:])))``. A word's parts occur together far more often than chance.
- left and right branching entropy (nats), of the character just before and just after the word:
  ``-sum_x p(x) log p(x)``. The start or end of a text counts as a new neighbour each time; all digits count as
  one character, all Latin letters as another. A word stands in many contexts; a piece of a longer word is
  always next to the rest of it.

- novelty, how much more often the corpus uses the word than general Chinese would put its parts together:
  ``log(c(w) / N) - sum_i log(f(p_i) / F)`` over the pieces ``p_i`` of the cut of ``w`` by jieba's dictionary
  (HMM off), ``f`` being the dictionary's frequencies (1 for a piece it lacks) and ``F`` their sum. A compound
  of common words (有关部门) scores low, a name or a domain term built of rare pieces high: termhood against
  jieba's dictionary as the reference corpus.

A candidate passes with ``cohesion >= min_cohesion`` and both entropies ``>= min_entropy``, and is ranked by

    score = min(left_entropy, right_entropy) + (cohesion + novelty / 2) / len(word)

(cohesion and novelty grow with length, so they are taken per character). With ``rules=True`` (the default)
three rules of thumb leave out what the statistics cannot tell from a term: phrases that jieba cuts into a
function word and the rest (a function word being one of the single characters that jieba's dictionary tags
as a particle, preposition, conjunction or adverb and counts 50,000 times or more: 的, 了, 在, 和, 也, 就,
都, 对, 把, ...; so 提出了 and 被判处 go, 和解协议 and 违法所得 stay), number expressions (two or more of
〇零一二三四五六七八九十百千万亿两, as in 第四十五条), and pieces of dictionary words: a candidate that, in most
of its occurrences, begins with the end of a dictionary word its left neighbour starts (市 + 委书记, 实 +
验室), or ends with the start of one its right neighbour ends (the neighbour being one character).

Counting is exact for every candidate: the corpus is read once (streamed; ``processes`` worker processes count
it), kept on disk as 4 bytes a character, and read a second time to count the candidates again with their
neighbours. ``zhbert.terms.ngrams`` describes the count tables and how ``max_ngrams`` bounds their memory.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import logging
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ArgumentTypeError, UsageError
from ..text.checks import check_int
from ..text.files import atomic_write
from ..text.segmenters import JiebaSegmenter
from .ngrams import (
    NgramTable,
    Recount,
    SpilledCorpus,
    count_ngrams,
    encode_chunk,
    ngram_keys,
    recount,
    split_neighbours,
)

__all__ = ["Term", "discover_terms", "function_characters", "known_words", "write_user_dict"]

logger = logging.getLogger(__name__)
CHUNK_CHARS = 1 << 20  # characters per chunk of counting work
FUNCTION_TAGS = ("u", "p", "c", "d")
FUNCTION_MIN_FREQ = 50_000
NUMERALS = "〇零一二三四五六七八九十百千万亿两"
NOVELTY_WEIGHT = 0.5  # of novelty against cohesion in the score
MAX_CROSSING = 0.5  # the largest share of a term's occurrences in which a dictionary word crosses one of its ends


@dataclass(frozen=True)
class Term:
    """One discovered term and its statistics (the module docstring gives the formulas)."""

    word: str
    count: int
    cohesion: float
    left_entropy: float
    right_entropy: float
    novelty: float
    score: float


@functools.lru_cache(maxsize=1)
def _jieba_dictionary() -> tuple[tuple[str, int, str], ...]:
    # jieba's bundled dict.txt read as a package file: jieba's own cache in the temporary folder is not touched.
    text = importlib.resources.files("jieba").joinpath("dict.txt").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            rows.append((parts[0], int(parts[1]), parts[2]))
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """The words of jieba's main dictionary (349,046 in jieba 0.42.1)."""
    return frozenset(word for word, _, _ in _jieba_dictionary())


@functools.lru_cache(maxsize=1)
def function_characters() -> frozenset[str]:
    """The single characters that jieba's dictionary tags as a particle, preposition, conjunction or adverb
    (tags ``u*``, ``p``, ``c``, ``d``) with a frequency of 50,000 or more: no term begins or ends with one."""
    return frozenset(
        word
        for word, freq, tag in _jieba_dictionary()
        if len(word) == 1 and freq >= FUNCTION_MIN_FREQ and tag.startswith(FUNCTION_TAGS)
    )


def _code_points(chars: Iterable[str]) -> np.ndarray:
    return np.array(sorted(ord(ch) for ch in chars), dtype=np.uint32)


@functools.cache
def _known_keys(n: int) -> np.ndarray:
    words = [w for w, _, _ in _jieba_dictionary() if len(w) == n]
    if not words:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).reshape(len(words), n)
    return np.unique(ngram_keys(codes)[-1])


def _check_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number, got {value!r}", argument=name)
    return float(value)


def _chunks(texts: Iterable[str], tick: Callable[[int], object]) -> Iterator[np.ndarray]:
    if isinstance(texts, str):
        raise ArgumentTypeError("texts must be an iterable of strings, not a single string; wrap it as [text]")
    try:
        items = iter(texts)
    except TypeError:
        raise ArgumentTypeError(f"texts must be an iterable of strings, got {type(texts).__name__}") from None
    batch: list[str] = []
    size = 0
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise ArgumentTypeError(f"texts[{i}] is {type(text).__name__}, expected str")
        batch.append(text)
        size += len(text)
        if size >= CHUNK_CHARS:
            yield encode_chunk(batch)
            tick(size)
            batch, size = [], 0
    if batch:
        yield encode_chunk(batch)
        tick(size)


def discover_terms(
    texts: Iterable[str],
    *,
    min_len: int = 2,
    max_len: int = 6,
    min_count: int = 5,
    min_cohesion: float = 4.0,
    min_entropy: float = 1.0,
    top_k: int | None = None,
    exclude_known: bool = True,
    rules: bool = True,
    compounds: bool = True,
    processes: int = 1,
    max_ngrams: int = 4_000_000,
    progress: bool = False,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> list[Term]:
    """Find the terms of a corpus: frequent, cohesive runs of CJK characters that are free on both sides.

    Args:
        texts: the corpus, any iterable of strings (a list, an open file, a generator), read once as a stream.
        min_len: shortest term, in characters (at least 2).
        max_len: longest term, in characters (at most 32).
        min_count: fewest occurrences of a term.
        min_cohesion: smallest cohesion of a term (see the module docstring).
        min_entropy: smallest left and right branching entropy of a term, in nats (ln 3 = 1.1: at least about
            three different neighbours on each side).
        top_k: keep this many terms, best first (``None``: all that pass).
        exclude_known: leave out the words of jieba's main dictionary (``known_words``).
        rules: leave out phrases that jieba cuts into a function word and the rest, number expressions, and
            pieces of dictionary words (the module docstring says how each is told).
        compounds: keep the terms that jieba's dictionary cuts into words of two or more characters alone
            (有关部门: 有关 + 部门; 缓刑考验期限). ``False`` keeps only the words its dictionary cannot build, those
            it cuts into pieces of which one at least is a single character (不安抗辩权: 不安 + 抗辩 + 权; most
            names), and the dictionary's own words when ``exclude_known`` is off: the better choice for a
            dictionary that is to improve jieba's segmentation under a standard that splits such phrases.
            Whole-word masking can use either; compounds are then masked whole, as phrase masking does.
        processes: worker processes that count (1: this process alone). The result does not depend on it. The
            workers are started with ``spawn``: a script that asks for more than one calls this under
            ``if __name__ == "__main__":``.
        max_ngrams: most entries of the count table of each n-gram length in the first pass; a full table drops
            its rarest entries. This bounds memory at about ``max_len * max_ngrams * 50`` bytes; a term seen
            fewer times than the highest count dropped may then be missed (a warning says so). The counts of the
            terms found are exact all the same.
        progress: show progress bars on stderr.
        tmp_dir: the folder of the temporary copy of the corpus (4 bytes a character; default: the system's
            temporary folder). The file has no name and goes when the call returns.

    Returns:
        The terms, highest ``score`` first (then the most frequent, then in character order).

    Raises:
        TypeError: ``texts`` is a single string, or holds something other than strings.
        ValueError: an argument is out of range (the message names it).
    """
    check_int(min_len, "min_len", 2, 32)
    check_int(max_len, "max_len", min_len, 32)
    check_int(min_count, "min_count", 1)
    check_int(processes, "processes", 1)
    check_int(max_ngrams, "max_ngrams", 1000)
    if top_k is not None:
        check_int(top_k, "top_k", 1)
    limits = (_check_number(min_cohesion, "min_cohesion"), _check_number(min_entropy, "min_entropy"))
    from tqdm import tqdm

    with SpilledCorpus(os.fspath(tmp_dir) if tmp_dir is not None else None) as spill:
        with tqdm(desc="terms: counting", unit="char", unit_scale=True, disable=not progress, file=sys.stderr) as bar:
            chunks = _chunks(texts, bar.update)
            tables = count_ngrams(chunks, spill, max_len=max_len, max_ngrams=max_ngrams, processes=processes)
        _warn_if_pruned(tables, min_count)
        wanted = [table.at_least(min_count) for table in tables]
        del tables
        with tqdm(total=spill.characters, desc="terms: scoring", unit="char", unit_scale=True,
                  disable=not progress, file=sys.stderr) as bar:  # fmt: skip
            recounted = recount(spill, wanted, neighbours_from=min_len, processes=processes, progress=bar.update)
        corpus_chars = spill.cjk_characters
        if not corpus_chars:
            return []
        found = [
            _judge(recounted, n, spill, corpus_chars, min_count, limits, exclude_known, rules)
            for n in range(min_len, max_len + 1)
        ]
    terms = _by_dictionary_cut(
        [term for group in found for term in group], corpus_chars, function_edges=rules, compounds=compounds
    )
    terms.sort(key=lambda t: (-t.score, -t.count, t.word))
    return terms[:top_k] if top_k is not None else terms


def _by_dictionary_cut(terms: list[Term], corpus_chars: int, *, function_edges: bool, compounds: bool) -> list[Term]:
    """The terms with their novelty and final score, after jieba's dictionary (HMM off) cuts each; with
    ``function_edges`` not those cut into a function word and the rest (or the rest and a function word);
    without ``compounds`` not those cut into words of two or more characters alone."""
    function = function_characters()
    freqs = _dictionary_frequencies()
    log_total = math.log(sum(freqs.values()))
    kept = []
    for term, cut in zip(terms, JiebaSegmenter(hmm=False).cut([t.word for t in terms]), strict=True):
        if function_edges and (cut[0] in function or cut[-1] in function):
            continue
        if not compounds and len(cut) > 1 and all(len(piece) > 1 for piece in cut):
            continue
        expected = sum(math.log(freqs.get(piece, 0) or 1) - log_total for piece in cut)
        novelty = math.log(term.count / corpus_chars) - expected
        score = term.score + NOVELTY_WEIGHT * novelty / len(term.word)
        kept.append(dataclasses.replace(term, novelty=novelty, score=score))
    return kept


@functools.lru_cache(maxsize=1)
def _dictionary_frequencies() -> dict[str, int]:
    return {word: freq for word, freq, _ in _jieba_dictionary()}


def _warn_if_pruned(tables: list[NgramTable], min_count: int) -> None:
    floor = max(table.floor for table in tables)
    if floor >= min_count:
        logger.warning(
            "the n-gram tables were full and dropped n-grams seen up to %d times (min_count is %d): terms seen "
            "fewer than %d times may be missing; raise max_ngrams to keep them",
            floor,
            min_count,
            floor + 1,
        )


def _lookup(recounted: Recount, keys: np.ndarray) -> np.ndarray:
    """Exact counts of ``keys`` (0 for a key that was not counted)."""
    if not len(recounted.keys):
        return np.zeros(len(keys), dtype=np.int64)
    at = np.minimum(np.searchsorted(recounted.keys, keys), len(recounted.keys) - 1)
    return np.where(recounted.keys[at] == keys, recounted.counts[at], 0)


def _entropy(table: NgramTable, counts: np.ndarray) -> np.ndarray:
    """Branching entropy of every entry, ``log T - sum(c log c) / T`` over its neighbours' counts ``c``: the ends
    of texts, each a neighbour of its own (``c = 1``, adding nothing to the sum), make up the rest of ``T``."""
    entry, _ = split_neighbours(table)
    c = table.counts.astype(np.float64)
    spread = np.bincount(entry, weights=c * np.log(c), minlength=len(counts))
    total = np.maximum(counts, 1).astype(np.float64)
    return np.log(total) - spread / total


def _judge(
    recounted: list[Recount],
    n: int,
    spill: SpilledCorpus,
    corpus_chars: int,
    min_count: int,
    limits: tuple[float, float],
    exclude_known: bool,
    rules: bool,
) -> list[Term]:
    """The terms of length ``n``."""
    own = recounted[n - 1]
    chosen = np.flatnonzero(own.counts >= min_count)
    if exclude_known and len(chosen):
        known = _known_keys(n)
        if len(known):
            at = np.minimum(np.searchsorted(known, own.keys[chosen]), len(known) - 1)
            chosen = chosen[known[at] != own.keys[chosen]]
    if not len(chosen):
        return []
    codes = spill.gather(own.first[chosen], n)  # (C, n) code points of each candidate
    if rules:
        keep = np.isin(codes, _code_points(NUMERALS)).sum(axis=1) < 2
        chosen, codes = chosen[keep], codes[keep]
    counts = own.counts[chosen]
    prefixes = ngram_keys(codes)
    cohesion = np.full(len(chosen), np.inf)
    for k in range(1, n):
        head = _lookup(recounted[k - 1], prefixes[k - 1])
        tail = _lookup(recounted[n - k - 1], ngram_keys(codes[:, k:])[-1])
        with np.errstate(divide="ignore"):  # a part not counted (dropped from a full table) fails the test
            pmi = math.log(corpus_chars) + np.log(counts) - np.log(head) - np.log(tail)
        cohesion = np.minimum(cohesion, np.where((head > 0) & (tail > 0), pmi, -np.inf))
    assert own.left is not None and own.right is not None
    left = _entropy(own.left, own.counts)[chosen]
    right = _entropy(own.right, own.counts)[chosen]
    free = np.minimum(left, right)
    passed = (cohesion >= limits[0]) & (free >= limits[1])
    if rules:
        crossed = np.maximum(_crossed(own.left, chosen, codes, left_side=True),
                             _crossed(own.right, chosen, codes, left_side=False))  # fmt: skip
        passed &= crossed <= MAX_CROSSING * counts
    keep = np.flatnonzero(passed)
    if not len(keep):
        return []
    score = free + cohesion / n  # novelty is added once jieba has cut the terms
    words = _decode(codes[keep])
    return [
        Term(word, int(counts[i]), float(cohesion[i]), float(left[i]), float(right[i]), 0.0, float(score[i]))
        for word, i in zip(words, keep, strict=True)
    ]


def _crossed(table: NgramTable, chosen: np.ndarray, codes: np.ndarray, *, left_side: bool) -> np.ndarray:
    """How many occurrences of each candidate (rows of ``codes``, entries ``chosen`` of the neighbour ``table``)
    have a neighbour that forms a dictionary word with the candidate's first characters (``left_side``) or its
    last ones."""
    entry, neighbours = split_neighbours(table)
    if not len(chosen) or not len(entry):
        return np.zeros(len(chosen))
    row_of = np.full(max(int(entry.max()), int(chosen.max())) + 1, -1, dtype=np.int64)
    row_of[chosen] = np.arange(len(chosen))
    where = np.flatnonzero(row_of[entry] >= 0)
    rows = row_of[entry[where]]
    neighbour = neighbours[where][:, None]
    crossing = np.zeros(len(where), dtype=bool)
    n = codes.shape[1]
    for k in range(1, n + 1):
        part = codes[rows, :k] if left_side else codes[rows, n - k :]
        word = np.hstack([neighbour, part] if left_side else [part, neighbour])
        known = _known_keys(k + 1)
        if not len(known) or not len(word):
            continue
        keys = ngram_keys(word)[-1]
        at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
        crossing |= known[at] == keys
    return np.bincount(rows[crossing], weights=table.counts[where][crossing], minlength=len(chosen))


def _decode(codes: np.ndarray) -> list[str]:
    n = codes.shape[1]
    text = np.ascontiguousarray(codes, dtype="<u4").tobytes().decode("utf-32-le")
    return [text[i : i + n] for i in range(0, len(text), n)]


def write_user_dict(
    terms: Sequence[Term], path: str | os.PathLike[str], *, tag: str = "nz", scores: bool = True
) -> list[Path]:
    """Write ``terms`` as a jieba user dictionary, one ``word freq tag`` per line, and (``scores=True``) their
    statistics as a tab-separated file beside it (``terms.txt`` -> ``terms.tsv``, with a header line). Each file
    appears complete or not at all.

    ``freq`` is the term's count, raised where needed to the frequency at which jieba keeps the term whole
    rather than cutting it into words of its dictionary (jieba's ``suggest_freq``).

    Returns:
        The files written.

    Raises:
        ValueError: ``tag`` is not one word, or the dictionary itself ends in ``.tsv``.
    """
    if not tag or len(tag.split()) != 1 or tag != tag.strip():
        raise UsageError(f"tag must be one word such as 'nz', got {tag!r}", argument="tag")
    target = Path(path)
    table = target.with_suffix(".tsv")
    if scores and table == target:
        raise UsageError(f"{target}: the statistics go to a .tsv file beside the dictionary; give it another name")
    freqs = JiebaSegmenter(hmm=False).suggest_freqs([term.word for term in terms]) if terms else []
    with atomic_write(target) as out:
        for term, freq in zip(terms, freqs, strict=True):
            out.write(f"{term.word} {max(term.count, freq)} {tag}\n")
    if not scores:
        return [target]
    with atomic_write(table) as out:
        out.write("word\tcount\tcohesion\tleft_entropy\tright_entropy\tnovelty\tscore\n")
        for t in terms:
            stats = (t.cohesion, t.left_entropy, t.right_entropy, t.novelty, t.score)
            out.write(f"{t.word}\t{t.count}\t" + "\t".join(f"{x:.4f}" for x in stats) + "\n")
    return [target, table]
