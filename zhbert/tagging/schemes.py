"""Tag schemes (IOB2, BIOES, BMES) and the entity spans they encode, as pure functions: the one module that
parses, encodes and decodes tags. Training, evaluation, inference and the command line all use it.

A span is ``(start, end, type)`` with ``[start, end)`` offsets. Models use BIOES labels in the order of
:func:`bioes_labels`; files in any scheme are read into spans with :func:`tags_to_spans`; decoding is held to
valid sequences by :func:`bioes_transitions`.

    >>> tags_to_spans(["B-PER", "I-PER", "O", "B-LOC"], "IOB2")
    [(0, 2, 'PER'), (3, 4, 'LOC')]
    >>> spans_to_bioes([(0, 2, "PER"), (3, 4, "LOC")], 4)
    ['B-PER', 'E-PER', 'O', 'S-LOC']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from ..errors import DataError, UsageError

__all__ = [
    "SCHEMES",
    "Span",
    "TagError",
    "bioes_labels",
    "bioes_to_spans",
    "bioes_transitions",
    "detect_scheme",
    "entity_types",
    "label_scheme",
    "normalize_scheme",
    "parse_tag",
    "scheme_prefixes",
    "spans_to_bioes",
    "spans_to_tags",
    "tags_to_spans",
    "transitions",
]

Span = tuple[int, int, str]
SCHEMES = ("IOB2", "BIOES", "BMES")
_ALIASES = {"BIO": "IOB2"}
_PREFIXES = {"IOB2": "BI", "BIOES": "BIES", "BMES": "BMES"}


class TagError(DataError):
    """An invalid tag or tag sequence.

    Attributes:
        where: where the offending tag is, e.g. ``"train.char.bmes:1043"`` (a file line) or ``"tag 3"``.
        position: index of the offending tag in its sentence.
        reason: the message without the ``where`` prefix.
        argument: ``"fix_tags"`` when ``fix=True`` would repair the sequence, else None.
    """

    def __init__(self, reason: str, where: str, position: int, fixable: bool = False) -> None:
        super().__init__(f"{where}: {reason}", argument="fix_tags" if fixable else None)
        self.reason = reason
        self.where = where
        self.position = position


def normalize_scheme(name: str) -> str:
    """Return the canonical name of a tag scheme: ``"IOB2"``, ``"BIOES"`` or ``"BMES"`` (``"bio"`` is IOB2).

    Raises:
        UsageError: the name is none of the known schemes.
    """
    upper = name.strip().upper()
    upper = _ALIASES.get(upper, upper)
    if upper not in SCHEMES:
        raise UsageError(
            f"unknown tag scheme {name!r}; known: {', '.join(SCHEMES)} (BIO means IOB2)", argument="scheme"
        )
    return upper


def scheme_prefixes(scheme: str) -> str:
    """The entity prefixes of a scheme, e.g. ``"BIES"`` for BIOES (``O`` is in every scheme)."""
    return _PREFIXES[normalize_scheme(scheme)]


def parse_tag(tag: str) -> tuple[str, str]:
    """``(prefix, type)`` of a tag: ``("O", "")`` for ``O``, ``("B", "PER")`` for ``B-PER``.

    Raises:
        UsageError: the tag is neither ``O`` nor ``<one letter>-<type>``.
    """
    if tag == "O":
        return "O", ""
    prefix, dash, etype = tag.partition("-")
    if not dash or not etype or len(prefix) != 1 or prefix == "O":
        raise UsageError(f"{tag!r} is not a tag: expected 'O' or '<prefix>-<TYPE>', e.g. 'B-PER'")
    return prefix, etype


def entity_types(labels: Iterable[str]) -> list[str]:
    """The sorted entity types named by some labels, e.g. ``["LOC", "PER"]``."""
    return sorted({etype for prefix, etype in map(parse_tag, labels) if prefix != "O"})


def detect_scheme(tag_sequences: Iterable[Sequence[str]]) -> str:
    """Guess the scheme of some tag sequences: BMES if any ``M-`` tag, else BIOES if any ``E-``/``S-``, else IOB2."""
    seen: set[str] = set()
    for tags in tag_sequences:
        seen.update(tag[:2] for tag in tags)
    if "M-" in seen:
        return "BMES"
    if "E-" in seen or "S-" in seen:
        return "BIOES"
    return "IOB2"


def _where(where: str, position: int) -> str:
    return f"{where}, tag {position}" if where else f"tag {position}"


def _split(tag: str, scheme: str, where: str, position: int) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, dash, etype = tag.partition("-")
    if not dash or not etype or len(prefix) != 1 or prefix not in _PREFIXES[scheme]:
        allowed = ", ".join(f"{p}-TYPE" for p in _PREFIXES[scheme])
        raise TagError(
            f"{tag!r} is not a tag of the {scheme} scheme (expected O, {allowed})", _where(where, position), position
        )
    return prefix, etype


def tags_to_spans(tags: Sequence[str], scheme: str, fix: bool = False, where: str = "") -> list[Span]:
    """Decode one sentence's tags into spans, checking that the sequence is valid for ``scheme``.

    Valid sequences: IOB2 ``B-X (I-X)*``; BIOES ``B-X (I-X)* E-X`` or ``S-X``; BMES ``B-X (M-X)* E-X`` or ``S-X``.

    Args:
        tags: the tags, one per character.
        scheme: ``"IOB2"`` (or ``"BIO"``), ``"BIOES"`` or ``"BMES"``, any case.
        fix: repair instead of raising, as lenient decoders do: an ``I-``/``M-`` that continues no entity of its
            type starts one, such an ``E-`` is a one-character entity, and an entity left open is closed at the
            next ``O``, ``B-``, ``S-``, other type or the end of the sentence.
        where: names the sentence in error messages, e.g. ``"train.txt:17"``.

    Returns:
        The spans, in order.

    Raises:
        TagError: a malformed tag (always, even with ``fix``), or an invalid sequence (unless ``fix``).
    """
    scheme = normalize_scheme(scheme)
    inside = "M" if scheme == "BMES" else "I"
    spans: list[Span] = []
    start, etype = -1, ""  # the open entity; start < 0 when none is open

    def fail(reason: str, i: int) -> TagError:
        return TagError(reason, _where(where, i), i, fixable=True)

    for i, tag in enumerate(tags):
        prefix, kind = _split(tag, scheme, where, i)
        continues = start >= 0 and kind == etype and prefix in (inside, "E")
        if start >= 0 and not continues and scheme != "IOB2" and not fix:
            raise fail(f"{tag} follows {tags[i - 1]}: the {etype} entity is not closed with E-{etype}", i)
        if prefix in (inside, "E") and not continues:
            if not fix:
                before = f"follows {tags[i - 1]}" if i else "starts the sentence"
                raise fail(f"{tag} {before} (no B-{kind} before it)", i)
            if start >= 0:
                spans.append((start, i, etype))
            start, etype = i, kind
            if prefix == "E":
                spans.append((i, i + 1, kind))
                start = -1
            continue
        if continues:
            if prefix == "E":
                spans.append((start, i + 1, etype))
                start = -1
            continue
        if start >= 0:
            spans.append((start, i, etype))
            start = -1
        if prefix == "B":
            start, etype = i, kind
        elif prefix == "S":
            spans.append((i, i + 1, kind))
    if start >= 0:
        if scheme != "IOB2" and not fix:
            reason = f"the sentence ends after {tags[-1]}: the {etype} entity is not closed with E-{etype}"
            raise fail(reason, len(tags) - 1)
        spans.append((start, len(tags), etype))
    return spans


def bioes_to_spans(tags: Sequence[str]) -> list[Span]:
    """Decode strict BIOES tags into spans (:func:`tags_to_spans` with ``scheme="BIOES"``).

    Raises:
        TagError: the sequence is not valid BIOES.
    """
    return tags_to_spans(tags, "BIOES")


def _check_spans(spans: Iterable[Span], length: int) -> list[Span]:
    ordered = sorted(spans)
    for start, end, etype in ordered:
        if not (isinstance(etype, str) and etype and 0 <= start < end <= length):
            raise UsageError(f"span {(start, end, etype)} is not a non-empty typed range within [0, {length})")
    for a, b in pairwise(ordered):
        if b[0] < a[1]:
            raise UsageError(f"spans {a} and {b} overlap; a tag sequence cannot hold nested entities")
    return ordered


def spans_to_tags(spans: Iterable[Span], length: int, scheme: str = "BIOES") -> list[str]:
    """Encode non-overlapping spans as ``length`` tags in ``scheme`` (IOB2, BIOES or BMES).

    Raises:
        UsageError: spans overlap, are empty, or lie outside ``[0, length)``; or the scheme is unknown.
    """
    scheme = normalize_scheme(scheme)
    inside = "M" if scheme == "BMES" else "I"
    tags = ["O"] * length
    for start, end, etype in _check_spans(spans, length):
        if scheme == "IOB2":
            tags[start:end] = [f"B-{etype}"] + [f"I-{etype}"] * (end - start - 1)
        elif end - start == 1:
            tags[start] = f"S-{etype}"
        else:
            tags[start:end] = [f"B-{etype}"] + [f"{inside}-{etype}"] * (end - start - 2) + [f"E-{etype}"]
    return tags


def spans_to_bioes(spans: Iterable[Span], length: int) -> list[str]:
    """Encode non-overlapping spans as ``length`` BIOES tags.

    Raises:
        UsageError: spans overlap, are empty, or lie outside ``[0, length)``.
    """
    return spans_to_tags(spans, length, "BIOES")


def bioes_labels(types: Iterable[str]) -> list[str]:
    """The BIOES label list models use: ``"O"``, then ``B-``, ``I-``, ``E-``, ``S-`` of each type in sorted order."""
    return ["O"] + [f"{prefix}-{etype}" for etype in sorted(set(types)) for prefix in "BIES"]


def label_scheme(labels: Sequence[str]) -> str:
    """The tag scheme of a model's label set: ``"BMES"`` with any ``M-`` label, else ``"BIOES"`` with any ``E-`` or
    ``S-`` (BIES label sets included), else ``"IOB2"`` (BIO).

    Raises:
        UsageError: a label is not a tag of that scheme (e.g. transformers' default ``LABEL_0``).
    """
    labels = list(labels)
    scheme = detect_scheme([labels])
    allowed = _PREFIXES[scheme]
    for label in labels:
        try:
            prefix = parse_tag(label)[0] if isinstance(label, str) else "?"
        except UsageError:
            prefix = "?"
        if prefix != "O" and prefix not in allowed:
            raise UsageError(
                f"label {label!r} is not a tag of the {scheme} scheme; a tagger's labels must be one of IOB2 (BIO), "
                "BIOES (BIES) or BMES: 'O' and '<prefix>-<TYPE>'"
            )
    return scheme


def transitions(labels: Sequence[str], scheme: str) -> tuple[list[bool], list[list[bool]], list[bool]]:
    """Which labels may start a sequence, follow one another (``[from][to]``), and end one, under strict ``scheme``.

    IOB2: ``I-X`` only after ``B-X`` or ``I-X``; anything may end a sequence. BIOES (and BMES, with ``M`` for ``I``):
    a sequence starts, and ``O`` / ``E-X`` / ``S-X`` are followed, only by ``O``, ``B-Y`` or ``S-Y``; ``B-X`` and
    ``I-X`` are followed only by ``I-X`` or ``E-X``; a sequence ends on ``O``, ``E-X`` or ``S-X``.

    Raises:
        UsageError: a label is not a tag of ``scheme``.
    """
    scheme = normalize_scheme(scheme)
    allowed = "O" + _PREFIXES[scheme]
    parsed = []
    for label in labels:
        try:
            prefix, etype = parse_tag(label)
        except (UsageError, AttributeError):
            prefix, etype = "?", ""
        if prefix not in allowed:
            expected = "|".join(_PREFIXES[scheme])
            raise UsageError(f"label {label!r} is not {scheme}: expected 'O' or '<{expected}>-<TYPE>'")
        parsed.append((prefix, etype))
    inside = "M" if scheme == "BMES" else "I"
    if scheme == "IOB2":
        starts = [prefix in "OB" for prefix, _ in parsed]
        rows = [
            [p in "OB" or (p == "I" and prefix_from in "BI" and t == type_from) for p, t in parsed]
            for prefix_from, type_from in parsed
        ]
        return starts, rows, [True] * len(parsed)
    opens = [prefix in "OBS" for prefix, _ in parsed]  # may follow a closed span
    closes = [prefix in "OES" for prefix, _ in parsed]  # leaves no span open
    rows = []
    for prefix_from, type_from in parsed:
        if prefix_from in ("B", inside):
            rows.append([p in (inside, "E") and t == type_from for p, t in parsed])
        else:
            rows.append(list(opens))
    return opens, rows, closes


def bioes_transitions(labels: Sequence[str]) -> tuple[list[bool], list[list[bool]], list[bool]]:
    """:func:`transitions` under strict BIOES: the rules zhbert's own taggers are trained and decoded with."""
    return transitions(labels, "BIOES")
