"""Labelled data files read into one shape each, with errors that name the file and line: classification
(``.csv``, ``.tsv``, ``.jsonl``) and NER (character-per-line tags in any scheme, CLUENER JSON lines), and the
seeded held-out split."""

from __future__ import annotations

from .classification import TEXT_COLUMNS, ClsData, ClsExample, read_cls_file
from .ner import NerData, NerExample, read_ner_data, read_ner_file, write_conll_bioes
from .splits import split_examples

__all__ = [
    "TEXT_COLUMNS",
    "ClsData",
    "ClsExample",
    "NerData",
    "NerExample",
    "read_cls_file",
    "read_ner_data",
    "read_ner_file",
    "split_examples",
    "write_conll_bioes",
]
