"""Labelled reviews from other domains for the ChnSentiCorp recipe's first stage: online_shopping_10_cats without
its 酒店 (hotel) category, and waimai_10k, less any review that also occurs in ChnSentiCorp (compared with
whitespace and U+FEFF removed), shuffled with a fixed seed. Labels keep their meaning: 1 positive, 0 negative.

    python benchmarks/recipes/sentiment_transfer_data.py SHARED_DATA_DIR OUTPUT.csv
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path


def _key(text: str) -> str:
    return "".join(text.replace("\ufeff", "").split())


def main(shared: Path, output: Path) -> None:
    with (shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv").open(encoding="utf-8", newline="") as f:
        hotel = {_key(row["review"] or "") for row in csv.DictReader(f)}
    rows: list[tuple[str, str]] = []
    shopping = shared / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    with shopping.open(encoding="utf-8-sig", newline="") as f:
        rows += [(r["label"], r["review"] or "") for r in csv.DictReader(f) if r["cat"] != "酒店"]
    with (shared / "waimai_10k" / "waimai_10k.csv").open(encoding="utf-8", newline="") as f:
        rows += [(r["label"], r["review"] or "") for r in csv.DictReader(f)]
    kept = [(label, text.replace("\ufeff", "").strip()) for label, text in rows]
    kept = [(label, text) for label, text in kept if text and _key(text) not in hotel]
    random.Random(0).shuffle(kept)
    with output.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["label", "review"])
        writer.writerows(kept)
    print(f"{output}: {len(kept)} reviews ({len(rows) - len(kept)} empty or also in ChnSentiCorp left out)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
