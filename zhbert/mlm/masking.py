"""The steps of whole-word masking on a padded batch, in NumPy: words per row (their ids checked), runs of words,
and the draw of the units to predict. ``WholeWordMaskCollator`` strings them together.

Batches are small (B=32, T=128), so each step is a handful of whole-array operations: on arrays of a few thousand
entries NumPy's per-call cost is a fraction of torch's, and most work touches only the tokens inside words,
laid end to end in row order (``K`` below).
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError

__all__ = ["choose_units", "ngram_runs", "word_positions"]


def word_positions(word_ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check the word ids of a padded batch and number its words across the batch.

    Word ids are -1 (no word) or word numbers counting from 0 that never decrease along a row, each below the
    row's length (a row of n tokens holds at most n words). Anything else is refused before it sizes an array,
    with a ``UsageError`` naming the feature. The checks ride on reductions the masking needs anyway.

    Args:
        word_ids: (B, T) padded word ids, -1 where there is no word.
        lengths: (B,) tokens in each row before padding.

    Returns:
        ``words`` (B,) words per row; ``positions`` (K,) flat indices into (B, T) of the tokens inside words, in
        row order; ``units`` (K,) their word numbered across the batch (row r's words follow row r-1's).
    """
    if not word_ids.size:
        return np.zeros(word_ids.shape[0], dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    last = np.maximum.reduce(word_ids, axis=1)  # (B,) (ufunc reductions: no Python wrapper on tiny arrays)
    if np.minimum.reduce(word_ids, axis=None) < -1 or np.logical_or.reduce(last >= lengths):
        raise UsageError(_bad_word_ids(word_ids, lengths))
    words = last + 1  # (B,)
    first_unit = words.cumsum() - words  # (B,) batch number of each row's word 0
    positions = (word_ids >= 0).ravel().nonzero()[0]  # (K,)
    units = (word_ids + first_unit[:, None]).ravel()[positions]  # (K,)
    # Rows' numbers do not overlap (each id is below its row's word count), so the ids never decrease along
    # every row exactly when the numbers never decrease across the batch.
    if units.size > 1 and np.logical_or.reduce(units[1:] < units[:-1]):
        raise UsageError(_bad_word_ids(word_ids, lengths))
    return words, positions, units


def _bad_word_ids(word_ids: np.ndarray, lengths: np.ndarray) -> str:
    """The message for the first kind of bad word id found, naming the first feature that has it."""
    running = np.maximum.accumulate(word_ids, axis=1)
    problems = [
        (word_ids < -1, "a word id below -1 (-1 marks tokens outside every word)"),
        ((word_ids >= 0) & (word_ids < running), "word ids that decrease along the row"),
        (word_ids >= lengths[:, None], None),
    ]
    for bad, what in problems:
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size:
            row = int(rows[0])
            if what is None:
                what = f"a word id of {lengths[row]} or more, in a row of {lengths[row]}"
            return f"feature {row} has {what}; word ids count the words of a text from 0"
    raise AssertionError("word ids passed every check")  # pragma: no cover (callers found a problem)


def ngram_runs(words: np.ndarray, cum_weights: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cut each row's words into runs of consecutive words, run lengths drawn independently from the weights.

    Args:
        words: (B,) words per row.
        cum_weights: cumulative probability of run lengths 1, 2, ...; the last entry is ``inf``.

    Returns:
        ``run_of_word`` (W,) the run of each word (W = total words), runs numbered across the batch in row order;
        ``run_rows`` (R,) the row of each run.
    """
    total = int(words.sum())
    row_of_word = np.repeat(np.arange(words.size), words)  # (W,)
    first_word = np.cumsum(words) - words  # (B,)
    # Row r draws as many run lengths as it has words (enough: every run holds one word or more).
    length = np.searchsorted(cum_weights, rng.random(total), side="right") + 1  # (W,) one length per draw
    end = np.cumsum(length)
    row_first = first_word[row_of_word]  # (W,)
    end -= (end - length)[row_first]  # (W,) end of each drawn run, counted within its row
    start = end - length
    kept = start < words[row_of_word]
    starts = np.zeros(total, dtype=np.int64)
    starts[(row_first + start)[kept]] = 1  # (W,) 1 where a run starts
    run_of_word = np.cumsum(starts) - 1
    return run_of_word, row_of_word[starts.astype(bool)]


def choose_units(size: np.ndarray, unit_rows: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    """Draw the units (words or runs) to predict, row by row.

    Each row's units with maskable tokens are taken in random order until ``probability`` of its maskable tokens
    are covered; the unit that crosses the budget is taken with the probability that makes the expected covered
    fraction exactly ``probability``.

    Args:
        size: (U,) maskable tokens in each unit.
        unit_rows: (U,) the row of each unit, non-decreasing (units are numbered row after row).

    Returns:
        (U,) bool: the units chosen.
    """
    # Units without maskable tokens come along: they cover nothing, so whether they are "taken" changes nothing.
    uniform = rng.random(2 * size.size)  # (2U,) the order, then the draw for the unit crossing the budget
    order = (unit_rows + uniform[: size.size]).argsort()  # (U,) random order within each row; rows stay in place
    drawn_size = size[order]
    # Tokens covered once a unit is taken, counted across the batch: the rows before, then its own row's units
    # drawn so far. Its row's limit is the rows before plus the budget.
    covered = drawn_size.cumsum()  # (U,)
    row_size = np.bincount(unit_rows, weights=size)  # (B',) maskable tokens per row
    limit = (row_size.cumsum() - (1.0 - probability) * row_size)[unit_rows]  # (U,) same in drawn order
    # Taken: units that end within the limit, and the one that crosses it (from `covered - size` below the limit
    # to `covered` above it) with probability (limit - (covered - size)) / size. With u uniform in [0, 1), both
    # read: covered - limit <= size * u (units past the crossing cover `size` or more beyond the limit).
    chosen = np.empty(size.size, dtype=bool)
    chosen[order] = covered - limit <= drawn_size * uniform[size.size :]
    return chosen
