"""Readers and writers of the JSON annotation shapes that carry no annotator: doccano, CMeEE/CBLUE, CLUENER.

Each reader turns ``(line, record)`` pairs into :class:`RawRecord` s, offsets as written (exclusive ends); each
writer writes examples in the tool's own shape, so that the tool imports them and zhbert reads them back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ...errors import DataError, UsageError
from ...text.checks import check_file_text
from ...text.files import atomic_write
from ..ner_example import NerExample
from .formats import describe, expect_record
from .offsets import to_utf16
from .records import RawRecord, RawSpan

__all__ = ["parse_cluener", "parse_cmeee", "parse_doccano", "write_cluener", "write_cmeee", "write_doccano"]

Items = Iterable[tuple[int, Any]]


def _is_int(value: Any) -> bool:
    return type(value) is int


def as_list(where: str, value: Any, what: str) -> list[Any]:
    """``value`` if it is a list (``None`` is an empty one); else ``DataError`` naming ``where`` and ``what``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise DataError(f"{where}: {what} must be a list, found {describe(value)}")
    return value


def record_text(where: str, record: dict[str, Any], keys: Sequence[str] = ("text",)) -> str:
    """The text of a record, under the first of ``keys`` it has; ``DataError`` naming ``where`` if not a string."""
    text = next((record[k] for k in keys if k in record), None)
    if not isinstance(text, str):
        names = " or ".join(repr(k) for k in keys)
        raise DataError(f"{where}: expected the text as a string under {names}, found {describe(text)}")
    return check_file_text(text, where)


def _entity_objects(where: str, value: Any, keys: Sequence[str]) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """``(start, end, object)`` of each entity object of a list, whose first two ``keys`` are its offsets."""
    for item in as_list(where, value, "'entities'"):
        if not (isinstance(item, dict) and _is_int(item.get(keys[0])) and _is_int(item.get(keys[1]))):
            raise DataError(f"{where}: entity {item!r} is not {{{', '.join(keys)}}}")
        yield item[keys[0]], item[keys[1]], item


def parse_doccano(path: Path, items: Items) -> list[RawRecord]:
    """doccano sequence labelling: ``label`` triples (``labels`` in old versions) or ``entities`` objects."""
    records = []
    for lineno, obj in items:
        where = f"{path}:{lineno}"
        record = expect_record(where, obj, "doccano")
        text = record_text(where, record, ("text", "data"))
        spans = []
        if "entities" in record:
            shape = ("start_offset", "end_offset", "label")
            for start, end, item in _entity_objects(where, record["entities"], shape):
                label = str(item.get("label"))
                spans.append(RawSpan(start, end, label, None, f"{label} [{start}, {end})"))
        else:
            for item in as_list(where, record.get("label", record.get("labels")), "'label'"):
                if not (isinstance(item, list) and len(item) == 3 and _is_int(item[0]) and _is_int(item[1])):
                    raise DataError(f'{where}: entity {item!r} is not [start, end, "TYPE"]')
                start, end, label = item[0], item[1], str(item[2])
                spans.append(RawSpan(start, end, label, None, f"{label} [{start}, {end})"))
        records.append(RawRecord(where, text, tuple(spans)))
    return records


def parse_cmeee(path: Path, items: Items) -> list[RawRecord]:
    """CMeEE/CBLUE: ``entities`` with ``start_idx``, inclusive ``end_idx``, ``type`` and the ``entity`` text."""
    records = []
    for lineno, obj in items:
        where = f"{path}:{lineno}"
        record = expect_record(where, obj, "cmeee")
        text = record_text(where, record)
        spans = []
        shape = ("start_idx", "end_idx", "type", "entity")
        for start, end, item in _entity_objects(where, record.get("entities"), shape):
            label = str(item.get("type"))
            entity = item.get("entity")
            claimed = entity if isinstance(entity, str) else None
            shown = f"{label} {entity!r} at [{start}, {end}] (end inclusive)"
            spans.append(RawSpan(start, end + 1, label, claimed, shown))
        records.append(RawRecord(where, text, tuple(spans)))
    return records


def parse_cluener(path: Path, items: Items) -> list[RawRecord]:
    """CLUENER: ``label`` maps each type to ``{entity: [[start, end_inclusive], ...]}``."""
    records = []
    for lineno, obj in items:
        where = f"{path}:{lineno}"
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise DataError(f"{where}: expected an object with a 'text' string")
        record = expect_record(where, obj, "cluener")
        text = check_file_text(record["text"], where)
        label = record.get("label") or {}
        if not isinstance(label, dict):
            raise DataError(f"{where}: 'label' must map each type to {{entity: [[start, end], ...]}}")
        spans = []
        for etype, entities in label.items():
            if not isinstance(entities, dict):
                raise DataError(f"{where}: label {etype!r} must map each entity string to a list of [start, end]")
            for entity, offsets in entities.items():
                for pair in offsets if isinstance(offsets, list) else [None]:
                    if not (isinstance(pair, list) and len(pair) == 2 and all(_is_int(x) for x in pair)):
                        raise DataError(f"{where}: {etype} {entity!r}: offsets {offsets!r} are not [[start, end], ...]")
                    shown = f"{etype} {entity!r} at [{pair[0]}, {pair[1]}] (end inclusive)"
                    spans.append(RawSpan(pair[0], pair[1] + 1, etype, entity, shown))
        records.append(RawRecord(where, text, tuple(spans)))
    return records


def _offsets(text: str, start: int, end: int, unit: str) -> tuple[int, int]:
    if unit == "utf16":
        return to_utf16(text, start), to_utf16(text, end)
    if unit != "codepoints":
        raise UsageError(f"unit must be 'codepoints' or 'utf16'; got {unit!r}", argument="unit")
    return start, end


def _write_lines(path: str | os.PathLike[str], records: Iterable[Any]) -> None:
    with atomic_write(Path(path)) as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_doccano(
    path: str | os.PathLike[str], examples: Iterable[NerExample], shape: str = "label", unit: str = "codepoints"
) -> None:
    """Write doccano JSONL, as its sequence-labelling import takes it: ``{"text", "label": [[start, end, type]]}``
    (``shape="label"``) or ``{"text", "entities": [{"start_offset", "end_offset", "label"}]}`` (``"entities"``);
    offsets in code points or, for old versions that count them so, ``"utf16"`` units."""
    if shape not in ("label", "entities"):
        raise UsageError(f"shape must be 'label' or 'entities'; got {shape!r}", argument="shape")
    records: list[dict[str, Any]] = []
    for i, ex in enumerate(examples, start=1):
        spans = [(*_offsets(ex.text, s, e, unit), t) for s, e, t in ex.spans]
        if shape == "label":
            records.append({"text": ex.text, "label": [list(span) for span in spans]})
        else:
            entities = [{"id": j, "label": t, "start_offset": s, "end_offset": e} for j, (s, e, t) in enumerate(spans)]
            records.append({"id": i, "text": ex.text, "entities": entities, "relations": []})
    _write_lines(path, records)


def write_cmeee(path: str | os.PathLike[str], examples: Iterable[NerExample]) -> None:
    """Write a CMeEE/CBLUE JSON list: ``entities`` with ``start_idx``, inclusive ``end_idx``, ``type``, ``entity``."""
    records = [
        {
            "text": ex.text,
            "entities": [{"start_idx": s, "end_idx": e - 1, "type": t, "entity": ex.text[s:e]} for s, e, t in ex.spans],
        }
        for ex in examples
    ]
    with atomic_write(Path(path)) as handle:
        json.dump(records, handle, ensure_ascii=False, indent=2)


def write_cluener(path: str | os.PathLike[str], examples: Iterable[NerExample]) -> None:
    """Write CLUENER JSON lines: ``label`` maps each type to ``{entity: [[start, end_inclusive], ...]}``."""
    records = []
    for ex in examples:
        label: dict[str, dict[str, list[list[int]]]] = {}
        for s, e, t in ex.spans:
            label.setdefault(t, {}).setdefault(ex.text[s:e], []).append([s, e - 1])
        records.append({"text": ex.text, "label": label})
    _write_lines(path, records)
