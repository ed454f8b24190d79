"""The legal task's split by law and its 8-character leakage check: every dated version of one law, and any
document that copies half of another, go to one split; a held-out document that shares half its 8-grams with a
training document is counted as shared across splits.

Everything here is a pure function of the documents and fixed seeds.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhbert.errors import DataError, MissingFileError

from ..splits import heldout_laws, law_key, squash

__all__ = [
    "GRAM",
    "MERGED_BRANCHES",
    "MIN_LAWS",
    "SHARED_THRESHOLD",
    "LawDocument",
    "LegalSplit",
    "base_heldout_laws",
    "document_grams",
    "leakage",
    "read_law_documents",
    "split_laws",
    "window_hashes",
]

GRAM = 8  # characters of the overlap check
SHARED_THRESHOLD = 0.5  # a document sharing half its (non-boilerplate) 8-grams with one other document is a copy
BOILERPLATE_DOCS = 20  # an 8-gram found in more documents than this is formula ("本条例自发布之日起施行")
MIN_LAWS = 10  # a branch with fewer laws (after merging) cannot be split by law into train, dev and test
# Branches too small to split on their own, merged into the branch that contains them.
MERGED_BRANCHES = {"宪法": "宪法相关法", "民法典": "民法商法"}
_MULT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class LawDocument:
    """One document of the legal corpus: its source path in ``LawRefBook/Laws`` and its paragraphs."""

    source: str
    paragraphs: tuple[str, ...]

    @property
    def branch(self) -> str:
        """The branch of law: the top folder, with ``MERGED_BRANCHES`` applied."""
        top = self.source.split("/", 1)[0]
        return MERGED_BRANCHES.get(top, top)

    @property
    def law(self) -> str:
        return law_key(self.source)


def read_law_documents(folder: Path) -> list[LawDocument]:
    """The documents of ``law_corpus.txt`` with their paths from ``doc_list.tsv`` (both in corpus order)."""
    corpus, listing = folder / "law_corpus.txt", folder / "doc_list.tsv"
    for path in (corpus, listing):
        if not path.is_file():
            raise MissingFileError(f"the legal task needs {path}")
    texts = [doc for doc in corpus.read_text(encoding="utf-8").strip("\n").split("\n\n")]
    names = [line.split("\t")[0] for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(names) != len(texts):
        raise DataError(f"{listing} lists {len(names)} documents but {corpus} holds {len(texts)}")
    return [LawDocument(n, tuple(p for p in t.split("\n") if p.strip())) for n, t in zip(names, texts, strict=True)]


def window_hashes(paragraphs: Sequence[str], n: int = GRAM) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every ``n``-character substring of the paragraphs (none across two), and the index of the
    paragraph each comes from."""
    text = "\n".join(squash(p) for p in paragraphs)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    width = len(codes) - n + 1
    hashes = np.zeros(width, dtype=np.uint64)
    for k in range(n):
        hashes = hashes * _MULT + codes[k : k + width]
    breaks = np.concatenate([[0], np.cumsum(codes == 10)])
    whole = breaks[n:] - breaks[:width] == 0  # windows with no paragraph break inside
    return hashes[whole], breaks[:width][whole]


def document_grams(paragraphs: Sequence[str], n: int = GRAM) -> np.ndarray:
    """The distinct 64-bit hashes of the ``n``-character substrings of the paragraphs (none across two)."""
    return np.unique(window_hashes(paragraphs, n)[0])


class _GramIndex:
    """Which documents hold each 8-gram, boilerplate left out; answers each document's best containment."""

    def __init__(self, grams: Sequence[np.ndarray], members: Sequence[int]) -> None:
        counts = Counter[int]()
        for g in grams:
            counts.update(g.tolist())
        self.boilerplate = {h for h, c in counts.items() if c > BOILERPLATE_DOCS}
        self.common = np.array(sorted(self.boilerplate), dtype=np.uint64)
        hashes = [self.clean(grams[i]) for i in members]
        docs = [np.full(len(h), i, dtype=np.int64) for i, h in zip(members, hashes, strict=True)]
        flat = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
        order = np.argsort(flat, kind="stable")
        self.hashes = flat[order]
        self.docs = (np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64))[order]

    def clean(self, grams: np.ndarray) -> np.ndarray:
        return grams[~np.isin(grams, self.common)] if len(self.common) else grams

    def containment(self, grams: np.ndarray, skip: set[int]) -> dict[int, float]:
        """Fraction of ``grams`` (boilerplate removed) found in each indexed document not in ``skip``."""
        grams = self.clean(grams)
        if not len(grams):
            return {}
        lo = np.searchsorted(self.hashes, grams, "left")
        hi = np.searchsorted(self.hashes, grams, "right")
        sizes = hi - lo
        if not sizes.sum():
            return {}
        starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
        rows = starts + np.arange(int(sizes.sum()))
        found = Counter(self.docs[rows].tolist())
        return {d: c / len(grams) for d, c in found.items() if d not in skip}


def base_heldout_laws(documents: Sequence[LawDocument]) -> set[str]:
    """The laws the shipped base model held out of its pretraining (``wwm_pretrain.splits.heldout_laws``)."""
    return heldout_laws(d.law for d in documents)


@dataclass(frozen=True)
class LegalSplit:
    """Where each document went (``train``, ``dev``, ``test`` or ``dropped``), and why groups were joined."""

    splits: tuple[str, ...]
    groups: tuple[int, ...]
    kept_branches: tuple[str, ...]
    dropped_branches: dict[str, int]
    joined_by_overlap: int


def split_laws(documents: Sequence[LawDocument], seed: int = 0, heldout_first: set[str] | None = None) -> LegalSplit:
    """Split the documents by law: every dated version of one law (``law_key``), and any document sharing at
    least ``SHARED_THRESHOLD`` of its 8-grams with another, go to one split. Per branch, 10% of the groups go
    to test and 10% to dev (at least one each); branches with fewer than ``MIN_LAWS`` groups are dropped.
    Groups of ``heldout_first`` laws are drawn first for test and dev (text the shipped base never saw)."""
    parent = list(range(len(documents)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of_law: dict[str, int] = {}
    for i, doc in enumerate(documents):
        parent[find(i)] = find(first_of_law.setdefault(doc.law, i))
    grams = [document_grams(d.paragraphs) for d in documents]
    index = _GramIndex(grams, range(len(documents)))
    joined = 0
    for i in range(len(documents)):
        for j, share in index.containment(grams[i], {i}).items():
            if share >= SHARED_THRESHOLD and find(i) != find(j):
                parent[find(i)] = find(j)
                joined += 1
    groups = [find(i) for i in range(len(documents))]
    members: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    branch_of = {g: Counter(documents[i].branch for i in ms).most_common(1)[0][0] for g, ms in members.items()}
    per_branch = Counter(branch_of.values())
    kept = sorted(b for b, n in per_branch.items() if n >= MIN_LAWS)
    rng = random.Random(seed)
    order = sorted(members)
    rng.shuffle(order)
    preferred = heldout_first or set()
    order.sort(key=lambda g: not any(documents[i].law in preferred for i in members[g]))  # stable: shuffled
    quota = {b: max(1, round(per_branch[b] * 0.1)) for b in kept}
    taken: Counter[tuple[str, str]] = Counter()
    split_of: dict[int, str] = {}
    for g in order:
        branch = branch_of[g]
        if branch not in quota:
            split_of[g] = "dropped"
            continue
        part = next((p for p in ("test", "dev") if taken[branch, p] < quota[branch]), "train")
        taken[branch, part] += 1
        split_of[g] = part
    return LegalSplit(
        splits=tuple(split_of[g] for g in groups),
        groups=tuple(groups),
        kept_branches=tuple(kept),
        dropped_branches={b: n for b, n in sorted(per_branch.items()) if b not in kept},
        joined_by_overlap=joined,
    )


def leakage(documents: Sequence[LawDocument], splits: Sequence[str]) -> dict[str, float]:
    """The 8-character overlap check of a split: for each dev or test document, the largest fraction of its
    8-grams (those in at most ``BOILERPLATE_DOCS`` documents) found in one training document. A document with
    a fraction of ``SHARED_THRESHOLD`` or more is shared across splits. Also counts held-out paragraphs equal
    (whitespace aside) to a training paragraph, and those whose every 8-gram occurs in training."""
    train = [i for i, s in enumerate(splits) if s == "train"]
    held = [i for i, s in enumerate(splits) if s in ("dev", "test")]
    grams = [document_grams(d.paragraphs) for d in documents]
    index = _GramIndex(grams, train)
    best = [max(index.containment(grams[i], set()).values(), default=0.0) for i in held]
    train_paragraphs = {squash(p) for i in train for p in documents[i].paragraphs}
    train_grams = np.unique(np.concatenate([grams[i] for i in train])) if train else np.zeros(0, np.uint64)
    held_paragraphs = [p for i in held for p in documents[i].paragraphs]
    equal = sum(squash(p) in train_paragraphs for p in held_paragraphs)
    windows, paragraph = window_hashes(held_paragraphs)
    misses = np.bincount(paragraph[~np.isin(windows, train_grams)], minlength=len(held_paragraphs))
    sizes = np.bincount(paragraph, minlength=len(held_paragraphs))
    covered = int(((misses == 0) & (sizes > 0)).sum())
    return {
        "heldout_documents": len(held),
        "shared_documents": sum(b >= SHARED_THRESHOLD for b in best),
        "max_document_overlap": max(best, default=0.0),
        "documents_over_0.2": sum(b >= 0.2 for b in best),
        "heldout_paragraphs": len(held_paragraphs),
        "paragraphs_equal_to_train": equal,
        "paragraphs_8gram_covered_by_train": covered,
    }
