"""Annotation tools' exports read into NER examples with offsets checked against their text, and pre-annotations
written back in each tool's import shape.

    >>> data = read_annotations("export.json")          # Label Studio, doccano, CMeEE, CLUENER or BRAT
    >>> print(data.report.summary())                    # read, repaired, refused, overlaps, with file:line
    >>> flat, dropped = flatten(data.examples, "longest")   # one entity per character, for a tagger
"""

from __future__ import annotations

from .brat import write_brat
from .formats import FORMATS, detect_format
from .jsonshapes import write_cluener, write_cmeee, write_doccano
from .labelstudio import write_label_studio, write_label_studio_min
from .offsets import UNITS, from_utf16, to_utf16, utf16_length
from .overlaps import POLICIES, find_overlaps, flatten
from .read import read_annotations
from .records import AnnotatedData, AnnotationReport, Overlap, Refusal

__all__ = [
    "FORMATS",
    "POLICIES",
    "UNITS",
    "AnnotatedData",
    "AnnotationReport",
    "Overlap",
    "Refusal",
    "detect_format",
    "find_overlaps",
    "flatten",
    "from_utf16",
    "read_annotations",
    "to_utf16",
    "utf16_length",
    "write_brat",
    "write_cluener",
    "write_cmeee",
    "write_doccano",
    "write_label_studio",
    "write_label_studio_min",
]
