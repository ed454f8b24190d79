"""Tags and their decoding: the tag schemes (the only place that knows IOB2, BIOES and BMES), Viterbi decoding held
to the labels' scheme, and a linear-chain CRF."""

from __future__ import annotations

from .crf import CRF
from .schemes import (
    SCHEMES,
    Span,
    TagError,
    bioes_labels,
    bioes_to_spans,
    bioes_transitions,
    detect_scheme,
    entity_types,
    label_scheme,
    normalize_scheme,
    parse_tag,
    scheme_prefixes,
    spans_to_bioes,
    spans_to_tags,
    tags_to_spans,
    transitions,
)
from .viterbi import Constraints, bioes_constraints, constrained_viterbi, scheme_constraints

__all__ = [
    "CRF",
    "SCHEMES",
    "Constraints",
    "Span",
    "TagError",
    "bioes_constraints",
    "bioes_labels",
    "bioes_to_spans",
    "bioes_transitions",
    "constrained_viterbi",
    "detect_scheme",
    "entity_types",
    "label_scheme",
    "normalize_scheme",
    "parse_tag",
    "scheme_constraints",
    "scheme_prefixes",
    "spans_to_bioes",
    "spans_to_tags",
    "tags_to_spans",
    "transitions",
]
