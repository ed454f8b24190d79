"""An attention matrix as an inline SVG heatmap whose token labels the browser draws with its own fonts.

    html = heatmap_html(["[CLS]", "李", "强", "[SEP]"], weights)  # weights: (T, T), rows sum to 1

The cells are one PNG (nearest-neighbour blocks, so a 128 x 128 map stays small); the labels, the axis titles and
the colour scale are SVG text and shapes, so Chinese characters render in the page's CJK fonts, never in the
server's. Row labels read across; column labels run down the page, Chinese characters upright.
"""

from __future__ import annotations

import base64
import html
import io
import unicodedata
from collections.abc import Sequence

import numpy as np

__all__ = ["COLOURS", "colour_index", "heatmap_html"]

# ColorBrewer "Blues", light to dark: low weights fade into the page, the strong ones stand out.
COLOURS = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
LABEL_CHARS = 6  # longer labels ([CLS] is 5) are cut with an ellipsis; the full text is in the label's tooltip


def colour_index(matrix: np.ndarray, top: float) -> np.ndarray:
    """(T, T, 3) uint8 RGB: each weight's colour on the scale from 0 (lightest) to ``top`` (darkest)."""
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in COLOURS], dtype=np.float64)  # (9, 3)
    at = np.clip(matrix.astype(np.float64) / top if top > 0 else np.zeros(matrix.shape), 0, 1) * (len(COLOURS) - 1)
    low = np.minimum(at.astype(int), len(COLOURS) - 2)
    frac = (at - low)[..., None]
    return np.rint(stops[low] * (1 - frac) + stops[low + 1] * frac).astype(np.uint8)


def heatmap_html(labels: Sequence[str], matrix: np.ndarray, titles: Sequence[str] = ()) -> str:
    """An HTML fragment: ``titles`` as lines above an SVG heatmap of ``matrix`` (T, T) with ``labels`` on both
    axes (rows: queries, columns: keys) and a colour scale from 0 to the matrix's largest weight."""
    from PIL import Image

    n = len(labels)
    if matrix.shape != (n, n):
        raise ValueError(f"matrix is {matrix.shape}, expected ({n}, {n}) for {n} labels")
    cell = max(14, min(36, 560 // max(n, 1)))  # px per token: large for short texts, 14 px at 40+ tokens
    font = min(cell - 2, 16)
    shown = [_short(label) for label in labels]
    label_px = int(max((_width(s) for s in shown), default=1) * font) + 8
    legend_h = 44
    left, top = label_px + 20, legend_h + label_px + 20  # room for the axis titles, the scale and the labels
    side = n * cell
    width, height = left + side + 8, top + side + 8
    peak = float(matrix.max()) if n else 0.0
    rgb = colour_index(matrix, peak).repeat(cell, axis=0).repeat(cell, axis=1)  # (side, side, 3)
    png = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(png, format="PNG", optimize=True)
    cells = base64.b64encode(png.getvalue()).decode("ascii")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="zh-heatmap" width="{width}" height="{height}" '
        f"viewBox=\"0 0 {width} {height}\" font-family=\"system-ui, 'Noto Sans CJK SC', 'PingFang SC', "
        f'\'Microsoft YaHei\', sans-serif" role="img">',
        '<defs><linearGradient id="zh-heat-scale">'
        + "".join(f'<stop offset="{i / (len(COLOURS) - 1):.3f}" stop-color="{c}"/>' for i, c in enumerate(COLOURS))
        + "</linearGradient></defs>",
        # The colour scale: 0 to the largest weight in the map.
        f'<text x="{left}" y="14" font-size="13" fill="#333">颜色 = 注意力权重</text>',
        f'<rect x="{left + 140}" y="4" width="200" height="12" fill="url(#zh-heat-scale)" stroke="#999" '
        'stroke-width="0.5"/>',
        *(
            f'<text x="{left + 140 + 200 * q:.1f}" y="30" font-size="11" fill="#333" text-anchor="middle">'
            f"{peak * q:.2f}</text>"
            for q in (0, 0.5, 1)
        ),
        f'<text x="{left}" y="{legend_h + 6}" font-size="12" fill="#555">列：被关注的词元（键）→</text>',
        f'<text x="12" y="{top}" font-size="12" fill="#555" style="writing-mode: vertical-rl">行：查询词元 →</text>',
        f'<image x="{left}" y="{top}" width="{side}" height="{side}" href="data:image/png;base64,{cells}"/>',
        f'<rect x="{left}" y="{top}" width="{side}" height="{side}" fill="none" stroke="#999" stroke-width="0.5"/>',
    ]
    for i, (label, full) in enumerate(zip(shown, labels, strict=True)):
        centre = i * cell + cell / 2
        tip = f"<title>{_escape(full)}（第 {i + 1} 个词元）</title>"
        parts.append(
            f'<text class="zh-heat-row" x="{left - 4}" y="{top + centre:.1f}" font-size="{font}" '
            f'text-anchor="end" dominant-baseline="central">{tip}{_escape(label)}</text>'
        )
        parts.append(
            f'<text class="zh-heat-col" x="{left + centre:.1f}" y="{top - 4}" font-size="{font}" '
            f'text-anchor="end" style="writing-mode: vertical-rl">{tip}{_escape(label)}</text>'
        )
    parts.append("</svg>")
    lines = "".join(f'<p style="margin: 0 0 4px 0">{_escape(t)}</p>' for t in titles)
    return f'<div class="zh-heatmap-box" style="overflow: auto">{lines}{"".join(parts)}</div>'


def _short(label: str) -> str:
    label = " ".join(label.split()) or "␣"  # whitespace-only labels (none from BERT's tokenizer) stay visible
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _width(label: str) -> float:
    """The label's length in ems: wide (CJK, full-width) characters 1, others about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in label)


def _escape(text: str) -> str:
    # Braces and dollar signs too: Gradio's HTML component reads its value as a template.
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;")
