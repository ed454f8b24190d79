"""The NER side of ``zhbert train``: read spans, build BIOES features, and evaluate with strict IOBES seqeval
through the same ``EntityTagger`` path that serves predictions."""

from __future__ import annotations

from typing import Any

from .inference import EntityTagger
from .metrics import ner_metrics
from .ner_data import NerExample, read_ner_file
from .ner_features import ner_features
from .tags import bioes_labels
from .train_base import ApiEvalTrainer, Setup

__all__ = ["NerTrainer", "setup_ner"]


class NerTrainer(ApiEvalTrainer):
    """Evaluates by decoding whole sentences (BIOES Viterbi, CRF if any) and scoring spans with seqeval."""

    def score(self, examples: list[NerExample]) -> tuple[dict[str, float], Any]:
        tagger = EntityTagger(self.model, self.processing_class, device=self.args.device)
        texts = [e.text for e in examples]
        predicted = tagger.predict(texts, batch_size=self.args.per_device_eval_batch_size)
        scores = ner_metrics(
            texts, [e.spans for e in examples], [[(x.start, x.end, x.type) for x in p] for p in predicted]
        )
        return {k: scores[k] for k in ("f1", "precision", "recall", "macro_f1")}, scores["per_type"]


def _check_types(examples: list[NerExample], known: set[str]) -> None:
    for example in examples:
        for _, _, kind in example.spans:
            if kind not in known:
                types = ", ".join(sorted(known))
                raise ValueError(f"{example.source}: entity type {kind!r} is not among the training types ({types})")


def setup_ner(args: Any, tokenizer: Any, splits: Any) -> Setup:
    import datasets
    from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

    from .modeling import add_crf

    def read(path: str) -> list[NerExample]:
        return read_ner_file(path, scheme=args.scheme, fix_tags=args.fix_tags)[0]

    train, dev, test = splits(args, read)
    types = sorted({kind for e in train for _, _, kind in e.spans})
    if not types:
        raise ValueError(f"{args.train_file}: the training data has no entities")
    _check_types(dev, set(types))
    _check_types(test, set(types))
    labels = bioes_labels(types)
    label2id = {label: i for i, label in enumerate(labels)}
    model = AutoModelForTokenClassification.from_pretrained(
        args.model_name_or_path,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id=label2id,
        ignore_mismatched_sizes=True,
    )
    model.config.zhbert_task = "ner"
    model.config.zhbert_max_length = args.max_seq_length
    if args.crf:
        add_crf(model)
    features = ner_features(
        [e.text for e in train], [e.spans for e in train], tokenizer, label2id, max_length=args.max_seq_length
    )
    dataset = datasets.Dataset.from_list(features)
    collator = DataCollatorForTokenClassification(tokenizer)
    return Setup(train, dev, test, labels, "f1", NerTrainer, model, dataset, collator, tokenizer)
