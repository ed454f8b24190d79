"""Labelled data files read into one shape each, with errors that name the file and line: classification
(``.csv``, ``.tsv``, ``.jsonl``) and NER (character-per-line tags in any scheme; doccano, Label Studio, CMeEE,
CLUENER and BRAT exports with their offsets checked), pre-annotations written back for those tools, and the seeded
held-out split."""

from __future__ import annotations

from .annotations import (
    AnnotatedData,
    AnnotationReport,
    flatten,
    read_annotations,
    write_brat,
    write_cluener,
    write_cmeee,
    write_doccano,
    write_label_studio,
)
from .classification import TEXT_COLUMNS, ClsData, ClsExample, read_cls_file
from .ner import NerData, NerExample, read_ner_data, read_ner_file, write_conll_bioes
from .splits import split_examples

__all__ = [
    "TEXT_COLUMNS",
    "AnnotatedData",
    "AnnotationReport",
    "ClsData",
    "ClsExample",
    "NerData",
    "NerExample",
    "flatten",
    "read_annotations",
    "read_cls_file",
    "read_ner_data",
    "read_ner_file",
    "split_examples",
    "write_brat",
    "write_cluener",
    "write_cmeee",
    "write_conll_bioes",
    "write_doccano",
    "write_label_studio",
]
