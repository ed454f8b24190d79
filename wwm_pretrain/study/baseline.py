"""The bag-of-n-grams baseline: sublinear TF-IDF over character unigrams and bigrams and a logistic regression
(scikit-learn, ``pip install zhbert[study]``), its strength chosen on dev. It tells how much of a task a model
without pretraining learns; ``benchmarks/recipes/ngram_teacher.py`` uses it as a teacher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..splits import squash

__all__ = ["NgramBaseline", "NgramModel", "baseline_stage", "fit_ngram", "fit_ngram_baseline"]

STRENGTHS = (1.0, 10.0, 100.0)  # the inverse L2 strengths tried on dev


@dataclass(frozen=True)
class NgramBaseline:
    """Test scores of the TF-IDF character 1-2-gram logistic regression, and the strength chosen on dev."""

    accuracy: float
    macro_f1: float
    dev_accuracy: float
    C: float
    features: int


@dataclass(frozen=True)
class NgramModel:
    """A fitted n-gram model: the vectorizer, the regression, its strength ``C`` and its dev accuracy."""

    vectorizer: Any
    model: Any
    C: float
    dev_accuracy: float

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels, in the order of the columns of ``probabilities``."""
        return tuple(str(label) for label in self.model.classes_)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        return [str(label) for label in self.model.predict(self._features(texts))]

    def probabilities(self, texts: Sequence[str]) -> list[list[float]]:
        """Each text's probability of each label (in the order of ``labels``)."""
        return [[float(p) for p in row] for row in self.model.predict_proba(self._features(texts))]

    def _features(self, texts: Sequence[str]) -> Any:
        return self.vectorizer.transform([squash(t) for t in texts])


def _sklearn() -> tuple[Any, Any]:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as error:  # pragma: no cover - the extra is installed in development
        raise ImportError("the n-gram baseline needs scikit-learn: pip install zhbert[study]") from error
    return TfidfVectorizer, LogisticRegression


def fit_ngram(train: Sequence[tuple[str, str]], dev: Sequence[tuple[str, str]]) -> NgramModel:
    """Sublinear TF-IDF over character unigrams and bigrams (whitespace removed, seen in 2+ training texts) and a
    multinomial logistic regression (L2), its strength ``C`` chosen on dev accuracy (ties: the stronger
    regularisation). Rows are (label, text) pairs."""
    from zhbert.finetune.metrics import classification_metrics

    tfidf, regression = _sklearn()
    vectorizer = tfidf(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=False)
    x_train = vectorizer.fit_transform([squash(t) for _, t in train])
    x_dev = vectorizer.transform([squash(t) for _, t in dev])
    y_train = [label for label, _ in train]
    fits = []
    for c in STRENGTHS:
        model = regression(C=c, max_iter=2000).fit(x_train, y_train)
        dev_scores = classification_metrics([label for label, _ in dev], list(model.predict(x_dev)))
        fits.append((dev_scores["accuracy"], -c, model))
    dev_accuracy, neg_c, best = max(fits, key=lambda f: (f[0], f[1]))
    return NgramModel(vectorizer, best, -neg_c, dev_accuracy)


def fit_ngram_baseline(
    train: Sequence[tuple[str, str]], dev: Sequence[tuple[str, str]], test: Sequence[tuple[str, str]]
) -> NgramBaseline:
    """``fit_ngram`` on train and dev, scored once on test. Rows are (label, text) pairs."""
    from zhbert.finetune.metrics import classification_metrics

    fitted = fit_ngram(train, dev)
    scores = classification_metrics([label for label, _ in test], fitted.predict([t for _, t in test]))
    features = len(fitted.vectorizer.vocabulary_)
    return NgramBaseline(scores["accuracy"], scores["macro_f1"], fitted.dev_accuracy, fitted.C, features)


def baseline_stage(files: dict[str, Path]) -> dict[str, Any]:
    """The study's baseline stage: the baseline on a task's train, dev and test files (``data.task_files``)."""
    from .data import read_task

    return asdict(fit_ngram_baseline(*(read_task(files[p]) for p in ("train", "dev", "test"))))
