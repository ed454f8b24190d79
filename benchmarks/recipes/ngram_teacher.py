"""Training data for distilling the n-gram model into a BERT (knowledge distillation with a transfer set).

The whole-word-masking study's bag-of-n-grams baseline (``wwm_pretrain.study.baseline``: TF-IDF over character
unigrams and bigrams, a logistic regression; ``pip install zhbert[study]``) is fitted on the ChnSentiCorp training
split (its regularisation chosen on dev), scored once on test, and labels a transfer set with its probabilities
(soft labels):

- the training split's reviews;
- ``--copies`` perturbed copies of each (characters deleted at random, a random window of the review, or the start
  of one review joined to the end of another), so the student sees how the teacher's score moves as words come
  and go;
- ``--other`` reviews from other domains (the first stage's data), read without their labels.

Dev and test are written as they are (gold labels), so the student is early-stopped and scored on exactly the
split ``zhbert train classify --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42``
makes. No dev or test review reaches the teacher's training or the transfer set.

    python benchmarks/recipes/ngram_teacher.py CHNSENTICORP_CSV OTHER_CSV OUTPUT_DIR [--copies 6] [--other 20000]

writes OUTPUT_DIR/train.jsonl (``{"review": ..., "label": {"0": p0, "1": p1}}``), dev.jsonl and test.jsonl, and
prints the teacher's strength, dev and test accuracy.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from wwm_pretrain.splits import DEV_PERCENT, SPLIT_SEED, TEST_PERCENT
from wwm_pretrain.study.baseline import fit_ngram
from zhbert.data import ClsExample, read_cls_file, split_examples
from zhbert.finetune.metrics import classification_metrics


def perturb(text: str, others: list[str], rng: random.Random) -> str:
    """One perturbed copy of ``text``: random deletion, a random window, or a splice with another review."""
    r = rng.random()
    if r < 0.35:
        p = rng.uniform(0.05, 0.25)
        return "".join(c for c in text if rng.random() > p) or text
    if r < 0.7:
        length = max(4, int(len(text) * rng.uniform(0.3, 0.9)))
        start = rng.randint(0, max(0, len(text) - length))
        return text[start : start + length]
    other = rng.choice(others)
    return text[: rng.randint(1, max(1, len(text)))] + other[rng.randint(0, max(0, len(other) - 1)) :]


def _write(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="ChnSentiCorp_htl_all.csv")
    parser.add_argument("other", type=Path, help="other-domain reviews (sentiment_transfer_data.py output)")
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--copies", type=int, default=6, help="perturbed copies of each training review")
    parser.add_argument("--other", dest="n_other", type=int, default=20000, help="other-domain reviews to label")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train, dev, test = split_examples(read_cls_file(args.data).examples, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)
    teacher = fit_ngram([(e.label, e.text) for e in train], [(e.label, e.text) for e in dev])
    scores = classification_metrics([e.label for e in test], teacher.predict([e.text for e in test]))
    print(
        f"teacher: train {len(train)}, dev {len(dev)}, test {len(test)}; C {teacher.C:g} chosen on dev "
        f"(dev accuracy {teacher.dev_accuracy:.4f}); test accuracy {scores['accuracy']:.4f}",
        file=sys.stderr,
    )
    rng = random.Random(args.seed)
    originals = [e.text for e in train]
    texts = list(originals)
    for _ in range(args.copies):
        texts += [perturb(t, originals, rng) for t in originals]
    other = [e.text for e in read_cls_file(args.other).examples]
    rng.shuffle(other)
    other = other[: args.n_other]
    texts += other
    p = [row for i in range(0, len(texts), 5000) for row in teacher.probabilities(texts[i : i + 5000])]
    args.output_dir.mkdir(parents=True, exist_ok=True)
    _write(
        args.output_dir / "train.jsonl",
        [{"review": t, "label": dict(zip(teacher.labels, q, strict=True))} for t, q in zip(texts, p, strict=True)],
    )

    def gold(examples: list[ClsExample]) -> list[dict]:
        return [{"review": e.text, "label": e.label} for e in examples]

    _write(args.output_dir / "dev.jsonl", gold(dev))
    _write(args.output_dir / "test.jsonl", gold(test))
    print(
        f"{args.output_dir}: train.jsonl {len(texts)} texts with soft labels ({len(originals)} reviews, "
        f"{len(texts) - len(originals) - len(other)} perturbed copies, "
        f"{len(other)} other-domain reviews); dev.jsonl {len(dev)}, test.jsonl {len(test)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
