"""The attention tab's heatmap: colours at both ends of the scale, labels escaped, one label per row and column."""

from __future__ import annotations

import re

import numpy as np
import pytest

from zhbert_demo.heatmap import COLOURS, colour_index, heatmap_html


def hex_colour(rgb) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb)


def test_colour_scale_runs_from_the_lightest_to_the_darkest():
    weights = np.array([[0.0, 0.25], [0.5, 0.5]], dtype=np.float32)
    rgb = colour_index(weights, top=0.5)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert hex_colour(rgb[0, 0]) == COLOURS[0] and hex_colour(rgb[1, 0]) == COLOURS[-1]
    assert hex_colour(rgb[0, 1]) == COLOURS[4]  # halfway: the middle stop
    assert hex_colour(colour_index(np.zeros((1, 1)), top=0.0)[0, 0]) == COLOURS[0]  # an all-zero map


def test_labels_are_escaped_and_drawn_on_both_axes():
    labels = ["[CLS]", "<b>", "{{x}}", "${y}", "很长的一个英文单词sentencepiece", "[SEP]"]
    weights = np.full((6, 6), 1 / 6, dtype=np.float32)
    page = heatmap_html(labels, weights, ["第 1 层 <全部>"])
    assert "<b>" not in page and "{{" not in page and "${" not in page
    assert "&lt;b&gt;" in page and "&#123;&#123;x&#125;&#125;" in page and "&lt;全部&gt;" in page
    rows = re.findall(r'class="zh-heat-row"[^>]*><title>[^<]*</title>([^<]*)</text>', page)
    cols = re.findall(r'class="zh-heat-col"[^>]*><title>[^<]*</title>([^<]*)</text>', page)
    assert rows == cols and len(rows) == 6
    assert rows[0] == "[CLS]" and rows[4] == "很长的一个…"  # cut to 6 characters; the tooltip keeps it whole
    assert "<title>很长的一个英文单词sentencepiece（第 5 个词元）</title>" in page
    assert ">0.17</text>" in page  # the scale's top is the largest weight


def test_matrix_must_match_the_labels():
    with pytest.raises(ValueError, match=r"matrix is \(2, 3\), expected \(2, 2\) for 2 labels"):
        heatmap_html(["a", "b"], np.zeros((2, 3)))
