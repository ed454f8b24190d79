"""Every annotation shape zhbert writes reads back to the same spans: generated texts with characters outside the
BMP (emoji, CJK extension B), ``\\r\\n`` and random, overlapping spans; for doccano and Label Studio also with
offsets in UTF-16 units, as browser tools count them."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from zhbert.data import NerExample, flatten, read_annotations, read_ner_data, write_conll_bioes
from zhbert.data.annotations import (
    from_utf16,
    to_utf16,
    utf16_length,
    write_brat,
    write_cluener,
    write_cmeee,
    write_doccano,
    write_label_studio,
    write_label_studio_min,
)
from zhbert.errors import ZhbertError

PIECES = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),  # CJK
    st.characters(min_codepoint=0x1F600, max_codepoint=0x1F64F),  # emoji, two UTF-16 units each
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),  # CJK extension B, two units each
    st.sampled_from(["\r\n", "\n", " ", "a", "7", "，", "\t", '"', "\\"]),
)


@st.composite
def examples(draw: st.DrawFn) -> list[NerExample]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        text = "".join(draw(st.lists(PIECES, min_size=1, max_size=14)))
        spans = set()
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            spans.add((start, end, draw(st.sampled_from(["PER", "ORG", "LOC"]))))
        out.append(NerExample(text, tuple(sorted(spans)), f"x:{i}"))
    return out


def _write(shape: str, path, exs: list[NerExample]):
    """Write ``exs`` in ``shape``; the path to read and the keyword arguments to read it with."""
    if shape.startswith("doccano"):
        _, form, unit = shape.split("-")
        write_doccano(path / "a.jsonl", exs, shape=form, unit=unit)
        return path / "a.jsonl", {"offsets": unit}
    if shape.startswith("label-studio-json"):
        unit = shape.rsplit("-", 1)[1]
        write_label_studio(path / "a.json", exs, predictions=False, unit=unit)
        return path / "a.json", {}  # the entities' texts tell the unit
    if shape == "label-studio-json-browser":
        # A browser counts UTF-16 units and reads a \r\n as one character.
        write_label_studio(path / "a.json", exs, predictions=False)
        tasks = json.loads((path / "a.json").read_text(encoding="utf-8"))
        for task in tasks:
            text = task["data"]["text"]
            for region in task["annotations"][0]["result"]:
                for key in ("start", "end"):
                    region["value"][key] = utf16_length(text[: region["value"][key]].replace("\r\n", "\n"))
        (path / "a.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
        return path / "a.json", {}
    if shape == "label-studio-predictions":
        scores = [[0.5] * len(e.spans) for e in exs]
        write_label_studio(path / "a.json", exs, predictions=True, model_version="m1", scores=scores)
        return path / "a.json", {}
    if shape == "label-studio-min":
        write_label_studio_min(path / "a.json", exs)
        return path / "a.json", {}
    if shape == "cmeee":
        write_cmeee(path / "a.json", exs)
        return path / "a.json", {}
    if shape == "cluener":
        write_cluener(path / "a.json", exs)
        return path / "a.json", {}
    for old in path.glob("doc-*"):
        old.unlink()
    write_brat(path, exs)
    return path, {}


SHAPES = [
    "doccano-label-codepoints",
    "doccano-label-utf16",
    "doccano-entities-codepoints",
    "doccano-entities-utf16",
    "label-studio-json-codepoints",
    "label-studio-json-utf16",
    "label-studio-json-browser",
    "label-studio-predictions",
    "label-studio-min",
    "cmeee",
    "cluener",
    "brat",
    "tags",
]


@pytest.mark.parametrize("shape", SHAPES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exs=examples())
def test_written_shapes_read_back_to_the_same_spans(shape, exs, tmp_path):
    if shape == "tags":
        # One character per line: no line breaks in the text, one entity per character (the longer kept).
        assume(not any("\n" in e.text or "\r" in e.text for e in exs))
        flat, _ = flatten(exs, "longest")
        write_conll_bioes(tmp_path / "a.bioes", flat)
        back = read_ner_data(tmp_path / "a.bioes")
        assert [(e.text, e.spans) for e in back.examples] == [(e.text, e.spans) for e in flat]
        return
    if shape == "label-studio-json-browser":  # a browser cannot place an offset inside a \r\n
        assume(not any(e.text[i - 1 : i + 1] == "\r\n" for e in exs for s, t, _ in e.spans for i in (s, t)))
    path, kwargs = _write(shape, tmp_path, exs)
    data = read_annotations(path, **kwargs)
    ambiguous = any("both as code points and in another unit" in note for note in data.report.notes)
    event(f"ambiguous: {ambiguous}")
    if ambiguous and shape in ("label-studio-json-utf16", "label-studio-json-browser"):
        return  # every entity text of a record found at both readings: said, and read as code points
    assert [(e.text, e.spans) for e in data.examples] == [(e.text, e.spans) for e in exs]
    assert not data.report.refused and data.report.spans == sum(len(e.spans) for e in exs)
    astral = any(ord(c) > 0xFFFF for e in exs for _, end, _ in e.spans for c in e.text[:end])
    if shape == "label-studio-json-utf16" and not ambiguous:
        assert (data.report.repaired > 0) == astral


@settings(max_examples=1000, deadline=None)
@given(text=st.lists(PIECES, max_size=20).map("".join))
def test_utf16_offsets_convert_both_ways(text):
    assert utf16_length(text) == len(text.encode("utf-16-le")) // 2
    for index in range(len(text) + 1):
        assert from_utf16(text, to_utf16(text, index)) == index
        assert to_utf16(text, index) == len(text[:index].encode("utf-16-le")) // 2


KEYS = [
    "text",
    "data",
    "label",
    "labels",
    "entities",
    "annotations",
    "predictions",
    "result",
    "value",
    "start",
    "end",
    "start_offset",
    "end_offset",
    "start_idx",
    "end_idx",
    "type",
    "entity",
    "annotator",
    "id",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.sampled_from(["张三", "PER", "😀a", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(JSON, min_size=1, max_size=3), as_list=st.booleans())
def test_any_json_is_read_or_refused_with_a_zhbert_error(records, as_list, tmp_path):
    path = tmp_path / "any.json"
    body = json.dumps(records) if as_list else "".join(json.dumps(r) + "\n" for r in records)
    path.write_text(body, encoding="utf-8")
    for read in (read_annotations, lambda p: read_ner_data(p, fix_tags=True)):
        with contextlib.suppress(ZhbertError):  # a clear error is fine; any other exception is a bug
            read(path)
