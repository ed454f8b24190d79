"""Write the small data sets that ship in ``zhbert_demo/data`` (the demo's default models are trained on them),
from the public corpora described in that folder's README. Fixed seeds: the output is the same each run.

    python -m zhbert_demo.make_demo_data SHARED_DATA_DIR   (the folder with law_corpus_zh, waimai_10k, msra_ner)
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

from zhbert.data import read_ner_file

OUT = Path(__file__).resolve().parent / "data"


def law(shared: Path, max_chars: int = 420_000) -> None:
    docs = shared.joinpath("law_corpus_zh", "law_corpus.txt").read_text(encoding="utf-8").split("\n\n")
    docs = [d.strip() for d in docs if d.strip()]
    random.Random(0).shuffle(docs)
    kept, size = [], 0
    for doc in docs:
        if size + len(doc) > max_chars:
            continue
        kept.append(doc)
        size += len(doc)
    OUT.joinpath("law_corpus.txt").write_text("\n\n".join(kept) + "\n", encoding="utf-8")
    print(f"law_corpus.txt: {len(kept)} documents, {size} characters")


def sentiment(shared: Path) -> None:
    names = {"1": "正面", "0": "负面"}
    with shared.joinpath("waimai_10k", "waimai_10k.csv").open(encoding="utf-8", newline="") as f:
        rows = [(names[r["label"]], r["review"].strip()) for r in csv.DictReader(f) if r["review"].strip()]
    with OUT.joinpath("waimai_reviews.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["label", "review"])
        writer.writerows(rows)
    print(f"waimai_reviews.csv: {len(rows)} reviews")


def ner(shared: Path, n: int = 6000) -> None:
    examples = read_ner_file(shared / "msra_ner" / "train.char.bio", fix_tags=True)[0]
    examples = [e for e in examples if 8 <= len(e.text) <= 100]
    examples = random.Random(0).sample(examples, n)
    with OUT.joinpath("msra_ner_sample.jsonl").open("w", encoding="utf-8") as f:
        for e in examples:
            label: dict[str, dict[str, list[list[int]]]] = {}
            for start, end, kind in e.spans:
                label.setdefault(kind, {}).setdefault(e.text[start:end], []).append([start, end - 1])
            f.write(json.dumps({"text": e.text, "label": label}, ensure_ascii=False) + "\n")
    print(f"msra_ner_sample.jsonl: {n} sentences, {sum(len(e.spans) for e in examples)} entities")


if __name__ == "__main__":
    shared = Path(sys.argv[1])
    law(shared)
    sentiment(shared)
    ner(shared)
