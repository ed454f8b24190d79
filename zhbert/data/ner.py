"""NER training files read into one shape: text plus ``[start, end)`` entity spans.

Formats: one character per line (``char<space or tab>tag``, a blank line between sentences) in IOB2, BIOES or
BMES, including Weibo-style files whose character column carries the character's position in its word (``科0 技1
全0 方1 位2``); and CLUENER JSON lines (``{"text": ..., "label": {type: {entity: [[start, end_inclusive], ...]}}}``).

    >>> examples, scheme = read_ner_file("resume_ner/dev.char.bmes")
    >>> scheme, examples[0].text[:3], examples[0].spans[0]
    ('BMES', '吴重阳', (0, 3, 'NAME'))
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, UsageError
from ..tagging.schemes import (
    Span,
    TagError,
    detect_scheme,
    normalize_scheme,
    parse_tag,
    scheme_prefixes,
    spans_to_bioes,
    tags_to_spans,
)
from ..text.checks import check_file_text
from ..text.files import atomic_write, json_line, read_utf8

__all__ = ["NerData", "NerExample", "read_ner_data", "read_ner_file", "write_conll_bioes"]

logger = logging.getLogger(__name__)

# A file is read as position-digit tokens when at least this share of its tokens fit that format.
POSITION_DIGITS_SHARE = 0.9


@dataclass(frozen=True)
class NerExample:
    """One sentence with its entities.

    Attributes:
        text: the sentence.
        spans: ``(start, end, type)`` with ``[start, end)`` character offsets into ``text``, sorted.
        source: ``"file:line"`` where the sentence starts.
    """

    text: str
    spans: tuple[Span, ...]
    source: str


@dataclass(frozen=True)
class NerData:
    """What a NER file holds, and how it was read.

    Attributes:
        examples: the sentences with their spans.
        scheme: ``"IOB2"``, ``"BIOES"``, ``"BMES"`` or ``"CLUENER"``.
        position_digits: whether each token's trailing digits were read as its position in its word (``科0``), as
            Weibo NER writes them, and left out of the text.
        note: one line on how the tokens were read, when there is something to say; else ``""``.
    """

    examples: list[NerExample]
    scheme: str
    position_digits: bool
    note: str = ""


def _is_json_lines(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".json", ".jsonl") or text.lstrip().startswith("{")


def read_ner_file(
    path: str | os.PathLike[str], scheme: str = "auto", fix_tags: bool = False, limit: int | None = None
) -> tuple[list[NerExample], str]:
    """Read a NER file into examples with spans: :func:`read_ner_data`'s examples and scheme."""
    data = read_ner_data(path, scheme=scheme, fix_tags=fix_tags, limit=limit)
    return data.examples, data.scheme


def read_ner_data(
    path: str | os.PathLike[str],
    scheme: str = "auto",
    fix_tags: bool = False,
    limit: int | None = None,
    position_digits: bool | None = None,
) -> NerData:
    """Read a NER file into examples with spans, and say how it was read.

    Args:
        path: a char-per-line file, or CLUENER JSON lines (``.json``/``.jsonl`` or a first character ``{``).
        scheme: ``"auto"``, ``"IOB2"`` (or ``"BIO"``), ``"BIOES"``, ``"BMES"`` or ``"CLUENER"``, any case.
            ``"auto"`` picks the tag scheme from the tags (:func:`zhbert.tags.detect_scheme`).
        fix_tags: repair invalid tag sequences as lenient decoders do (see :func:`zhbert.tags.tags_to_spans`),
            and in CLUENER files keep the longer of two overlapping spans, instead of raising.
        limit: stop after this many sentences; the scheme is then detected from those only.
        position_digits: whether the tokens of a char-per-line file end in their position in their word (``科0
            技1``, as Weibo NER writes them): ``None`` decides from the file (at least 90% of its tokens fit);
            give the decision of a run's training file when reading its validation and test files.

    Returns:
        The examples, the scheme used, and how the tokens were read; a file read as position digits whose tokens
        do not all fit says how many did not, and where the first is (also logged).

    Raises:
        FileNotFoundError: the file does not exist.
        TagError: an invalid tag sequence (unless ``fix_tags``); the message names the file and line of the tag.
        DataError: anything else wrong with the file, naming it and the line; or no sentences at all.
        ValueError: an unknown ``scheme``.
    """
    path = Path(path)
    wanted = scheme.strip().upper()
    if wanted not in ("AUTO", "CLUENER"):
        wanted = normalize_scheme(scheme)
    text = read_utf8(path)
    if _is_json_lines(path, text):
        if wanted not in ("AUTO", "CLUENER"):
            raise DataError(f"{path}: a JSON lines file holds spans, not {wanted} tags; leave scheme='auto'")
        data = NerData(_read_cluener(path, text, fix_tags, limit), "CLUENER", False)
    else:
        if wanted == "CLUENER":
            raise DataError(f"{path}: scheme 'CLUENER' needs a JSON lines file, but this one is not JSON")
        data = _read_conll(path, text, wanted, fix_tags, limit, position_digits)
    if not data.examples:
        raise DataError(f"{path}: no sentences in the file")
    if data.note:
        logger.log(logging.INFO if data.note.endswith("left out of the text") else logging.WARNING, data.note)
    return data


def _split_line(line: str) -> tuple[str, str] | None:
    """``(token, tag)`` of a tagged line: the token runs to the first separator after its first character, so a
    space character can be a token; the tag is the last column."""
    sep = "\t" if "\t" in line[1:] else " "
    cut = line.find(sep, 1)
    if cut < 0:
        return None
    tag = line[cut + 1 :].rstrip().split(sep)[-1].strip()
    return (line[:cut], tag) if tag else None


def _read_conll(
    path: Path, text: str, wanted: str, fix_tags: bool, limit: int | None, position_digits: bool | None
) -> NerData:
    sentences: list[list[tuple[str, str, int]]] = []  # (token, tag, line number) per character line
    current: list[tuple[str, str, int]] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
                if limit is not None and len(sentences) >= limit:
                    break
            continue
        parsed = _split_line(line)
        if parsed is None:
            raise DataError(f"{path}:{lineno}: no tag column in {line!r}; expected `<char><space or tab><tag>`")
        current.append((parsed[0], parsed[1], lineno))
    if current and (limit is None or len(sentences) < limit):
        sentences.append(current)

    # Weibo NER writes each character's position in its word after it (科0 技1); decided for the whole file.
    stripped, misfits = _strip_positions(sentences)
    fit = sum(len(sent) for sent in sentences) - len(misfits)
    looks = bool(sentences) and fit >= POSITION_DIGITS_SHARE * (fit + len(misfits))
    note = ""
    if position_digits is None:
        position_digits = looks
    elif looks and not position_digits:
        note = (
            f"{path}: its tokens look like Weibo-style position digits (科0 技1), but are read as plain text, as asked"
        )
    if position_digits:
        note = _position_note(path, fit, misfits)
    used = detect_scheme([tag for _, tag, _ in sent] for sent in sentences) if wanted == "AUTO" else wanted
    if wanted != "AUTO":
        _check_prefixes(path, sentences, used)
    examples = []
    for sent, plain in zip(sentences, stripped, strict=True):
        tokens = plain if position_digits else [tok for tok, _, _ in sent]
        try:
            spans = tags_to_spans([tag for _, tag, _ in sent], used, fix=fix_tags)
        except TagError as err:
            fixable = err.argument == "fix_tags"
            raise TagError(err.reason, f"{path}:{sent[err.position][2]}", err.position, fixable) from None
        # Offsets count characters, also where a token holds several (a number or a Latin word).
        offsets = [0]
        for tok in tokens:
            offsets.append(offsets[-1] + len(tok))
        char_spans = tuple((offsets[s], offsets[e], t) for s, e, t in spans)
        examples.append(NerExample("".join(tokens), char_spans, f"{path}:{sent[0][2]}"))
    return NerData(examples, used, position_digits, note)


def _split_position(token: str, expected: int) -> tuple[str, int] | None:
    """``(text, position)`` of a token whose trailing ASCII digits are its position in its word: the cut whose
    position continues the word (``expected``) or else starts a new one (0); ``None`` when no cut does. ``10`` is
    the character 1 at position 0; two U+FFFD and a digit (an emoji broken in the export) are those two characters."""
    restart = None
    for cut in range(1, len(token)):
        digits = token[cut:]
        if not (digits.isascii() and digits.isdigit()):
            continue
        if int(digits) == expected:
            return token[:cut], expected
        if int(digits) == 0 and restart is None:
            restart = token[:cut], 0
    return restart


def _strip_positions(
    sentences: Sequence[Sequence[tuple[str, str, int]]],
) -> tuple[list[list[str]], list[tuple[str, int]]]:
    """The tokens without their position digits, and the ``(token, line)`` of each token that does not fit: no
    trailing digit, or one that neither continues its word nor starts a new one (its last digit is still dropped)."""
    stripped: list[list[str]] = []
    misfits: list[tuple[str, int]] = []
    for sent in sentences:
        tokens, position = [], -1
        for token, _, lineno in sent:
            split = _split_position(token, position + 1)
            if split is None:
                misfits.append((token, lineno))
                if len(token) > 1 and token[-1].isascii() and token[-1].isdigit():
                    split = token[:-1], int(token[-1])
                else:
                    split = token, -1
            tokens.append(split[0])
            position = split[1]
        stripped.append(tokens)
    return stripped, misfits


def _position_note(path: Path, fit: int, misfits: Sequence[tuple[str, int]]) -> str:
    """One line on a file read as position-digit tokens."""
    read = f"{path}: read as Weibo-style tokens, each character followed by its position in its word (科0 技1)"
    if not misfits:
        return f"{read}; the {fit:,} position digits are left out of the text"
    token, lineno = misfits[0]
    return (
        f"{read}; {len(misfits):,} of {fit + len(misfits):,} tokens did not fit that format "
        f"(the first at {path}:{lineno}: {token!r})"
    )


def _check_prefixes(path: Path, sentences: list[list[tuple[str, str, int]]], scheme: str) -> None:
    found = detect_scheme([tag for _, tag, _ in sent] for sent in sentences)
    allowed = scheme_prefixes(scheme)
    for sent in sentences:
        for _, tag, lineno in sent:
            try:
                prefix = parse_tag(tag)[0]
            except UsageError:
                continue  # reported with its line by tags_to_spans
            if prefix != "O" and prefix not in allowed:
                raise DataError(
                    f"{path}:{lineno}: {tag} is not a tag of the {scheme} scheme; the file looks like {found}, "
                    "so leave scheme='auto' or give that scheme"
                )


def _read_cluener(path: Path, text: str, fix_tags: bool, limit: int | None) -> list[NerExample]:
    examples: list[NerExample] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if limit is not None and len(examples) >= limit:
            break
        where = f"{path}:{lineno}"
        record = json_line(line, where)
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DataError(f"{where}: expected an object with a 'text' string")
        sentence = check_file_text(record["text"], where)
        spans = _cluener_spans(where, sentence, record.get("label") or {})
        examples.append(NerExample(sentence, _drop_overlaps(where, sentence, spans, fix_tags), where))
    return examples


def _cluener_spans(where: str, text: str, label: Any) -> list[Span]:
    if not isinstance(label, dict):
        raise DataError(f"{where}: 'label' must map each type to {{entity: [[start, end], ...]}}")
    spans: list[Span] = []
    for etype, entities in label.items():
        if not isinstance(entities, dict):
            raise DataError(f"{where}: label {etype!r} must map each entity string to a list of [start, end]")
        for entity, offsets in entities.items():
            pairs = offsets if isinstance(offsets, list) else [None]
            for pair in pairs:
                if not (isinstance(pair, list) and len(pair) == 2 and all(type(x) is int for x in pair)):
                    raise DataError(f"{where}: {etype} {entity!r}: offsets {offsets!r} are not [[start, end], ...]")
                start, end = pair
                if start < 0 or end < start or text[start : end + 1] != entity:
                    raise DataError(
                        f"{where}: {etype} {entity!r} at [{start}, {end}] (end inclusive) does not match "
                        f"the text there, {text[max(start, 0) : end + 1]!r}"
                    )
                spans.append((start, end + 1, etype))
    return sorted(set(spans))


def _drop_overlaps(where: str, text: str, spans: list[Span], fix: bool) -> tuple[Span, ...]:
    kept: list[Span] = []
    # Longest first, so that with ``fix`` an outer entity wins over the one nested in it.
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0], s[2])):
        clash = next((k for k in kept if span[0] < k[1] and k[0] < span[1]), None)
        if clash is None:
            kept.append(span)
        elif not fix:
            a, b = sorted([clash, span])
            raise DataError(
                f"{where}: {a[2]} {text[a[0] : a[1]]!r} [{a[0]}, {a[1] - 1}] and {b[2]} {text[b[0] : b[1]]!r} "
                f"[{b[0]}, {b[1] - 1}] overlap; a tagger cannot hold nested entities (fix_tags keeps the longer one)",
                argument="fix_tags",
            )
    return tuple(sorted(kept))


def write_conll_bioes(path: str | os.PathLike[str], examples: Iterable[NerExample]) -> None:
    """Write examples as one ``char<space>tag`` line per character in BIOES, a blank line after each sentence.

    The file is written beside ``path`` and renamed into place, so a failed write leaves no partial file.

    Raises:
        ValueError: an example is empty, holds a line break, or has overlapping or out-of-range spans.
    """
    path = Path(path)
    lines: list[str] = []
    for example in examples:
        if not example.text or "\n" in example.text or "\r" in example.text:
            raise UsageError(f"{example.source}: an empty text or one with line breaks cannot be written per char")
        try:
            tags = spans_to_bioes(example.spans, len(example.text))
        except ValueError as err:
            raise UsageError(f"{example.source}: {err}") from None
        lines.extend(f"{char} {tag}\n" for char, tag in zip(example.text, tags, strict=True))
        lines.append("\n")
    with atomic_write(path) as handle:
        handle.writelines(lines)
