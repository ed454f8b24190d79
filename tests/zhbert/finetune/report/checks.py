"""What every report test checks of a finished report folder."""

from __future__ import annotations

import json
from pathlib import Path

from zhbert.finetune.report import REPORT_FILES


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def check_files(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert all((out / name).stat().st_size > 0 for name in REPORT_FILES if not name.endswith(".jsonl"))
    assert (out / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left behind
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "![confusion matrix](confusion.png)" in readme
