"""The curve of one or more ``wwm-pretrain`` runs, one after another: held-out cloze accuracy and masked-token
accuracy, and the held-out losses, against the tokens seen. Reads each run's ``trainer_state.json`` (the log
history Trainer keeps) and writes an SVG with no plotting library, plus the figures as a table on stdout.

    python benchmarks/pretraining_curve.py runs/release/stage1 runs/release/stage2 --out docs/base_pretraining.svg
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _common import header

WIDTH, HEIGHT, PAD = 360, 240, 48
SERIES = {
    "accuracy": [("eval_cloze_accuracy", "cloze accuracy ([MASK] only)", "#1f77b4"),
                 ("eval_masked_accuracy", "masked accuracy (training task)", "#ff7f0e")],
    "loss": [("eval_cloze_loss", "cloze loss", "#1f77b4"), ("eval_loss", "masked loss", "#ff7f0e")],
}  # fmt: skip


def evaluations(runs: list[Path]) -> list[dict[str, float]]:
    """Every evaluation of the runs, in order, with ``tokens`` counted across the runs and ``run`` the index."""
    rows: list[dict[str, float]] = []
    offset = 0
    for index, run in enumerate(runs):
        state = json.loads((run / "trainer_state.json").read_text(encoding="utf-8"))
        last = 0
        for entry in state["log_history"]:
            tokens = entry.get("num_input_tokens_seen")
            if tokens is not None:
                last = max(last, int(tokens))
            if "eval_cloze_accuracy" in entry and tokens is not None:
                row = {**entry, "tokens": offset + int(tokens), "run": index}
                if rows and (rows[-1]["run"], rows[-1]["tokens"]) == (index, row["tokens"]):
                    continue  # the final evaluation repeats the last periodic one
                rows.append(row)
        offset += last
    return rows


def _panel(rows: list[dict[str, float]], keys: list[tuple[str, str, str]], x0: int, title: str) -> list[str]:
    xs = [r["tokens"] for r in rows]
    ys = [r[k] for r in rows for k, _, _ in keys if k in r]
    lo, hi = (0.0 if "accuracy" in title else min(ys)), max(ys)
    hi = hi if hi > lo else lo + 1
    span = max(xs) or 1

    def point(x: float, y: float) -> str:
        px = x0 + PAD + (WIDTH - PAD - 10) * x / span
        py = HEIGHT - PAD - (HEIGHT - PAD - 30) * (y - lo) / (hi - lo)
        return f"{px:.1f},{py:.1f}"

    out = [f'<text x="{x0 + WIDTH / 2}" y="18" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{x0 + PAD}" y1="{HEIGHT - PAD}" x2="{x0 + WIDTH - 10}" y2="{HEIGHT - PAD}" stroke="#333"/>',
           f'<line x1="{x0 + PAD}" y1="30" x2="{x0 + PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
           f'<text x="{x0 + WIDTH / 2}" y="{HEIGHT - 14}" text-anchor="middle" font-size="11">tokens seen '
           f'(0 to {span / 1e6:.0f}M)</text>',
           f'<text x="{x0 + PAD - 4}" y="{HEIGHT - PAD}" text-anchor="end" font-size="10">{lo:.3g}</text>',
           f'<text x="{x0 + PAD - 4}" y="36" text-anchor="end" font-size="10">{hi:.3g}</text>']  # fmt: skip
    for i, (key, label, colour) in enumerate(keys):
        points = " ".join(point(r["tokens"], r[key]) for r in rows if key in r)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        out.append(f'<text x="{x0 + PAD + 8}" y="{44 + 14 * i}" font-size="11" fill="{colour}">{label}</text>')
    for r, previous in zip(rows[1:], rows, strict=False):
        if r["run"] != previous["run"]:  # where the next run (stage) starts
            x = point(r["tokens"], lo).split(",")[0]
            out.append(f'<line x1="{x}" y1="30" x2="{x}" y2="{HEIGHT - PAD}" stroke="#999" stroke-dasharray="4"/>')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", help="wwm-pretrain output folders, in training order")
    parser.add_argument("--out", required=True, help="the SVG file to write")
    args = parser.parse_args()
    header("pretraining curve")
    rows = evaluations([Path(r) for r in args.runs])
    print(
        f"{'run':>3s} {'tokens':>12s} {'cloze acc':>10s} {'masked acc':>11s} {'cloze loss':>11s} {'masked loss':>12s}"
    )
    for r in rows:
        print(f"{r['run']:3.0f} {r['tokens']:12,.0f} {r['eval_cloze_accuracy']:10.4f} "
              f"{r['eval_masked_accuracy']:11.4f} {r['eval_cloze_loss']:11.4f} {r['eval_loss']:12.4f}")  # fmt: skip
    body = _panel(rows, SERIES["accuracy"], 0, "held-out accuracy") + _panel(
        rows, SERIES["loss"], WIDTH, "held-out loss"
    )
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * WIDTH}" height="{HEIGHT}" font-family="sans-serif">'
           f'<rect width="100%" height="100%" fill="white"/>{"".join(body)}</svg>\n')  # fmt: skip
    Path(args.out).write_text(svg, encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
