"""Counting the character n-grams of a large corpus in bounded memory, for term discovery (``zhbert.terms``).

Text becomes arrays of code points in which an n-gram is a run of CJK ideographs, so none crosses punctuation,
Latin letters, digits or the end of a text (a 0); of the other characters only those next to a CJK character
are kept, as neighbours. An n-gram is known by a 64-bit hash of its code points, computed for every position of
a chunk at once with numpy; per length, a chunk's counts are a sorted array of hashes and an array of counts,
merged in batches into a table of the whole corpus.

Two passes over the corpus, which is kept on disk between them (4 bytes a character):

1. ``count_ngrams``: the n-grams of every length, in tables of at most ``max_ngrams`` entries each. A full table
   drops its rarest entries (lossy counting: besides its count, each entry keeps the most it may have missed,
   the table's ``floor`` when it came in, which is the highest total dropped so far). Every n-gram seen more
   often than the final floor is still there, with a count at most ``floor`` too low.
2. ``recount``: the n-grams that may be frequent are counted again, exactly, with the characters found to the
   left and right of each.

Hash collisions are possible but unlikely: about ``n**2 / 2**65`` in a table of ``n`` entries (3e-6 at 10M).
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from ..cores import usable_cores
from ..text.chars import cjk_mask

__all__ = [
    "NgramTable",
    "Recount",
    "SpilledCorpus",
    "count_ngrams",
    "encode_chunk",
    "ngram_keys",
    "recount",
    "split_neighbours",
]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0x9E3779B97F4A7C15)
_CHAR_BITS = 21  # a code point fits in 21 bits, so (entry << 21) | neighbour is exact in 64 bits


def encode_chunk(texts: list[str]) -> np.ndarray:
    """The texts as one array of code points (uint32), each text between two 0s (a boundary).

    Of every run of characters that are not CJK ideographs only the first and the last are kept, as the
    neighbours of the n-grams beside them; digits become one character (``0``), Latin letters another (``A``), so
    the number before a word (``第3号``) is one neighbour, not ten. Lone surrogates are kept as they are.
    """
    joined = "\x00" + "\x00".join(texts) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32).copy()
    cjk = cjk_mask(codes)
    digit = ((codes >= 0x30) & (codes <= 0x39)) | ((codes >= 0xFF10) & (codes <= 0xFF19))
    lower = codes | 0x20
    latin = (
        ((lower >= 0x61) & (lower <= 0x7A))
        | ((codes >= 0xFF21) & (codes <= 0xFF3A))
        | ((codes >= 0xFF41) & (codes <= 0xFF5A))
    )
    codes[digit] = 0x30
    codes[latin] = 0x41
    # Keep the CJK characters and the two ends of every other run (the ends of the array are 0s, kept).
    edge = np.ones(len(codes), dtype=bool)
    edge[1:-1] = cjk[:-2] | cjk[2:]
    return codes[cjk | edge]


def _mix(x: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser, in place: every input bit reaches every output bit.
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def _extend(keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The keys of n-grams one character longer: ``keys`` of the n-grams, ``codes`` the characters that follow."""
    with np.errstate(over="ignore"):
        return _mix(keys * _STEP + codes.astype(np.uint64))


def ngram_keys(codes: np.ndarray) -> list[np.ndarray]:
    """The keys of the prefixes of rows of code points: ``out[k][i]`` is the key of ``codes[i, : k + 1]``."""
    codes = np.asarray(codes, dtype=np.uint32).reshape(len(codes), -1)
    keys = [_extend(np.zeros(len(codes), dtype=np.uint64), codes[:, 0])]
    for k in range(1, codes.shape[1]):
        keys.append(_extend(keys[-1], codes[:, k]))
    return keys


def _run_left(codes: np.ndarray) -> np.ndarray:
    """How many CJK characters start at each position (0 where there is none); ``codes`` ends with a 0."""
    positions = np.arange(len(codes))
    stops = np.where(cjk_mask(codes), len(codes), positions)
    return np.minimum.accumulate(stops[::-1])[::-1] - positions


def _positions(codes: np.ndarray, max_len: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """For n = 1..max_len: n, the key of the n-gram at every position, and the positions where a whole n-gram
    (n CJK characters) starts."""
    run = _run_left(codes)
    keys = np.zeros(len(codes), dtype=np.uint64)
    for n in range(1, max_len + 1):
        keys = _extend(keys[: len(codes) - n + 1], codes[n - 1 :])
        yield n, keys, np.flatnonzero(run[: len(keys)] >= n)


def _groups(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))


def _tally(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (sorted) and how often each occurs."""
    keys = np.sort(keys)
    starts = _groups(keys)
    return keys[starts], np.diff(np.append(starts, len(keys))).astype(np.int64)


def _count_chunk(codes: np.ndarray, max_len: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [_tally(keys[where]) for _, keys, where in _positions(codes, max_len)]


@dataclass
class NgramTable:
    """Counts of distinct 64-bit keys: sorted ``keys``, their ``counts``, and ``missed``, the most each may have
    been undercounted. Added counts are merged in batches (``finish`` merges what is left); a table over
    ``max_size`` entries drops its rarest, down to half of that (``None``: never)."""

    max_size: int | None = None
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    missed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    floor: int = 0  # the highest total an entry had when it was dropped
    _pending: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)
    _pending_size: int = 0

    def add(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Add sorted distinct ``keys`` with their ``counts``."""
        self._pending.append((keys, counts))
        self._pending_size += len(keys)
        if self._pending_size >= max(len(self.keys), 1 << 20):
            self.finish()

    def finish(self) -> NgramTable:
        """Merge the pending counts into the table."""
        if not self._pending:
            return self
        keys = np.concatenate([self.keys, *(k for k, _ in self._pending)])
        counts = np.concatenate([self.counts, *(c for _, c in self._pending)])
        # An entry new to the table may have been dropped before: it may have missed up to the floor.
        missed = np.concatenate([self.missed, np.full(self._pending_size, self.floor, dtype=np.int64)])
        self._pending, self._pending_size = [], 0
        order = np.argsort(keys, kind="stable")  # timsort: the table and each batch are sorted runs
        keys = keys[order]
        starts = _groups(keys)
        self.keys = keys[starts]
        self.counts = np.add.reduceat(counts[order], starts) if len(starts) else counts[:0]
        self.missed = np.minimum.reduceat(missed[order], starts) if len(starts) else missed[:0]
        if self.max_size is not None and len(self.keys) > self.max_size:
            self._prune(self.max_size // 2)
        return self

    def _prune(self, keep: int) -> None:
        totals = self.counts + self.missed
        cut = int(np.partition(totals, len(totals) - keep)[len(totals) - keep])
        kept = totals > cut
        self.keys, self.counts, self.missed = self.keys[kept], self.counts[kept], self.missed[kept]
        self.floor = max(self.floor, cut)

    def at_least(self, min_count: int) -> np.ndarray:
        """The keys (sorted) of every entry whose count may be ``min_count`` or more."""
        self.finish()
        return self.keys[self.counts + self.missed >= min_count]


class SpilledCorpus:
    """The encoded chunks of pass 1, kept in an anonymous temporary file for pass 2."""

    def __init__(self, directory: str | None = None) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close/__exit__)
        self.sizes: list[int] = []
        self.cjk_characters = 0

    def __enter__(self) -> SpilledCorpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, codes: np.ndarray) -> None:
        self._file.write(codes.tobytes())
        self.sizes.append(len(codes))
        self.cjk_characters += int(cjk_mask(codes).sum())

    @property
    def characters(self) -> int:
        return sum(self.sizes)

    def chunks(self) -> Iterator[np.ndarray]:
        self._file.flush()
        self._file.seek(0)
        for size in self.sizes:
            yield np.frombuffer(self._file.read(4 * size), dtype=np.uint32)

    def gather(self, starts: np.ndarray, length: int) -> np.ndarray:
        """Rows of ``length`` code points from the given global positions."""
        if not len(starts):
            return np.zeros((0, length), dtype=np.uint32)
        self._file.flush()
        data = np.memmap(self._file, dtype=np.uint32, mode="r", shape=(self.characters,))
        return np.asarray(data[starts[:, None] + np.arange(length)])

    def close(self) -> None:
        self._file.close()


def _ordered_map(
    fn: Callable[..., Any], items: Iterable[Any], processes: int, initializer: Any = None, initargs: tuple = ()
) -> Iterator[Any]:
    """``map(fn, items)`` in order, over ``processes`` worker processes, with at most two items per worker in
    flight (``Pool.imap`` would read the whole input ahead)."""
    if processes <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads (torch, tokenizers)
    with ctx.Pool(processes, initializer=initializer, initargs=initargs) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.apply_async(fn, (item,)))
            if len(pending) >= 2 * processes:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _count_task(args: tuple[np.ndarray, int]) -> list[tuple[np.ndarray, np.ndarray]]:
    return _count_chunk(*args)


def count_ngrams(
    chunks: Iterable[np.ndarray], spill: SpilledCorpus, *, max_len: int, max_ngrams: int | None, processes: int = 1
) -> list[NgramTable]:
    """Pass 1: tables of the n-grams of lengths 1..max_len (``tables[n - 1]``); each chunk is also spilled."""
    tables = [NgramTable(max_ngrams) for _ in range(max_len)]

    def tasks() -> Iterator[tuple[np.ndarray, int]]:
        for codes in chunks:
            spill.append(codes)
            yield codes, max_len

    for counted in _ordered_map(_count_task, tasks(), processes):
        for table, (keys, counts) in zip(tables, counted, strict=True):
            table.add(keys, counts)
    return [table.finish() for table in tables]


@dataclass
class Recount:
    """Pass 2 for the n-grams of one length: exact ``counts`` of ``keys``, the global position of each one's
    first occurrence (``first``), and, where asked, how often each is followed (``right``) and preceded (``left``)
    by each character, as sorted tables of ``(entry << 21) | code point``."""

    keys: np.ndarray
    counts: np.ndarray
    first: np.ndarray
    right: NgramTable | None = None
    left: NgramTable | None = None


def split_neighbours(table: NgramTable) -> tuple[np.ndarray, np.ndarray]:
    """The keys of a neighbour table (``Recount.left`` or ``.right``) as (entry, neighbour's code point) pairs:
    int64 and uint32 arrays in the table's order, the entries sorted."""
    entries = (table.keys >> np.uint64(_CHAR_BITS)).astype(np.int64)
    neighbours = (table.keys & np.uint64((1 << _CHAR_BITS) - 1)).astype(np.uint32)
    return entries, neighbours


_WANTED: list[np.ndarray] = []
_NEIGHBOURS_FROM = 0


def _init_recount(wanted: list[np.ndarray], neighbours_from: int) -> None:
    global _WANTED, _NEIGHBOURS_FROM
    _WANTED, _NEIGHBOURS_FROM = wanted, neighbours_from


def _recount_chunk(codes: np.ndarray) -> list[tuple]:
    out = []
    for n, keys, where in _positions(codes, len(_WANTED)):
        wanted = _WANTED[n - 1]
        order = np.argsort(keys[where])
        found = keys[where[order]]
        at = np.searchsorted(wanted, found)  # sorted needles: far fewer cache misses than in text order
        hit = at < len(wanted)
        hit[hit] = wanted[at[hit]] == found[hit]
        entries, places = at[hit], where[order[hit]]  # sorted by entry
        starts = _groups(entries)
        first = np.minimum.reduceat(places, starts) if len(starts) else places[:0]
        counts = np.diff(np.append(starts, len(entries))).astype(np.int64)
        sides: list[tuple[np.ndarray, np.ndarray] | None] = [None, None]
        if n >= _NEIGHBOURS_FROM:
            tagged = entries.astype(np.uint64) << np.uint64(_CHAR_BITS)
            # A chunk starts and ends with a 0, so a whole n-gram has a character (or a 0) on either side.
            for side, chars in enumerate((codes[places + n], codes[places - 1])):
                known = chars != 0  # 0: the end of a text, a new neighbour each time (not counted here)
                sides[side] = _tally(tagged[known] | chars[known].astype(np.uint64))
        out.append((entries[starts], counts, first, sides[0], sides[1]))
    return out


def recount(
    spill: SpilledCorpus, wanted: list[np.ndarray], *, neighbours_from: int, processes: int = 1,
    progress: Callable[[int], object] | None = None,
) -> list[Recount]:  # fmt: skip
    """Pass 2: exact counts of the ``wanted`` keys (sorted, one array per length, ``wanted[n - 1]``), with their
    neighbours for lengths from ``neighbours_from`` on."""
    results = []
    for n, keys in enumerate(wanted, start=1):
        tables = (NgramTable(), NgramTable()) if n >= neighbours_from else (None, None)
        first = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
        results.append(Recount(keys, np.zeros(len(keys), dtype=np.int64), first, *tables))
    offset = 0
    chunks = spill.chunks()
    for size, counted in zip(
        spill.sizes,
        _ordered_map(_recount_chunk, chunks, processes, _init_recount, (wanted, neighbours_from)),
        strict=True,
    ):
        for result, (entries, counts, first, right, left) in zip(results, counted, strict=True):
            result.counts[entries] += counts
            result.first[entries] = np.minimum(result.first[entries], first + offset)
            for table, side in ((result.right, right), (result.left, left)):
                if table is not None and side is not None:
                    table.add(*side)
        offset += size
        if progress is not None:
            progress(size)
    for result in results:
        for table in (result.right, result.left):
            if table is not None:
                table.finish()
    return results


def default_processes() -> int:
    """The cores this process may use (``zhbert.cores.usable_cores``)."""
    return usable_cores()
