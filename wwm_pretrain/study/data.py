"""The study's data, built from the shared data folder: the legal task (branch of law of a paragraph, split by
law) and the review tasks, each domain's continued-pretraining corpus and cloze text, in ``OUT/data/DOMAIN``.

Everything here is a pure function of the shared data folder's files and fixed seeds.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zhbert.data import read_cls_file, split_examples
from zhbert.text.files import atomic_write

from ..splits import DEV_PERCENT, SPLIT_SEED, TEST_PERCENT, squash
from . import legal
from .config import DATA_SEED, TASKS, StudyConfig

__all__ = [
    "build_legal",
    "build_reviews",
    "data_complete",
    "read_task",
    "review_split",
    "task_files",
    "write_documents",
    "write_examples",
]


def write_examples(path: Path, rows: Sequence[tuple[str, str]]) -> None:
    """A ``label,text`` CSV, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "text"])
        writer.writerows(rows)


def read_task(path: Path) -> list[tuple[str, str]]:
    """The (label, text) rows of a CSV that ``write_examples`` wrote."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["label"], row["text"]) for row in csv.DictReader(handle)]


def write_documents(path: Path, documents: Sequence[Sequence[str]]) -> int:
    """``wwm-pretrain``'s .txt format (a paragraph a line, a blank line between documents); returns characters."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        handle.write("\n\n".join("\n".join(doc) for doc in documents) + "\n")
    return sum(len(p) for doc in documents for p in doc)


def review_split(path: Path) -> tuple[list[tuple[str, str]], ...]:
    """(train, dev, test) of ``label,review`` pairs, split as ``zhbert train --validation_split_percentage 10
    --test_split_percentage 10 --split_seed 42`` does (empty reviews are skipped by the reader)."""
    examples = read_cls_file(path, text_column="review").examples
    parts = split_examples(examples, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)
    return tuple([(str(e.label), e.text) for e in part] for part in parts)


def _sample(rows: Sequence[Any], n: int, seed: int = DATA_SEED) -> list[Any]:
    """``n`` of the rows at random, in their original order (all when n is 0 or too large)."""
    if not n or n >= len(rows):
        return list(rows)
    keep = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in keep]


def _capped(documents: Sequence[Sequence[str]], chars: int) -> list[list[str]]:
    """Documents in order until ``chars`` characters (the last one cut at a paragraph); all when 0."""
    kept: list[list[str]] = []
    total = 0
    for doc in documents:
        part = []
        for p in doc:
            if chars and total >= chars:
                break
            part.append(p)
            total += len(p)
        if part:
            kept.append(part)
        if chars and total >= chars:
            break
    return kept


def task_files(data: Path, task: str) -> dict[str, Path]:
    """The train, dev and test CSV files of ``task`` in the domain's data folder."""
    return {part: data / f"{task}_{part}.csv" for part in ("train", "dev", "test")}


def data_complete(data: Path, domain: str) -> bool:
    """Whether the domain's data folder holds every file the study reads."""
    tasks = [f for t in TASKS[domain] for f in task_files(data, t).values()]
    return all(f.is_file() for f in [data / "corpus.txt", data / "cloze.txt", *tasks])


def _write_task(data: Path, task: str, parts: dict[str, list[tuple[str, str]]], cfg: StudyConfig) -> dict[str, Any]:
    sizes = {"train": cfg.train_examples, "dev": cfg.dev_examples, "test": cfg.test_examples}
    counts: dict[str, Any] = {}
    for part, rows in parts.items():
        used = _sample(rows, sizes[part])
        write_examples(task_files(data, task)[part], used)
        counts[part] = {
            "all": dict(Counter(label for label, _ in rows)),
            "used": dict(Counter(label for label, _ in used)),
        }
    return counts


def build_legal(shared: Path, data: Path, cfg: StudyConfig) -> dict[str, Any]:
    """The legal task (branch of law of a paragraph, split by law), its leakage check, and the corpora."""
    docs = legal.read_law_documents(shared / "law_corpus_zh")
    base_held = legal.base_heldout_laws(docs)
    split = legal.split_laws(docs, seed=DATA_SEED, heldout_first=base_held)
    leak = legal.leakage(docs, split.splits)
    kept = set(split.kept_branches)
    train_paragraphs = {
        squash(p) for d, s in zip(docs, split.splits, strict=True) if s == "train" for p in d.paragraphs
    }
    parts: dict[str, list[tuple[str, str]]] = {"train": [], "dev": [], "test": []}
    dropped_equal = 0
    for doc, part in zip(docs, split.splits, strict=True):
        if part not in parts or doc.branch not in kept:
            continue
        for p in doc.paragraphs:
            if part != "train" and squash(p) in train_paragraphs:
                dropped_equal += 1  # boilerplate also in training: a free answer, not a test
                continue
            parts[part].append((doc.branch, p))
    counts = _write_task(data, "legal_branch", parts, cfg)
    order = list(range(len(docs)))
    random.Random(DATA_SEED).shuffle(order)
    corpus = [list(docs[i].paragraphs) for i in order if split.splits[i] in ("train", "dropped")]
    cloze = [list(docs[i].paragraphs) for i in order if split.splits[i] == "dev"]
    test_docs = [d for d, s in zip(docs, split.splits, strict=True) if s == "test"]
    return {
        "documents": len(docs),
        "laws": len({d.law for d in docs}),
        "split_counts": {s: n for s, n in sorted(Counter(split.splits).items())},
        "groups": len(set(split.groups)),
        "joined_by_overlap": split.joined_by_overlap,
        "kept_branches": list(split.kept_branches),
        "dropped_branches": split.dropped_branches,
        "merged_branches": legal.MERGED_BRANCHES,
        "class_counts": counts,
        "heldout_paragraphs_dropped_as_equal_to_train": dropped_equal,
        "leakage": leak,
        "test_documents_of_base_heldout_laws": sum(d.law in base_held for d in test_docs),
        "test_documents": len(test_docs),
        "corpus_chars": write_documents(data / "corpus.txt", _capped(corpus, cfg.corpus_chars)),
        "cloze_chars": write_documents(data / "cloze.txt", _capped(cloze, cfg.cloze_chars)),
    }


def build_reviews(shared: Path, data: Path, cfg: StudyConfig) -> dict[str, Any]:
    """ChnSentiCorp and waimai_10k (80/10/10, seed 42), and online_shopping_10_cats as the corpus: its training
    part (the base's too) less any review equal to a dev or test review of the two tasks; its dev part, which
    the base never saw, for the cloze test."""
    chn = review_split(shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv")
    wai = review_split(shared / "waimai_10k" / "waimai_10k.csv")
    shop = review_split(shared / "online_shopping_10_cats" / "online_shopping_10_cats.csv")
    held = {squash(t) for split in (chn, wai) for part in split[1:] for _, t in part}
    corpus = [t for _, t in shop[0] if squash(t) not in held]
    seen = {squash(t) for t in corpus}
    cloze = [t for _, t in shop[1] if squash(t) not in held and squash(t) not in seen]

    def documents(texts: list[str]) -> list[list[str]]:
        return [texts[i : i + 20] for i in range(0, len(texts), 20)]  # short reviews, 20 to a document

    counts = {
        task: _write_task(data, task, dict(zip(("train", "dev", "test"), split, strict=True)), cfg)
        for task, split in (("chnsenticorp", chn), ("waimai", wai))
    }
    return {
        "class_counts": counts,
        "corpus_reviews": len(corpus),
        "corpus_dropped_equal_to_task_heldout": len(shop[0]) - len(corpus),
        "cloze_reviews": len(cloze),
        "corpus_chars": write_documents(data / "corpus.txt", _capped(documents(corpus), cfg.corpus_chars)),
        "cloze_chars": write_documents(data / "cloze.txt", _capped(documents(cloze), cfg.cloze_chars)),
    }
