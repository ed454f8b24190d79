"""Write the small real-data fixtures in this folder from the full data sets (README.md gives sources and terms).

    python tests/data/make_fixtures.py SHARED_DATA_DIR

Each fixture is the first N records of its file, byte for byte (line endings included), so it is reproducible;
the sentiment sample, whose source lists positive reviews first, is its first and last 100 rows, and the
imbalanced category sample the first 30 / 8 / 2 rows of three product categories.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def first_sentences(source: Path, target: Path, n: int) -> None:
    """The first ``n`` blank-line-separated sentences of a character-per-line file."""
    lines = source.read_bytes().split(b"\n")
    out, sentences = [], 0
    for line in lines:
        out.append(line)
        if not line.strip():
            if out[:-1] and out[-2].strip():
                sentences += 1
            if sentences == n:
                break
    target.write_bytes(b"\n".join(out) + (b"" if out[-1] == b"" else b"\n"))


def first_lines(source: Path, target: Path, n: int) -> None:
    lines = source.read_bytes().splitlines(keepends=True)
    target.write_bytes(b"".join(lines[:n]))


def ends_of_csv(source: Path, target: Path, n: int) -> None:
    """The header, then the first and the last ``n`` rows of a CSV file."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([rows[0], *rows[1 : n + 1], *rows[-n:]])


def category_sample(source: Path, target: Path, counts: dict[str, int]) -> None:
    """The first ``counts[cat]`` rows of each category of online_shopping_10_cats, as ``cat,review`` in file
    order: a small set whose classes are imbalanced."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept, seen = [], dict.fromkeys(counts, 0)
    for row in rows:
        if row["cat"] in counts and seen[row["cat"]] < counts[row["cat"]]:
            seen[row["cat"]] += 1
            kept.append([row["cat"], row["review"]])
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["cat", "review"], *kept])


def heldout_reviews(source: Path, target: Path, n: int) -> None:
    """The first ``n`` reviews of the test split the shipped classifier was held out from (``split_examples`` at
    10 / 10 percent, seed 42, as ``zhbert_demo.release`` splits), labels named as the classifier names them."""
    from zhbert.data import read_cls_file, split_examples

    test = split_examples(read_cls_file(source, text_column="review").examples, 10.0, 10.0, 42)[2]
    names = {"0": "负面", "1": "正面"}
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["label", "review"])
        writer.writerows([names[e.label], e.text] for e in test[:n])


def heldout_sentences(source: Path, target: Path, n: int) -> None:
    """The first ``n`` sentences of the test split the shipped tagger was held out from (as ``heldout_reviews``),
    each copied byte for byte from the source file."""
    from zhbert.data import read_ner_file, split_examples

    test = split_examples(read_ner_file(source, fix_tags=True)[0], 10.0, 10.0, 42)[2]
    lines = source.read_bytes().split(b"\n")
    out = []
    for example in test[:n]:
        at = int(example.source.rsplit(":", 1)[1]) - 1
        while lines[at].strip():
            out.append(lines[at])
            at += 1
        out.append(b"")
    target.write_bytes(b"\n".join(out) + b"\n")


def main(shared: Path) -> None:
    resume = shared / "resume_ner"
    first_sentences(resume / "train.char.bmes", HERE / "resume_train.char.bmes", 200)
    first_sentences(resume / "dev.char.bmes", HERE / "resume_dev.char.bmes", 60)
    first_sentences(resume / "test.char.bmes", HERE / "resume_test.char.bmes", 60)
    first_lines(shared / "icwb2_sighan2005" / "pku_test_gold.utf8", HERE / "pku_test_gold_sample.utf8", 150)
    first_lines(shared / "icwb2_sighan2005" / "msr_test_gold.utf8", HERE / "msr_test_gold_sample.utf8", 250)
    ends_of_csv(shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", HERE / "chnsenticorp_sample.csv", 100)
    first_lines(shared / "cluener2020" / "dev.json", HERE / "cluener_dev_sample.json", 150)
    shopping = shared / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    category_sample(shopping, HERE / "shopping_imbalanced.csv", {"衣服": 30, "书籍": 8, "热水器": 2})
    heldout_reviews(shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", HERE / "chnsenticorp_heldout.csv", 120)
    heldout_sentences(shared / "msra_ner" / "train.char.bio", HERE / "msra_heldout.char.bio", 100)
    for path in sorted(HERE.iterdir()):
        if path.suffix != ".py":
            print(f"{path.name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
