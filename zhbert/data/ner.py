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

from ..errors import DataError, UsageError
from ..tagging.schemes import (
    TagError,
    detect_scheme,
    normalize_scheme,
    parse_tag,
    scheme_prefixes,
    spans_to_bioes,
    tags_to_spans,
)
from ..text.files import atomic_write, read_utf8
from .annotations.formats import detect_format
from .annotations.overlaps import flatten
from .annotations.read import read_annotations
from .annotations.records import AnnotationReport, Overlap
from .ner_example import NerExample
from .word_tokens import is_word_tokens, join_words, refuse_clause_tokens

__all__ = ["NerData", "NerExample", "read_ner_data", "read_ner_file", "write_conll_bioes"]

logger = logging.getLogger(__name__)

LATIN_SPACES = "with a space where two Latin words meet"
# A file is read as position-digit tokens when at least this share of its tokens fit that format.
POSITION_DIGITS_SHARE = 0.9
# How many invalid tag sequences beyond the first a message names by file:line.
SHOWN_TAGS = 3


@dataclass(frozen=True)
class NerData:
    """What a NER file holds, and how it was read.

    Attributes:
        examples: the sentences with their spans.
        scheme: ``"IOB2"``, ``"BIOES"``, ``"BMES"``, or an annotation format in capitals (``"CLUENER"``,
            ``"DOCCANO"``, ``"LABEL-STUDIO"``, ``"LABEL-STUDIO-MIN"``, ``"CMEEE"``, ``"BRAT"``).
        position_digits: whether each token's trailing digits were read as its position in its word (``科0``), as
            Weibo NER writes them, and left out of the text.
        note: one line on how the tokens were read, when there is something to say; else ``""``.
        report: how an annotation file was read (entities read, repaired, refused, overlaps); ``None`` for tags.
        dropped: the overlapping entities left out to make an annotation file flat (``fix_tags``), each with the
            one it lost to.
    """

    examples: list[NerExample]
    scheme: str
    position_digits: bool
    note: str = ""
    report: AnnotationReport | None = None
    dropped: tuple[Overlap, ...] = ()


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
    format: str = "auto",
    offsets: str = "auto",
    annotator: str = "first",
    overlaps: str | None = None,
) -> NerData:
    """Read a NER file into examples with spans, and say how it was read.

    Args:
        path: a char-per-line file, or an annotation export (JSON, JSON lines, BRAT ``.txt``/``.ann`` or folder).
        scheme: ``"auto"``, ``"IOB2"`` (or ``"BIO"``), ``"BIOES"``, ``"BMES"`` or ``"CLUENER"``, any case.
            ``"auto"`` picks the tag scheme from the tags (:func:`zhbert.tags.detect_scheme`).
        fix_tags: repair invalid tag sequences as lenient decoders do (see :func:`zhbert.tags.tags_to_spans`),
            and in annotation files keep the longer of two overlapping spans (overlap policy ``"longest"``;
            else ``"refuse"``), instead of raising.
        limit: stop after this many sentences; the scheme is then detected from those only.
        position_digits: whether the tokens of a char-per-line file end in their position in their word (``科0
            技1``, as Weibo NER writes them): ``None`` decides from the file (at least 90% of its tokens fit);
            give the decision of a run's training file when reading its validation and test files.
        format: ``"auto"`` (from the content), ``"tags"`` or an annotation format (see
            :func:`zhbert.data.annotations.read_annotations`, which also says what ``offsets`` and ``annotator`` do).
        offsets: the unit of annotation offsets written without their text: ``"auto"``, ``"codepoints"``, ``"utf16"``.
        annotator: which annotation of a text annotated several times is read: ``"first"``, ``"latest"`` or an id.
        overlaps: what a flat tagger's reader does with overlapping entities of an annotation file: ``"refuse"`` or
            ``"longest"`` (:func:`zhbert.data.annotations.flatten`); ``"keep"`` keeps them all, nested and
            overlapping (for a span head); ``None`` follows ``fix_tags``.

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
    text = None if path.is_dir() or path.suffix == ".ann" or format == "brat" else read_utf8(path)
    fmt = detect_format(path, text) if format == "auto" else format
    if format == "auto" and wanted == "CLUENER" and fmt != "tags":
        fmt = "cluener"
    if fmt != "tags":
        if wanted not in ("AUTO", "CLUENER"):
            raise DataError(f"{path}: an annotation file ({fmt}) holds spans, not {wanted} tags; leave scheme='auto'")
        policy = overlaps or ("longest" if fix_tags else "refuse")
        argument = "overlaps" if overlaps else "fix_tags"
        data = _read_annotated(path, fmt, policy, argument, limit, offsets, annotator)
    else:
        if wanted == "CLUENER":
            raise DataError(f"{path}: scheme 'CLUENER' needs a JSON lines file, but this one is not JSON")
        data = _read_conll(path, text or "", wanted, fix_tags, limit, position_digits)
    if not data.examples:
        raise DataError(f"{path}: no sentences in the file")
    if data.note:
        logger.log(logging.INFO if data.note.endswith("left out of the text") else logging.WARNING, data.note)
    return data


def _read_annotated(
    path: Path, fmt: str, policy: str, argument: str, limit: int | None, offsets: str, annotator: str
) -> NerData:
    """An annotation file, made flat for a tagger by the overlap ``policy`` (chosen by the caller's ``argument``),
    or with its overlaps kept (``"keep"``)."""
    read = read_annotations(path, format=fmt, offsets=offsets, annotator=annotator, limit=limit)
    inclusive = fmt in ("cluener", "cmeee")
    dropped: list[Overlap] = []
    if policy == "keep":  # a span head reads nested entities as they are
        examples = list(read.examples)
    else:
        examples, dropped = flatten(read.examples, policy, inclusive, argument=argument)
    lines = [*read.report.notes, *(f"refused: {r}" for r in read.report.refused[:3])]
    if dropped:
        lines.append(f"{len(dropped):,} overlapping entities left out, the longer kept (the first: {dropped[0]})")
    note = f"{path}: " + "; ".join(lines) if lines else ""
    return NerData(examples, fmt.upper(), False, note, read.report, tuple(dropped))


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
    documents = 0
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
                if limit is not None and len(sentences) >= limit:
                    break
            continue
        if line.split(maxsplit=1)[0] == "-DOCSTART-":  # a document break (CoNLL-2003), not text
            documents += 1
            if current:
                sentences.append(current)
                current = []
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
    token_lists = stripped if position_digits else [[tok for tok, _, _ in sent] for sent in sentences]
    words = not looks and is_word_tokens(token_lists)
    if words or documents:
        said = f"read as word tokens, {LATIN_SPACES}" if words else ""
        said += f"{'; ' if words and documents else ''}{documents:,} -DOCSTART- lines read as document breaks"
        note = f"{note}; {said}" if note else f"{path}: {said}"
    examples = []
    bad: list[TagError] = []  # every invalid sequence, repaired with fix_tags
    for sent, tokens in zip(sentences, token_lists, strict=True):
        tags = [tag for _, tag, _ in sent]
        try:
            spans = tags_to_spans(tags, used)
        except TagError as err:
            fixable = err.argument == "fix_tags"
            bad.append(TagError(err.reason, f"{path}:{sent[err.position][2]}", err.position, fixable))
            if not (fix_tags and fixable):
                continue
            spans = tags_to_spans(tags, used, fix=True)
        # Offsets count characters, also where a token holds several (a number or a Latin word).
        if words:
            refuse_clause_tokens(path, sent, tokens)
            text, starts, ends = join_words(tokens)
        else:
            text, starts, ends = "".join(tokens), [], [0]
            for tok in tokens:
                starts.append(ends[-1])
                ends.append(ends[-1] + len(tok))
            ends = ends[1:]
        char_spans = tuple((starts[s], ends[e - 1], t) for s, e, t in spans)
        examples.append(NerExample(text, char_spans, f"{path}:{sent[0][2]}"))
    if bad:
        said = _bad_tags(bad, fix_tags)
        note = f"{note}; {said}" if note else f"{path}: {said}"
    return NerData(examples, used, position_digits, note)


def _bad_tags(bad: Sequence[TagError], fix_tags: bool) -> str:
    """Raise on invalid tag sequences, all of them counted and the first few shown with ``file:line``; with
    ``fix_tags`` (and all repairable) the line that says how many were repaired."""
    others = [err.where for err in bad[1 : 1 + SHOWN_TAGS]]
    more = len(bad) - 1 - len(others)
    rest = f" (also at {', '.join(others)}{f' and {more:,} more' if more else ''})" if others else ""
    if fix_tags and all(err.argument == "fix_tags" for err in bad):
        return f"{len(bad):,} invalid tag sequences repaired (the first: {bad[0]}){rest}"
    first = next((err for err in bad if err.argument != "fix_tags"), bad[0]) if fix_tags else bad[0]
    if len(bad) == 1 or first is not bad[0]:
        raise TagError(first.reason, first.where, first.position, first.argument == "fix_tags")
    raise TagError(
        f"{first.reason}; {len(bad):,} invalid tag sequences in all{rest}",
        first.where,
        first.position,
        all(err.argument == "fix_tags" for err in bad),
    )


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
