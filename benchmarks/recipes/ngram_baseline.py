"""A bag-of-character-n-grams reference for the ChnSentiCorp split: TF-IDF over character unigrams and bigrams
and an L2-regularised logistic regression, on exactly the split `zhbert train classify` makes with
`--validation_split_percentage 10 --test_split_percentage 10 --split_seed 42`. The regularisation strength is
chosen on dev; test is scored once. It tells how much of the split a model without pretraining can learn.

    python benchmarks/recipes/ngram_baseline.py [CSV]   (default: $ZHBERT_SHARED_DATA/chnsenticorp_htl/..., where
                                                       ZHBERT_SHARED_DATA defaults to ../shared/data beside the repo)
"""

from __future__ import annotations

import math
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import torch

from zhbert.data import ClsExample, read_cls_file, split_examples


def _grams(text: str) -> list[str]:
    chars = "".join(text.split())
    return list(chars) + [chars[i : i + 2] for i in range(len(chars) - 1)]


def _features(texts: list[str], vocab: dict[str, int], idf: list[float]) -> torch.Tensor:
    """Sparse (N, V) rows of sublinear TF-IDF, each of unit length."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, text in enumerate(texts):
        cells = [
            (vocab[g], (1.0 + math.log(n)) * idf[vocab[g]]) for g, n in Counter(_grams(text)).items() if g in vocab
        ]
        norm = math.sqrt(sum(v * v for _, v in cells)) or 1.0
        rows += [r] * len(cells)
        cols += [c for c, _ in cells]
        vals += [v / norm for _, v in cells]
    return torch.sparse_coo_tensor([rows, cols], vals, (len(texts), len(vocab)), check_invariants=True).coalesce()


def _logits(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(N,) scores of sparse rows ``x`` (N, V) under weights ``w`` (V + 1,), the last entry being the bias."""
    return torch.sparse.mm(x, w[:-1, None]).squeeze(1) + w[-1]


def _fit(x: torch.Tensor, y: torch.Tensor, l2: float) -> torch.Tensor:
    w = torch.zeros(x.shape[1] + 1, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=300, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(_logits(x, w), y) + l2 * (w[:-1] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach()


class NgramClassifier:
    """A fitted binary model: the n-gram vocabulary, its IDF weights and the logistic-regression weights."""

    def __init__(self, vocab: dict[str, int], idf: list[float], weights: torch.Tensor, labels: list[str]) -> None:
        self.vocab, self.idf, self.weights, self.labels = vocab, idf, weights, labels

    def logits(self, texts: list[str]) -> torch.Tensor:
        """(N,) scores; > 0 means ``labels[1]``."""
        return _logits(_features(texts, self.vocab, self.idf), self.weights)

    def proba(self, texts: list[str]) -> torch.Tensor:
        """(N,) probabilities of ``labels[1]``."""
        return torch.sigmoid(self.logits(texts))


def split(path: Path) -> tuple[list[ClsExample], list[ClsExample], list[ClsExample]]:
    """The train, dev and test split that ``zhbert train classify`` makes of ``path`` with
    ``--validation_split_percentage 10 --test_split_percentage 10 --split_seed 42``."""
    examples = read_cls_file(path).examples
    return split_examples(examples, dev_percent=10, test_percent=10, seed=42)


def fit(train: list[ClsExample], dev: list[ClsExample], log: Callable[[str], None] = print) -> NgramClassifier:
    """Fit on ``train`` for each regularisation strength and keep the best on ``dev``."""
    labels = sorted({e.label for e in train})
    if len(labels) != 2:
        raise SystemExit(f"{train[0].source}: the n-gram model is binary; found labels {labels}")
    df = Counter(g for e in train for g in set(_grams(e.text)))
    vocab = {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= 2))}
    idf = [math.log((1 + len(train)) / (1 + df[g])) + 1 for g in vocab]
    x_train, x_dev = (_features([e.text for e in s], vocab, idf) for s in (train, dev))
    log(f"train {len(train)}, dev {len(dev)}; {len(vocab)} character 1-2-grams")
    fits = []
    for l2 in (1e-4, 3e-5, 1e-5, 3e-6):
        w = _fit(x_train, target(train, labels), l2)
        fits.append((accuracy(_logits(x_dev, w), dev, labels), l2, w))
        log(f"l2 {l2:g}: dev accuracy {fits[-1][0]:.4f}")
    best = max(fits, key=lambda fit: fit[0])  # the first of equals: the stronger regularisation
    log(f"chosen on dev: l2 {best[1]:g}")
    return NgramClassifier(vocab, idf, best[2], labels)


def target(examples: list[ClsExample], labels: list[str]) -> torch.Tensor:
    return torch.tensor([float(e.label == labels[1]) for e in examples])


def accuracy(logits: torch.Tensor, examples: list[ClsExample], labels: list[str]) -> float:
    return float(((logits > 0).float() == target(examples, labels)).float().mean())


def main(path: Path) -> None:
    train, dev, test = split(path)
    print(f"{path}: test {len(test)}")
    model = fit(train, dev)
    print(f"test_accuracy {accuracy(model.logits([e.text for e in test]), test, model.labels):.4f}")


if __name__ == "__main__":
    shared = Path(os.environ.get("ZHBERT_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    default = shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
