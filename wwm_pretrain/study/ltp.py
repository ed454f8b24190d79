"""The study's LTP segmenter: a legacy perceptron trained here on the SIGHAN 2005 gold segmentations (the
``ltp`` scheme segments its corpus with it)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

__all__ = ["train_ltp"]


def train_ltp(shared: Path, model_dir: Path, epochs: int) -> dict[str, Any]:
    """An LTP legacy perceptron segmenter trained on the SIGHAN 2005 PKU and MSR gold segmentations (the
    folder holds the test gold only; the training corpora are not in it), 200 lines held out."""
    from ltp_extension.perceptron import CWSTrainer

    lines = []
    for name in ("pku_test_gold.utf8", "msr_test_gold.utf8"):
        text = (shared / "icwb2_sighan2005" / name).read_text(encoding="utf-8")
        lines += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    random.Random(0).shuffle(lines)
    work = model_dir.with_name(model_dir.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "train.txt").write_text("\n".join(lines[200:]) + "\n", encoding="utf-8")
    (work / "dev.txt").write_text("\n".join(lines[:200]) + "\n", encoding="utf-8")
    trainer = CWSTrainer()
    trainer.epoch = epochs
    trainer.load_train_data(str(work / "train.txt"))
    trainer.load_eval_data(str(work / "dev.txt"))
    trainer.train().save(str(work / "cws_model.bin"))
    # "nerual" is LTP's own spelling of the key.
    (work / "config.json").write_text(json.dumps({"nerual": False, "tasks": {"cws": "cws_model.bin"}}))
    from zhbert.text import LtpSegmenter, word_offsets

    dev = lines[:200]
    predicted = LtpSegmenter(str(work)).cut(["".join(line.split()) for line in dev])
    gold_words = [set(word_offsets(line.split())) for line in dev]
    got = [set(word_offsets(words)) for words in predicted]
    tp = sum(len(g & p) for g, p in zip(gold_words, got, strict=True))
    precision, recall = tp / max(1, sum(map(len, got))), tp / max(1, sum(map(len, gold_words)))
    shutil.rmtree(model_dir, ignore_errors=True)
    work.rename(model_dir)
    return {
        "train_lines": len(lines) - 200,
        "epochs": epochs,
        "dev_f1": 2 * precision * recall / max(1e-9, precision + recall),
    }
