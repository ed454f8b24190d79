"""The confusion matrix's PNG: Chinese labels drawn in a CJK font where one is installed, and numbered labels with
a warning where none is."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from zhbert.finetune.report import plot

MATRIX = [[31, 1], [8, 80]]


@pytest.mark.skipif(not Path(plot.NOTO_CJK).exists(), reason="Noto Sans CJK is not installed here")
def test_chinese_labels_use_an_installed_cjk_font(tmp_path, caplog):
    assert plot.cjk_font() is not None
    with caplog.at_level(logging.WARNING):
        plot.plot_confusion(tmp_path / "c.png", ["负面", "正面"], ["负面", "正面"], MATRIX, "情感")
    assert not caplog.records
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_without_a_cjk_font_the_labels_are_numbered(tmp_path, caplog, monkeypatch):
    import matplotlib.image

    monkeypatch.setattr(plot, "NOTO_CJK", str(tmp_path / "absent.ttc"))
    monkeypatch.setattr(plot, "CJK_FONTS", ("No Such Font",))  # as on a machine with no CJK font
    with caplog.at_level(logging.WARNING):
        plot.plot_confusion(tmp_path / "c.png", ["负面", "正面"], ["负面", "正面"], MATRIX, "情感")
    assert [r.getMessage() for r in caplog.records] == [
        "no CJK font found: the plot numbers its labels (the markdown table names them)"
    ]
    assert matplotlib.image.imread(tmp_path / "c.png").shape[2] == 4  # a readable RGBA PNG
    with caplog.at_level(logging.WARNING):
        plot.plot_confusion(tmp_path / "d.png", ["LOC", "O"], ["LOC", "O"], MATRIX, "ascii")
    assert len(caplog.records) == 1  # ASCII labels need no CJK font
