"""The classification side of ``zhbert train``: read labelled texts, fine-tune a sequence classifier, and
evaluate accuracy and macro-F1 through the same ``TextClassifier`` path that serves predictions."""

from __future__ import annotations

from typing import Any

from .cls_data import ClsExample, read_cls_file
from .inference import TextClassifier
from .metrics import classification_metrics
from .train_base import ApiEvalTrainer, Setup

__all__ = ["ClsTrainer", "setup_classify"]


class ClsTrainer(ApiEvalTrainer):
    """Evaluates with ``TextClassifier``: accuracy and macro-F1. Soft labels (a probability per label) train with
    cross-entropy against the whole distribution."""

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        labels = inputs.get("labels")
        if labels is None or not labels.is_floating_point():
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
        loss = -(labels * outputs.logits.float().log_softmax(-1)).sum(-1).mean()
        return (loss, outputs) if return_outputs else loss

    def score(self, examples: list[ClsExample]) -> tuple[dict[str, float], Any]:
        classifier = TextClassifier(self.model, self.processing_class, device=self.args.device)
        pairs = [e.text_pair or "" for e in examples] if any(e.text_pair for e in examples) else None
        predicted = classifier.predict(
            [e.text for e in examples], batch_size=self.args.per_device_eval_batch_size, text_pairs=pairs
        )
        scores = classification_metrics([e.label for e in examples], [p.label for p in predicted])
        return {k: scores[k] for k in ("accuracy", "macro_f1")}, scores["per_label"]


def _label_order(labels: set[str]) -> list[str]:
    if all(label.lstrip("-").isdigit() for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def setup_classify(args: Any, tokenizer: Any, splits: Any) -> Setup:
    import datasets
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding

    def read(path: str) -> list[ClsExample]:
        return read_cls_file(
            path, text_column=args.text_column, text_pair_column=args.text_pair_column, label_column=args.label_column
        ).examples

    train, dev, test = splits(args, read)
    labels = _label_order({e.label for e in train} | {name for e in train for name, _ in e.label_probs or ()})
    known = set(labels)
    for example in [*dev, *test]:
        if example.label not in known:
            raise ValueError(f"{example.source}: label {example.label!r} is not among the training labels {labels}")
    label2id = {label: i for i, label in enumerate(labels)}
    model = AutoModelForSequenceClassification.from_pretrained(
        args.model_name_or_path,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id=label2id,
        ignore_mismatched_sizes=True,
    )
    model.config.zhbert_task = "classify"
    model.config.zhbert_max_length = args.max_seq_length
    pairs = [e.text_pair for e in train] if any(e.text_pair for e in train) else None
    enc = tokenizer([e.text for e in train], pairs, truncation=True, max_length=args.max_seq_length)
    targets: list[Any] = [label2id[e.label] for e in train]
    if any(e.label_probs for e in train):  # soft labels: every row becomes a distribution over the labels
        targets = [[0.0] * len(labels) for _ in train]
        for row, e in zip(targets, train, strict=True):
            for name, p in e.label_probs or ((e.label, 1.0),):
                row[label2id[name]] += p
    dataset = datasets.Dataset.from_dict({**enc, "labels": targets})
    collator = DataCollatorWithPadding(tokenizer)
    return Setup(train, dev, test, labels, "accuracy", ClsTrainer, model, dataset, collator, tokenizer)
