"""Entity offsets checked against their text and placed in code points, the unit every zhbert span uses.

Browser tools count UTF-16 units (an emoji or a rare character outside the BMP is two) and read a Windows line
break ``\\r\\n`` as one character; Python counts code points. Where an export carries each entity's text, every
entity of a record is checked against it; when the record's entities only match counted as a browser counts (UTF-16
units, a ``\\r\\n`` as one, or both), they are read so and counted as repaired, and a record whose entities match
both ways is read as most of the file is, and said. Where an export carries no entity text (doccano), ``unit``
decides: ``"auto"`` reads a file as UTF-16 only when some entity ends past its text in code points and every entity
fits UTF-16 units, and says so.

    >>> from_utf16("😀张三", 2), to_utf16("😀张三", 1)
    (1, 2)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import DataError, UsageError
from ...tagging.schemes import Span
from ..ner_example import NerExample
from .overlaps import find_overlaps
from .records import Overlap, RawRecord, RawSpan, Refusal

__all__ = ["UNITS", "Placed", "from_utf16", "place_records", "to_utf16", "utf16_length"]

UNITS = ("auto", "codepoints", "utf16")


def _astral(char: str) -> bool:
    return ord(char) > 0xFFFF


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units."""
    return len(text) + sum(1 for char in text if _astral(char))


def to_utf16(text: str, index: int) -> int:
    """The UTF-16 offset of code point ``index`` of ``text``."""
    return index + sum(1 for char in text[:index] if _astral(char))


def _table(text: str, unit: str) -> dict[int, int]:
    """Offset in ``unit`` -> code point index, for each offset that falls between two characters. Units:
    ``"utf16"``; ``"crlf"``, a ``\r\n`` counted as one character (as a browser reads it); ``"utf16+crlf"``."""
    table: dict[int, int] = {}
    units = 0
    for index, char in enumerate(text):
        table.setdefault(units, index)
        if "crlf" in unit and char == "\r" and text[index + 1 : index + 2] == "\n":
            continue
        units += 2 if "utf16" in unit and _astral(char) else 1
    table[units] = len(text)
    return table


def _utf16_table(text: str) -> dict[int, int]:
    return _table(text, "utf16")


def from_utf16(text: str, offset: int) -> int | None:
    """The code point index of UTF-16 ``offset`` into ``text``; ``None`` past the end or inside a surrogate pair."""
    return _utf16_table(text).get(offset)


def _units_of(text: str) -> list[str]:
    """The units a text's offsets could be counted in, code points first."""
    astral, crlf = any(_astral(c) for c in text), "\r\n" in text
    return [
        "codepoints",
        *(["utf16"] if astral else []),
        *(["crlf"] if crlf else []),
        *(["utf16+crlf"] if astral and crlf else []),
    ]


_SAID = {"utf16": "UTF-16 units", "crlf": "a \\r\\n as one character", "utf16+crlf": "UTF-16 units and a \\r\\n as one"}


@dataclass(frozen=True)
class Placed:
    """Records placed in code points: the examples and what the report says of them."""

    examples: list[NerExample]
    unit: str
    spans: int
    repaired: int
    refused: tuple[Refusal, ...]
    overlaps: tuple[Overlap, ...]
    duplicates: int
    notes: tuple[str, ...]


def _same(found: str, claimed: str) -> bool:
    """Whether an entity's text is the text at its offsets, a ``\\r\\n`` also matching a ``\\n``."""
    return found == claimed or found.replace("\r\n", "\n") == claimed.replace("\r\n", "\n")


def _place(span: RawSpan, text: str, unit: str, table: dict[int, int] | None) -> tuple[int, int] | str:
    """``(start, end)`` in code points, or why the offsets do not fit the text (``table``: see :func:`_table`)."""
    if unit != "codepoints" and table is not None:
        start, end = table.get(span.start), table.get(span.end)
        if start is None or end is None:
            if max(span.start, span.end) > max(table):
                return f"{span.shown} is past the end of its text ({max(table)} {_SAID.get(unit, unit)})"
            return f"{span.shown} cuts a character outside the BMP in half (UTF-16 units)"
    else:
        start, end = span.start, span.end
    if span.text is None:
        if start < 0 or end <= start:
            return f"{span.shown} is empty or reversed"
        if end > len(text):
            return f"{span.shown} is past the end of its text ({len(text)} characters)"
    elif not _same(text[max(start, 0) : end], span.text) or start < 0 or end <= start or end > len(text):
        return f"{span.shown} does not match the text there, {text[max(start, 0) : end]!r}"
    return start, end


def _matches(spans: Sequence[RawSpan], text: str, unit: str, table: dict[int, int] | None) -> bool:
    return all(not isinstance(_place(span, text, unit, table), str) for span in spans)


def _file_unit(records: Sequence[RawRecord], unit: str) -> tuple[str, str]:
    """The unit of entities written without their text, and a note when ``auto`` chose UTF-16."""
    if unit != "auto":
        return unit, ""
    blind = [(rec, span) for rec in records for span in rec.spans if span.text is None]
    past = next(((rec, s) for rec, s in blind if s.end > len(rec.text)), None)
    if past is None:
        return "codepoints", ""
    fits = all(not isinstance(_place(s, rec.text, "utf16", _utf16_table(rec.text)), str) for rec, s in blind)
    if not fits:
        return "codepoints", ""
    rec, span = past
    return "utf16", (
        f"offsets read as UTF-16 units: {rec.where}: {span.shown} ends past its text in code points "
        f"({len(rec.text)} characters), and every offset of the file fits UTF-16 units"
    )


def _astral_note(records: Sequence[RawRecord], unit: str) -> str:
    """A warning when code point offsets follow characters outside the BMP, where UTF-16 offsets would differ."""
    risky = [
        rec
        for rec in records
        if any(s.text is None and any(_astral(c) for c in rec.text[: max(s.start, 0)]) for s in rec.spans)
    ]
    if unit != "codepoints" or not risky:
        return ""
    return (
        f"{len(risky):,} texts have an entity after a character outside the BMP (the first at {risky[0].where}); "
        "their offsets were read as code points: if the tool counted UTF-16 units, read them with offsets='utf16'"
    )


def _verdict(rec: RawRecord) -> tuple[str, str]:
    """The unit a record's entity texts match in (the first of :func:`_units_of` that places every one), and the
    next one that also does and places them elsewhere (``""`` if none: the reading is unambiguous)."""
    claimed = [s for s in rec.spans if s.text is not None]
    if not claimed:
        return "blind", ""
    tables = {u: None if u == "codepoints" else _table(rec.text, u) for u in _units_of(rec.text)}
    fits = [u for u, table in tables.items() if _matches(claimed, rec.text, u, table)]
    if not fits:
        return "neither", ""
    placed = {u: [_place(s, rec.text, u, tables[u]) for s in claimed] for u in fits}
    other = next((u for u in fits[1:] if placed[u] != placed[fits[0]]), "")
    return fits[0], other


def _record_units(records: Sequence[RawRecord], unit: str, file_unit: str) -> tuple[list[str], list[str]]:
    """The unit of each record's offsets, and notes on repairs and on records whose entity texts match two ways."""
    if unit != "auto":
        return [unit if any(s.text is not None for s in rec.spans) else file_unit for rec in records], []
    verdicts = [_verdict(rec) for rec in records]
    counts = Counter(v for v, other in verdicts if not other)
    units, ambiguous, repaired = [], [], Counter[str]()
    for rec, (verdict, other) in zip(records, verdicts, strict=True):
        if verdict == "blind":
            units.append(file_unit)
            continue
        if other and counts[other] > counts[verdict]:
            units.append(other)  # read as most of the file is
        else:
            units.append("codepoints" if verdict == "neither" else verdict)
        if other:
            ambiguous.append(rec.where)
        if units[-1] != "codepoints":
            repaired[units[-1]] += 1
    notes = [
        f"{count:,} texts' offsets counted {_SAID[u]}, and were read so (the first at "
        f"{next(r.where for r, ru, (v, _) in zip(records, units, verdicts, strict=True) if ru == u and v != 'blind')})"
        for u, count in repaired.items()
    ]
    if ambiguous:
        notes.append(
            f"{len(ambiguous):,} texts have entities that match their text both as code points and in another unit "
            f"(the first at {ambiguous[0]}); each was read as most of the file is"
        )
    return units, notes


def _hint(span: RawSpan, text: str, unit: str) -> str:
    if span.text is None or unit != "codepoints":
        return ""
    for other in _units_of(text)[1:]:
        if not isinstance(_place(span, text, other, _table(text, other)), str):
            return f" (it matches counting {_SAID[other]}, but not every entity of this text does)"
    return ""


def place_records(
    records: Sequence[RawRecord], unit: str = "auto", strict: bool = True, refused: Sequence[Refusal] = ()
) -> Placed:
    """Check and place every entity of ``records`` in code points.

    Args:
        records: the texts with their entities as written.
        unit: ``"auto"``, ``"codepoints"`` or ``"utf16"``: the unit of the file's offsets (see the module).
        strict: raise on the first entity whose offsets do not fit its text; else leave it out and report it.
        refused: entities the reader already left out (a discontinuous BRAT entity), reported with the rest.

    Raises:
        DataError: an entity that does not fit, with ``file:line`` (only when ``strict``).
        ValueError: an unknown ``unit``.
    """
    if unit not in UNITS:
        raise UsageError(f"offsets must be one of {', '.join(UNITS)}; got {unit!r}", argument="offsets")
    file_unit, note = _file_unit(records, unit)
    examples: list[NerExample] = []
    placed_count = repaired = duplicates = 0
    misfits: list[Refusal] = []
    overlaps: list[Overlap] = []
    units, unit_notes = _record_units(records, unit, file_unit)
    for rec, rec_unit in zip(records, units, strict=True):
        table = None if rec_unit == "codepoints" else _table(rec.text, rec_unit)
        spans: list[Span] = []
        for span in rec.spans:
            where = span.where or rec.where
            place = _place(span, rec.text, rec_unit, table)
            if isinstance(place, str):
                misfits.append(Refusal(where, place + _hint(span, rec.text, rec_unit)))
                continue
            repaired += place != (span.start, span.end)
            spans.append((place[0], place[1], span.label))
        unique = sorted(set(spans))
        duplicates += len(spans) - len(unique)
        placed_count += len(unique)
        overlaps.extend(find_overlaps(rec.where, rec.text, unique))
        examples.append(NerExample(rec.text, tuple(unique), rec.where))
    if strict and misfits:
        more = f"; {len(misfits):,} entities in all do not fit their text" if len(misfits) > 1 else ""
        raise DataError(f"{misfits[0]}{more}")
    notes = tuple(n for n in (note, *unit_notes, _astral_note(records, file_unit)) if n)
    return Placed(examples, file_unit, placed_count, repaired, (*refused, *misfits), tuple(overlaps), duplicates, notes)
