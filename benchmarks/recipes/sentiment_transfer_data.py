"""Labelled reviews from other domains for the ChnSentiCorp recipe's first stage: online_shopping_10_cats without
its 酒店 (hotel) category, and waimai_10k, less any review that also occurs in ChnSentiCorp (compared with
whitespace and U+FEFF removed), shuffled with a fixed seed. Labels keep their meaning: 1 positive, 0 negative.

    python benchmarks/recipes/sentiment_transfer_data.py SHARED_DATA_DIR OUTPUT.csv [CORPUS.txt]

With CORPUS.txt it also writes a pretraining corpus in wwm-pretrain's .txt format: the same reviews and
ChnSentiCorp's training part (the recipe's 10/10 split, seed 42; never its dev or test reviews), one review a
line, 20 reviews a document.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

from wwm_pretrain.splits import squash


def main(shared: Path, output: Path, corpus: Path | None = None) -> None:
    with (shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv").open(encoding="utf-8", newline="") as f:
        hotel = {squash(row["review"] or "") for row in csv.DictReader(f)}
    rows: list[tuple[str, str]] = []
    shopping = shared / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    with shopping.open(encoding="utf-8-sig", newline="") as f:
        rows += [(r["label"], r["review"] or "") for r in csv.DictReader(f) if r["cat"] != "酒店"]
    with (shared / "waimai_10k" / "waimai_10k.csv").open(encoding="utf-8", newline="") as f:
        rows += [(r["label"], r["review"] or "") for r in csv.DictReader(f)]
    kept = [(label, text.replace("\ufeff", "").strip()) for label, text in rows]
    kept = [(label, text) for label, text in kept if text and squash(text) not in hotel]
    random.Random(0).shuffle(kept)
    with output.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["label", "review"])
        writer.writerows(kept)
    print(f"{output}: {len(kept)} reviews ({len(rows) - len(kept)} empty or also in ChnSentiCorp left out)")
    if corpus is None:
        return
    from zhbert.data import read_cls_file, split_examples

    data = read_cls_file(shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", text_column="review")
    train = [e.text.strip() for e in split_examples(data.examples, 10.0, 10.0, 42)[0]]
    texts = [text for _, text in kept] + [text for text in train if text]
    random.Random(1).shuffle(texts)
    with corpus.open("w", encoding="utf-8") as f:
        for i in range(0, len(texts), 20):
            f.write("\n".join(" ".join(t.split()) for t in texts[i : i + 20]) + "\n\n")
    print(f"{corpus}: {len(texts)} reviews ({len(train)} from ChnSentiCorp's training part)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
