"""What an annotation file holds before its offsets are checked, and the report of how it was read."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...tagging.schemes import Span
from ..ner_example import NerExample

__all__ = ["AnnotatedData", "AnnotationReport", "Overlap", "RawRecord", "RawSpan", "Refusal"]

# How many examples of each kind (refusals, overlaps, repairs) a report's summary shows.
SHOWN = 3


@dataclass(frozen=True)
class RawSpan:
    """An entity as the file writes it.

    Attributes:
        start: the start offset, in the file's unit.
        end: the end offset, exclusive, in the file's unit (an inclusive end is already turned exclusive).
        label: the entity type.
        text: the entity's text where the file carries it (Label Studio, CMeEE, BRAT, CLUENER), else ``None``.
        shown: how the file writes the entity, for messages (``"PER '张三' at [0, 1] (end inclusive)"``).
        where: ``file:line`` of the entity where it has a line of its own (BRAT's ``.ann``), else ``""``.
    """

    start: int
    end: int
    label: str
    text: str | None
    shown: str
    where: str = ""


@dataclass(frozen=True)
class RawRecord:
    """One text with its entities as written; ``where`` is ``file:line``."""

    where: str
    text: str
    spans: tuple[RawSpan, ...]


@dataclass(frozen=True)
class Refusal:
    """An entity that was not read: ``where`` it is, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Overlap:
    """Two entities of one text whose characters overlap (nested or crossing)."""

    where: str
    first: Span
    second: Span
    text: str

    def __str__(self) -> str:
        a, b = self.first, self.second
        return (
            f"{self.where}: {a[2]} {self.text[a[0] : a[1]]!r} [{a[0]}, {a[1]}) and "
            f"{b[2]} {self.text[b[0] : b[1]]!r} [{b[0]}, {b[1]})"
        )


@dataclass(frozen=True)
class AnnotationReport:
    """How one annotation file was read.

    Attributes:
        path: the file.
        format: the format read (a key of :data:`FORMATS`).
        detected: whether the format was detected from the content (``False``: given as ``format=``).
        unit: the offset unit used for entities whose text the file does not carry: ``"codepoints"`` or
            ``"utf16"``.
        texts: how many texts (examples) were read.
        spans: how many entities were read (after repair).
        repaired: how many entities were read with repaired offsets (counted in UTF-16 units or with a ``\\r\\n`` as
            one character, as browsers count, and turned into code points).
        refused: the entities not read, each with ``file:line`` and why.
        overlaps: pairs of overlapping entities, each with ``file:line``; the examples keep them all.
        duplicates: entities written twice in one text (same offsets and type), read once.
        notes: one line each on choices made while reading (unit, annotator, skipped records).
    """

    path: str
    format: str
    detected: bool
    unit: str
    texts: int
    spans: int
    repaired: int
    refused: tuple[Refusal, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    duplicates: int = 0
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """A few lines for a person: counts, the first refusals and overlaps with ``file:line``, the notes."""
        how = "detected" if self.detected else "as asked"
        lines = [
            f"{self.path}: {self.format} ({how}): {self.texts:,} texts, {self.spans:,} entities read, "
            f"{self.repaired:,} repaired, {len(self.refused):,} refused, {len(self.overlaps):,} overlapping pairs"
        ]
        lines += [f"  refused: {r}" for r in self.refused[:SHOWN]]
        lines += [f"  overlap: {o}" for o in self.overlaps[:SHOWN]]
        if self.duplicates:
            lines.append(f"  {self.duplicates:,} entities written twice in one text were read once")
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class AnnotatedData:
    """The examples of an annotation file (nested entities kept) and the report of how it was read."""

    examples: list[NerExample]
    report: AnnotationReport
