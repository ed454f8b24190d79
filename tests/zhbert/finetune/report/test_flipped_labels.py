"""cleanlab, through the report, finds labels flipped on purpose: 20 of the 120 held-out reviews turned to the
other sentiment, and the type of 20 entities (one per sentence) of the 100 held-out MSRA sentences turned to
another type; at least half of them must be among the first 40 label issues. The shares seen are printed (run
with ``-s``); docs/benchmarks.md has them on the whole test splits (benchmarks/label_issues.py)."""

from __future__ import annotations

import random

from tests.conftest import REPO, TEST_DATA
from zhbert import EntityTagger, TextClassifier
from zhbert.data import ClsExample, NerExample
from zhbert.finetune import ClassificationTask, NerTask
from zhbert.finetune.report import run_report

from .checks import lines

SHIPPED = REPO / "zhbert_demo" / "models"
FLIPS, TOP = 20, 40


def test_flipped_sentiments_are_among_the_top_40(tmp_path):
    task = ClassificationTask()
    examples = task.read(TEST_DATA / "chnsenticorp_heldout.csv")
    chosen = set(random.Random(0).sample(range(len(examples)), FLIPS))
    other = {"正面": "负面", "负面": "正面"}
    flipped = [ClsExample(e.text, None, other[e.label], e.source) if i in chosen else e for i, e in enumerate(examples)]
    model = TextClassifier.from_pretrained(SHIPPED / "classifier", dtype="float32")
    run_report(tmp_path / "r", task, model, flipped, top=TOP)
    issues = lines(tmp_path / "r" / "label_issues.jsonl")[:TOP]
    found = sum(r["source"] in {examples[i].source for i in chosen} for r in issues)
    print(f"classes: {found}/{FLIPS} flipped labels among the top {TOP} ({found / FLIPS:.2f})")
    assert found >= FLIPS // 2


def test_flipped_entity_types_are_among_the_top_40(tmp_path):
    task = NerTask()
    examples = task.read(TEST_DATA / "msra_heldout.char.bio")
    rng = random.Random(0)
    chosen = rng.sample([i for i, e in enumerate(examples) if e.spans], FLIPS)
    flipped, where = list(examples), {}
    for i in chosen:
        e = examples[i]
        j = rng.randrange(len(e.spans))
        start, end, kind = e.spans[j]
        new = rng.choice([t for t in ("LOC", "ORG", "PER") if t != kind])
        flipped[i] = NerExample(
            e.text, tuple((start, end, new) if k == j else s for k, s in enumerate(e.spans)), e.source
        )
        where[e.source] = (start, end)
    model = EntityTagger.from_pretrained(SHIPPED / "tagger", dtype="float32")
    run_report(tmp_path / "r", task, model, flipped, top=TOP)
    issues = lines(tmp_path / "r" / "label_issues.jsonl")[:TOP]
    found = sum(r["source"] in where for r in issues)
    at = sum(any(where[r["source"]][0] <= w["start"] < where[r["source"]][1] for w in r["words"])
             for r in issues if r["source"] in where)  # fmt: skip
    print(f"entity types: {found}/{FLIPS} flipped sentences among the top {TOP} ({found / FLIPS:.2f}), {at} flagged "
          "at the flipped entity")  # fmt: skip
    assert found >= FLIPS // 2
    assert at >= FLIPS // 2
