"""How many labels flipped on purpose cleanlab puts among its top candidates, through ``zhbert evaluate --report``'s
own path (``zhbert.finetune.report``), with the shipped models on their held-out test splits.

Classification: the shipped classifier on ChnSentiCorp's part of its test split (the hotel reviews, 10/10 split,
seed 42), ``--flips`` labels turned to the other one. NER: the shipped tagger on its MSRA test split, the type of
``--flips`` entities (each in a sentence of its own) turned to another type. Found: a flipped review among the
first ``--top`` label issues; a flipped sentence among the first ``--top`` sentences, with a flagged word inside
the flipped entity for "found at the entity". The tagger's per-word probabilities are its CRF's marginals (what
the report reads) and, side by side on the same flips, the softmax of its scores before the CRF. Each trial flips
other labels (seeds 0, 1, ...). The probabilities are the model's own: it never saw these rows (``--cv`` is for
rows it did see).

    python benchmarks/label_issues.py            # 3 trials, the whole ChnSentiCorp test part, 1,000 MSRA sentences
    python benchmarks/label_issues.py --quick    # 1 trial, 300 reviews, 300 sentences
    python benchmarks/label_issues.py --splits DIR   # only write the two test parts as files zhbert evaluate reads

The files of ``--splits``: ``chnsenticorp_test.csv`` (``label,review``, the classifier's label names) and
``msra_test.char.bioes``; docs/evaluating.md's report comes from them.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from _common import SHARED_DATA, SHIPPED_MODELS, header

from zhbert import EntityTagger, TextClassifier
from zhbert.api import TokenProbabilities
from zhbert.data import ClsExample, NerExample, read_cls_file, read_ner_data, split_examples, write_conll_bioes
from zhbert.finetune import ClassificationTask, NerTask
from zhbert.finetune.report import collect, run_report, write_report
from zhbert.text.pieces import word_pieces

SENTIMENT = {"0": "负面", "1": "正面"}


def flip_classes(examples: list[ClsExample], flips: int, seed: int) -> tuple[list[ClsExample], set[str]]:
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(examples)), flips))
    out = []
    for i, e in enumerate(examples):
        label = SENTIMENT[e.label]
        if i in chosen:
            label = "正面" if label == "负面" else "负面"
        out.append(ClsExample(e.text, None, label, e.source))
    return out, {out[i].source for i in chosen}


def flip_types(examples: list[NerExample], flips: int, seed: int, types: list[str]) -> tuple[list, dict[str, tuple]]:
    rng = random.Random(seed)
    with_entities = [i for i, e in enumerate(examples) if e.spans]
    chosen = rng.sample(with_entities, flips)
    out, flipped = list(examples), {}
    for i in chosen:
        e = examples[i]
        j = rng.randrange(len(e.spans))
        start, end, kind = e.spans[j]
        new = rng.choice([t for t in types if t != kind])
        spans = tuple((start, end, new) if k == j else s for k, s in enumerate(e.spans))
        out[i] = NerExample(e.text, spans, e.source)
        flipped[e.source] = (start, end)
    return out, flipped


def at_entity(issue: dict, flipped: dict[str, tuple]) -> bool:
    """Whether a sentence's issue flags a word inside its flipped entity."""
    if issue["source"] not in flipped:
        return False
    start, end = flipped[issue["source"]]
    return any(start <= word["start"] < end for word in issue["words"])


def write_splits(folder: Path, reviews: list[ClsExample], sentences: list[NerExample]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "chnsenticorp_test.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["label", "review"])
        writer.writerows([SENTIMENT[e.label], e.text] for e in reviews)
    write_conll_bioes(folder / "msra_test.char.bioes", sentences)
    print(
        f"{folder}: chnsenticorp_test.csv ({len(reviews)} reviews), msra_test.char.bioes ({len(sentences)} sentences)"
    )


def softmax_tokens(tagger: EntityTagger, sentences: list[NerExample]) -> list[TokenProbabilities]:
    """Each word's softmax over the tagger's scores, before its CRF: what the report read before CRF marginals."""
    pieces = word_pieces(tagger.tokenizer, [e.text for e in sentences])
    out = []
    for s, p in zip(tagger.token_scores(pieces), pieces, strict=True):
        words = s if len(p.first) == len(p.ids) else s[p.first]
        out.append(TokenProbabilities(tuple(p.word_start), tuple(p.word_end), words.softmax(-1).numpy()))
    return out


def read_issues(folder: Path) -> list[dict]:
    with (folder / "label_issues.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--flips", type=int, default=20)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--splits", default=None, help="write the test parts into this folder and stop")
    args = parser.parse_args()
    trials = args.trials or (1 if args.quick else 3)
    header(f"label issues: {args.flips} labels flipped, found among cleanlab's top {args.top}")
    reviews = read_cls_file(SHARED_DATA / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", text_column="review")
    cls_test = split_examples(reviews.examples, 10.0, 10.0, 42)[2][: 300 if args.quick else None]
    msra = read_ner_data(SHARED_DATA / "msra_ner" / "train.char.bio", fix_tags=True).examples
    ner_test = split_examples(msra, 10.0, 10.0, 42)[2][: 300 if args.quick else None if args.splits else 1000]
    if args.splits:
        write_splits(Path(args.splits), cls_test, ner_test)
        return
    classifier = TextClassifier.from_pretrained(SHIPPED_MODELS / "classifier")
    tagger = EntityTagger.from_pretrained(SHIPPED_MODELS / "tagger")
    types = ["LOC", "ORG", "PER"]
    with tempfile.TemporaryDirectory() as work:
        for trial in range(trials):
            began = time.monotonic()
            examples, flipped = flip_classes(cls_test, args.flips, trial)
            out = Path(work) / f"cls{trial}"
            run_report(out, ClassificationTask(), classifier, examples, top=args.top)
            issues = read_issues(out)
            found = sum(r["source"] in flipped for r in issues[: args.top])
            share = f"{found}/{args.flips} flipped in the top {args.top} ({found / args.flips:.2f})"
            share += f", {sum(r['source'] in flipped for r in issues)}/{args.flips} flagged at all"
            print(f"classes, trial {trial}: {len(examples)} reviews, {len(issues)} flagged, {share} "
                  f"({time.monotonic() - began:.0f} s)")  # fmt: skip
            began = time.monotonic()
            sentences, spans = flip_types(ner_test, args.flips, trial, types)
            found = collect(NerTask(), tagger, sentences)
            for name, probs in (("CRF marginals", None), ("emission softmax", softmax_tokens(tagger, sentences))):
                out = Path(work) / f"ner{trial}-{name.split()[0]}"
                write_report(out, "ner", sentences, found, top=args.top, probabilities=probs)
                issues = read_issues(out)[: args.top]
                hit = sum(r["source"] in spans for r in issues)
                at = sum(at_entity(r, spans) for r in issues)
                print(f"entity types, trial {trial}, {name}: {len(sentences)} sentences, {hit}/{args.flips} flipped "
                      f"sentences in the top {args.top} ({hit / args.flips:.2f}), {at} of them at the flipped entity "
                      f"({time.monotonic() - began:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
