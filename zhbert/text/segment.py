"""The former home of the segmenters, kept for code that imports ``get_segmenter`` from here; the segmenters
live in ``zhbert.text.segmenters``."""

from __future__ import annotations

from .segmenters import get_segmenter

__all__ = ["get_segmenter"]
