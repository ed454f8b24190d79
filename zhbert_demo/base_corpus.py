"""The pretraining corpus of the demo's base model: the Chinese text of every data set in ``../shared/data``
that the project may train on, never a dev or test split.

- **Legal corpus.** Whole laws are held out for evaluating the masked-language model: the corpus keeps several
  dated versions of one law (``刑法修正案（七）``, ``...(2014-01-01)``), so all versions of a held-out law are held
  out together, and no held-out paragraph also occurs in the training part.
- **Labelled sets with dev and test files** (Resume NER, CLUENER2020): the training file only.
- **Labelled sets of one file** (MSRA NER, ChnSentiCorp, waimai_10k, online_shopping_10_cats): the training part
  of the split ``zhbert train`` makes with ``--validation_split_percentage 10 --test_split_percentage 10
  --split_seed 42``, so a model fine-tuned with those flags is scored on text the base never saw.
- Any training text equal to a held-out one (after removing whitespace) is dropped.

    python -m zhbert_demo.base_corpus [--shared ../shared/data] [--out runs/base-corpus]

writes ``train.txt`` (one paragraph per line, a blank line between documents: ``wwm-pretrain``'s .txt format),
``heldout_legal.txt`` (the held-out laws, same format) and ``corpus.json`` (sources, counts, what was held out).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wwm_pretrain.splits import (
    DEV_PERCENT,
    HELDOUT_LAW_PERCENT,
    SPLIT_SEED,
    TEST_PERCENT,
    heldout_laws,
    law_key,
    squash,
)
from zhbert.data import read_cls_file, read_ner_file, split_examples
from zhbert.errors import MissingFileError
from zhbert.text.files import atomic_write

__all__ = ["CorpusParts", "build_base_corpus", "main"]

# Reviews and NER sentences are short and unrelated: this many go into one pseudo-document.
REVIEWS_PER_DOCUMENT = 20


@dataclass
class CorpusParts:
    """Documents (lists of paragraphs) for training and held out, and counts per source."""

    train: list[list[str]] = field(default_factory=list)
    heldout_legal: list[list[str]] = field(default_factory=list)
    sources: dict[str, dict[str, int]] = field(default_factory=dict)


def _legal_documents(folder: Path) -> tuple[list[str], list[list[str]]]:
    corpus, listing = folder / "law_corpus.txt", folder / "doc_list.tsv"
    for path in (corpus, listing):
        if not path.is_file():
            raise MissingFileError(f"the legal corpus needs {path}")
    documents = [doc.split("\n") for doc in corpus.read_text(encoding="utf-8").strip("\n").split("\n\n")]
    names = [line.split("\t")[0] for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(names) != len(documents):
        raise MissingFileError(f"{listing} lists {len(names)} documents but {corpus} holds {len(documents)}")
    return names, documents


def _reviews(texts: Iterable[str]) -> list[list[str]]:
    items = [t.strip() for t in texts if t.strip()]
    return [items[i : i + REVIEWS_PER_DOCUMENT] for i in range(0, len(items), REVIEWS_PER_DOCUMENT)]


def build_base_corpus(shared: Path) -> CorpusParts:
    """Read every source under ``shared`` (``../shared/data``) and split it as the module says."""
    parts = CorpusParts()
    heldout: set[str] = set()
    train_sets: list[tuple[str, list[list[str]]]] = []

    names, documents = _legal_documents(shared / "law_corpus_zh")
    held_laws = heldout_laws(law_key(n) for n in names)
    legal_train = [d for n, d in zip(names, documents, strict=True) if law_key(n) not in held_laws]
    parts.heldout_legal = [d for n, d in zip(names, documents, strict=True) if law_key(n) in held_laws]
    heldout.update(squash(p) for d in parts.heldout_legal for p in d)
    train_sets.append(("law_corpus_zh", legal_train))

    for name, train_file in (("resume_ner", "train.char.bmes"), ("cluener2020", "train.json")):
        examples, _ = read_ner_file(shared / name / train_file, fix_tags=True)
        train_sets.append((name, _reviews(e.text for e in examples)))
        for other in ("dev", "test"):
            for path in (shared / name).glob(f"{other}.*"):
                heldout.update(squash(e.text) for e in read_ner_file(path, fix_tags=True)[0])

    msra, _ = read_ner_file(shared / "msra_ner" / "train.char.bio", fix_tags=True)
    ner_train, ner_dev, ner_test = split_examples(msra, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)
    heldout.update(squash(e.text) for e in ner_dev + ner_test)
    train_sets.append(("msra_ner", _reviews(e.text for e in ner_train)))

    reviews = {
        "chnsenticorp_htl": shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv",
        "waimai_10k": shared / "waimai_10k" / "waimai_10k.csv",
        "online_shopping_10_cats": shared / "online_shopping_10_cats" / "online_shopping_10_cats.csv",
    }
    for name, path in reviews.items():
        rows = read_cls_file(path, text_column="review").examples
        train, dev, test = split_examples(rows, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)
        heldout.update(squash(e.text) for e in dev + test)
        train_sets.append((name, _reviews(e.text for e in train)))

    for name, docs in train_sets:
        kept = [[p for p in doc if p.strip() and squash(p) not in heldout] for doc in docs]
        kept = [doc for doc in kept if doc]
        dropped = sum(len(d) for d in docs) - sum(len(d) for d in kept)
        parts.train.extend(kept)
        parts.sources[name] = {
            "documents": len(kept),
            "paragraphs": sum(len(d) for d in kept),
            "characters": sum(len(p) for d in kept for p in d),
            "dropped_as_heldout": dropped,
        }
    parts.sources["law_corpus_zh (held out)"] = {
        "laws": len(held_laws),
        "documents": len(parts.heldout_legal),
        "paragraphs": sum(len(d) for d in parts.heldout_legal),
        "characters": sum(len(p) for d in parts.heldout_legal for p in d),
    }
    return parts


def _documents_text(documents: Sequence[Sequence[str]]) -> str:
    return "\n\n".join("\n".join(doc) for doc in documents) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from zhbert.cli import ArgumentParser, option_strings, run_cli

    parser = ArgumentParser(prog="python -m zhbert_demo.base_corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default="../shared/data", help="the shared data folder")
    parser.add_argument("--out", default="runs/base-corpus", help="where train.txt and heldout_legal.txt go")

    def run() -> int:
        args = parser.parse_args(argv)
        parts = build_base_corpus(Path(args.shared))
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        split = {"dev_percent": DEV_PERCENT, "test_percent": TEST_PERCENT, "seed": SPLIT_SEED}
        summary = {"split": split, "heldout_law_percent": HELDOUT_LAW_PERCENT, "sources": parts.sources}
        files = {
            "train.txt": _documents_text(parts.train),
            "heldout_legal.txt": _documents_text(parts.heldout_legal),
            "corpus.json": json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
        }
        for name, text in files.items():
            with atomic_write(out / name) as handle:
                handle.write(text)
        for name, counts in parts.sources.items():
            print(f"{name:28s} {json.dumps(counts, ensure_ascii=False)}")
        return 0

    return run_cli("base_corpus", run, option_strings(parser))


if __name__ == "__main__":
    raise SystemExit(main())
