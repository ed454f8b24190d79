"""Tag schemes and spans: round trips, every invalid pattern with its position, repairs checked against seqeval."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from zhbert.tagging import (
    SCHEMES,
    TagError,
    bioes_labels,
    bioes_to_spans,
    detect_scheme,
    normalize_scheme,
    spans_to_bioes,
    spans_to_tags,
    tags_to_spans,
)

TYPES = ("PER", "LOC", "ORG")
PREFIXES = {"IOB2": "BI", "BIOES": "BIES", "BMES": "BMES"}


@st.composite
def spans_and_length(draw):
    """Random non-overlapping spans over a random length."""
    length = draw(st.integers(0, 40))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=12)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if draw(st.booleans()):
            spans.append((start, end, draw(st.sampled_from(TYPES))))
    return spans, length


def tag_sequences(scheme: str):
    """Random sequences of well-formed tags of ``scheme``, valid or not."""
    tags = ["O"] + [f"{p}-{t}" for p in PREFIXES[scheme] for t in TYPES[:2]]
    return st.lists(st.sampled_from(tags), max_size=12)


@given(spans_and_length())
def test_spans_bioes_round_trip(case):
    spans, length = case
    tags = spans_to_bioes(spans, length)
    assert len(tags) == length
    assert bioes_to_spans(tags) == spans


@pytest.mark.parametrize("scheme", SCHEMES)
@given(case=spans_and_length())
def test_every_scheme_round_trips(scheme, case):
    spans, length = case
    tags = spans_to_tags(spans, length, scheme)
    assert tags_to_spans(tags, scheme) == spans
    assert tags_to_spans(tags, scheme, fix=True) == spans


def test_encodings():
    spans = [(0, 1, "PER"), (2, 5, "ORG")]
    assert spans_to_tags(spans, 6, "IOB2") == ["B-PER", "O", "B-ORG", "I-ORG", "I-ORG", "O"]
    assert spans_to_tags(spans, 6, "BIOES") == ["S-PER", "O", "B-ORG", "I-ORG", "E-ORG", "O"]
    assert spans_to_tags(spans, 6, "bmes") == ["S-PER", "O", "B-ORG", "M-ORG", "E-ORG", "O"]


@pytest.mark.parametrize(
    ("spans", "length", "match"),
    [
        ([(0, 3, "PER"), (2, 4, "LOC")], 5, "overlap"),
        ([(0, 3, "PER"), (0, 3, "LOC")], 5, "overlap"),
        ([(3, 3, "PER")], 5, "non-empty"),
        ([(3, 6, "PER")], 5, "within"),
        ([(-1, 2, "PER")], 5, "within"),
        ([(0, 2, "")], 5, "typed"),
    ],
)
def test_bad_spans(spans, length, match):
    with pytest.raises(ValueError, match=match):
        spans_to_bioes(spans, length)


@pytest.mark.parametrize(
    ("scheme", "tags", "position", "match"),
    [
        ("IOB2", ["O", "I-ORG"], 1, r"I-ORG follows O \(no B-ORG before it\)"),
        ("IOB2", ["I-ORG", "O"], 0, r"I-ORG starts the sentence \(no B-ORG before it\)"),
        ("IOB2", ["B-PER", "I-ORG"], 1, r"I-ORG follows B-PER \(no B-ORG before it\)"),
        ("IOB2", ["O", "E-PER"], 1, r"'E-PER' is not a tag of the IOB2 scheme"),
        ("IOB2", ["O", "O", "S-PER"], 2, r"'S-PER' is not a tag of the IOB2 scheme"),
        ("BIOES", ["B-PER", "O"], 1, r"O follows B-PER: the PER entity is not closed with E-PER"),
        ("BIOES", ["B-PER", "I-PER"], 1, r"the sentence ends after I-PER: the PER entity is not closed"),
        ("BIOES", ["B-PER"], 0, r"the sentence ends after B-PER"),
        ("BIOES", ["B-PER", "B-PER", "E-PER"], 1, r"B-PER follows B-PER: the PER entity is not closed"),
        ("BIOES", ["B-PER", "S-LOC"], 1, r"S-LOC follows B-PER"),
        ("BIOES", ["B-PER", "E-LOC"], 1, r"E-LOC follows B-PER: the PER entity is not closed"),
        ("BIOES", ["S-PER", "E-PER"], 1, r"E-PER follows S-PER \(no B-PER before it\)"),
        ("BIOES", ["O", "I-PER", "E-PER"], 1, r"I-PER follows O \(no B-PER before it\)"),
        ("BIOES", ["B-PER", "M-PER", "E-PER"], 1, r"'M-PER' is not a tag of the BIOES scheme"),
        ("BMES", ["B-ORG", "M-ORG", "O"], 2, r"O follows M-ORG: the ORG entity is not closed with E-ORG"),
        ("BMES", ["M-ORG", "E-ORG"], 0, r"M-ORG starts the sentence \(no B-ORG before it\)"),
        ("BMES", ["B-ORG", "I-ORG", "E-ORG"], 1, r"'I-ORG' is not a tag of the BMES scheme"),
        ("BMES", ["E-ORG"], 0, r"E-ORG starts the sentence"),
        ("IOB2", ["O", "X-PER"], 1, r"'X-PER' is not a tag"),
        ("IOB2", ["B"], 0, r"'B' is not a tag"),
        ("BIOES", ["B-"], 0, r"'B-' is not a tag"),
        ("BIOES", ["O-PER"], 0, r"'O-PER' is not a tag"),
        ("BIOES", ["b-per"], 0, r"'b-per' is not a tag"),
    ],
)
def test_invalid_patterns(scheme, tags, position, match):
    with pytest.raises(TagError, match=match) as info:
        tags_to_spans(tags, scheme)
    assert info.value.position == position
    assert info.value.where == f"tag {position}"
    with pytest.raises(TagError) as info:
        tags_to_spans(tags, scheme, where="train.txt:17")
    assert str(info.value).startswith(f"train.txt:17, tag {position}: ")


@pytest.mark.parametrize("tags", [["X-PER"], ["B"], ["O", "E-PER"]])
def test_malformed_tags_raise_even_when_fixing(tags):
    with pytest.raises(TagError, match="is not a tag"):
        tags_to_spans(tags, "IOB2", fix=True)


def test_fix_repairs():
    assert tags_to_spans(["O", "I-ORG", "I-ORG", "O"], "IOB2", fix=True) == [(1, 3, "ORG")]
    assert tags_to_spans(["B-PER", "I-ORG"], "BIO", fix=True) == [(0, 1, "PER"), (1, 2, "ORG")]
    assert tags_to_spans(["B-PER", "O", "E-PER"], "BIOES", fix=True) == [(0, 1, "PER"), (2, 3, "PER")]
    assert tags_to_spans(["M-ORG", "M-ORG", "E-ORG"], "BMES", fix=True) == [(0, 3, "ORG")]
    assert tags_to_spans(["B-ORG", "M-ORG"], "BMES", fix=True) == [(0, 2, "ORG")]


def _first_error(tags: list[str], scheme: str) -> TagError | None:
    try:
        tags_to_spans(tags, scheme)
    except TagError as err:
        return err
    return None


@pytest.mark.parametrize("scheme", SCHEMES)
@settings(max_examples=300)
@given(data=st.data())
def test_strict_accepts_exactly_the_canonical_sequences(scheme, data):
    """A sequence is valid iff re-encoding its (lenient) spans gives it back; errors point at the first bad tag."""
    tags = data.draw(tag_sequences(scheme))
    canonical = spans_to_tags(tags_to_spans(tags, scheme, fix=True), len(tags), scheme) == tags
    err = _first_error(tags, scheme)
    assert (err is None) == canonical
    if err is not None:
        # Everything before the reported tag is a valid start: at worst an entity is still open.
        before = _first_error(tags[: err.position], scheme)
        assert before is None or (before.position == err.position - 1 and "sentence ends" in str(before))
        if "sentence ends" not in str(err):
            assert _first_error(tags[: err.position + 1], scheme) is not None


@pytest.mark.parametrize("scheme", SCHEMES)
@settings(max_examples=300)
@given(data=st.data())
def test_fix_mode_matches_seqeval(scheme, data):
    tags = data.draw(tag_sequences(scheme))
    # seqeval's default (lenient) decoder reads BMES as BIOES with M for I.
    as_seqeval = [tag.replace("M-", "I-", 1) if tag.startswith("M-") else tag for tag in tags]
    expected = [(start, end + 1, kind) for kind, start, end in get_entities(as_seqeval)]
    assert tags_to_spans(tags, scheme, fix=True) == sorted(expected)


def test_detect_scheme():
    assert detect_scheme([["B-PER", "I-PER"], ["O"]]) == "IOB2"
    assert detect_scheme([["B-PER", "E-PER"], ["O"]]) == "BIOES"
    assert detect_scheme([["S-PER"]]) == "BIOES"
    assert detect_scheme([["S-PER"], ["B-ORG", "M-ORG", "E-ORG"]]) == "BMES"
    assert detect_scheme([]) == "IOB2"


def test_scheme_names():
    assert normalize_scheme("bio") == "IOB2"
    assert normalize_scheme(" iob2 ") == "IOB2"
    assert normalize_scheme("Bioes") == "BIOES"
    with pytest.raises(ValueError, match="unknown tag scheme 'IOBES'; known: IOB2, BIOES, BMES"):
        normalize_scheme("IOBES")
    with pytest.raises(ValueError, match="unknown tag scheme"):
        tags_to_spans(["O"], "BILOU")


def test_bioes_labels():
    labels = ["O", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "B-PER", "I-PER", "E-PER", "S-PER"]
    assert bioes_labels(["PER", "LOC", "PER"]) == labels
    assert bioes_labels([]) == ["O"]


def test_tag_error_is_a_value_error():
    with pytest.raises(ValueError) as info:
        bioes_to_spans(["O", "E-PER"])
    assert isinstance(info.value, TagError)
    assert info.value.reason == "E-PER follows O (no B-PER before it)"
    assert info.value.argument == "fix_tags"  # the repair that would fix it; a command line names its flag
