"""The confusion matrix as a PNG (matplotlib, headless). Chinese labels need a CJK font: the first of
``CJK_FONTS`` that matplotlib finds is used; where none is installed, the axes show label numbers and the title
says so (the markdown table beside the image has the names)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ...errors import MissingExtraError

__all__ = ["CJK_FONTS", "NOTO_CJK", "cjk_font", "plot_confusion"]

logger = logging.getLogger(__name__)

NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # Debian / Ubuntu's fonts-noto-cjk
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei",
             "Microsoft YaHei", "PingFang SC", "Heiti SC", "Arial Unicode MS")  # fmt: skip


def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    if os.path.exists(NOTO_CJK):
        font_manager.fontManager.addfont(NOTO_CJK)  # registers each face of the collection
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def plot_confusion(
    path: str | os.PathLike[str], rows: Sequence[str], columns: Sequence[str], matrix: Sequence[Sequence[int]],
    title: str, row_title: str = "gold", column_title: str = "predicted",
) -> None:  # fmt: skip
    """Write the counts as a heat map with the numbers in the cells.

    Raises:
        MissingExtraError: matplotlib is not installed (``pip install zhbert[report]``).
    """
    try:
        import matplotlib
        from matplotlib.figure import Figure  # no pyplot: the caller's backend and figures are left alone
    except ImportError as err:
        raise MissingExtraError("the confusion matrix plot needs matplotlib: pip install zhbert[report]") from err
    names = [*rows, *columns, title]
    font = cjk_font() if any(not name.isascii() for name in names) else None
    if font is None and any(not name.isascii() for name in names):
        logger.warning("no CJK font found: the plot numbers its labels (the markdown table names them)")
        rows = [str(i) for i in range(len(rows))]
        columns = [str(i) for i in range(len(columns))]
        title = "confusion matrix (labels by number: see the table)"
    size = max(4.0, 0.55 * max(len(rows), len(columns)) + 2.0)
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"]} if font else {}):
        fig = Figure(figsize=(size + 1, size), dpi=100)
        ax = fig.subplots()
        image = ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(columns)), list(columns), rotation=45, ha="right")
        ax.set_yticks(range(len(rows)), list(rows))
        ax.set_xlabel(column_title)
        ax.set_ylabel(row_title)
        ax.set_title(title)
        top = max((v for row in matrix for v in row), default=0)
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                color = "white" if top and value > top / 2 else "black"
                ax.text(j, i, str(value), ha="center", va="center", color=color, fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        fig.savefig(Path(path), format="png")
