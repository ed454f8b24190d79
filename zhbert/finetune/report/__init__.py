"""Evaluation reports (``zhbert evaluate --report DIR``): per-label scores, confusion matrices (label x label for
classification; error kinds per entity type for NER), the wrong predictions most confident first, and likely
label errors found by cleanlab, optionally from cross-validated probabilities (``--cv K``). docs/evaluating.md
describes the files and defines the NER error kinds (``matching``)."""

from __future__ import annotations

from .build import REPORT_FILES, check_report_dir, write_report
from .folds import FoldSettings, card_base, out_of_fold
from .matching import KINDS, match_spans, ner_confusion, ner_kind_counts, span_scores
from .predictions import ClassPredictions, EntityPredictions, collect
from .run import check_report, run_report

__all__ = [
    "KINDS",
    "REPORT_FILES",
    "ClassPredictions",
    "EntityPredictions",
    "FoldSettings",
    "card_base",
    "check_report",
    "check_report_dir",
    "collect",
    "match_spans",
    "ner_confusion",
    "ner_kind_counts",
    "out_of_fold",
    "run_report",
    "span_scores",
    "write_report",
]
