"""The fine-tuning ``Trainer``: it evaluates through the same Python API that serves predictions, trains on
soft labels where the data has them, and batches by length in random order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
from transformers import Trainer

if TYPE_CHECKING:
    from .task import Task

__all__ = ["ApiEvalTrainer", "LengthBuckets"]


class LengthBuckets(torch.utils.data.Sampler[int]):
    """Batches of examples of similar length, in random order: the examples are shuffled, cut into groups of
    ``50 * batch_size``, sorted by length within each group and cut into batches, and then the batches are
    shuffled (a short last batch goes last, so every batch the loader cuts is one of these).

    transformers' ``LengthGroupedSampler`` keeps each group's batches in descending length order, so every 50th
    step ends a run of the shortest texts. When length goes with the label (long reviews are more often
    complaints), the weights drift with it and a checkpoint taken at such a step is skewed.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, group_batches: int = 50) -> None:
        self.lengths, self.batch_size, self.seed, self.group_batches = list(lengths), batch_size, seed, group_batches
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(self.lengths), generator=generator).tolist()
        size = self.batch_size * self.group_batches
        batches = []
        for start in range(0, len(order), size):
            group = sorted(order[start : start + size], key=self.lengths.__getitem__)
            batches += [group[i : i + self.batch_size] for i in range(0, len(group), self.batch_size)]
        short = [b for b in batches if len(b) < self.batch_size]
        full = [b for b in batches if len(b) == self.batch_size]
        for i in torch.randperm(len(full), generator=generator).tolist():
            yield from full[i]
        for batch in short:
            yield from batch


class ApiEvalTrainer(Trainer):
    """Evaluates examples (not features) with the task's ``score``; detailed reports are kept in ``reports``.

    Float labels (a probability per label, e.g. a teacher's soft labels) train with cross-entropy against the
    whole distribution. ``class_weights`` (one per label, classification) weigh the loss as
    ``zhbert.finetune.class_weight`` describes, for hard and soft labels alike.
    """

    def __init__(self, *args: Any, task: Task, class_weights: Sequence[float] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task = task
        self.class_weights = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float32)
        self.reports: dict[str, Any] = {}

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        labels = inputs.get("labels")
        if labels is None or (self.class_weights is None and not labels.is_floating_point()):
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
        log_probs = outputs.logits.float().log_softmax(-1)  # (B, C)
        if not labels.is_floating_point():
            labels = torch.nn.functional.one_hot(labels, log_probs.shape[-1])
        if self.class_weights is None:
            loss = -(labels * log_probs).sum(-1).mean()
        else:  # CrossEntropyLoss(weight=w)'s weighted mean; a soft row weighs sum_c p_c * w[c]
            weighted = labels * self.class_weights.to(log_probs.device)  # (B, C)
            loss = -(weighted * log_probs).sum() / weighted.sum()
        return (loss, outputs) if return_outputs else loss

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        """``--train_sampling_strategy group_by_length`` gives :class:`LengthBuckets` (batches in random order)."""
        dataset: Any = train_dataset if train_dataset is not None else self.train_dataset
        if self.args.train_sampling_strategy != "group_by_length" or "input_ids" not in getattr(
            dataset, "column_names", ()
        ):
            return super()._get_train_sampler(train_dataset)
        lengths = [len(ids) for ids in dataset["input_ids"]]
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return LengthBuckets(lengths, self.args.train_batch_size, seed)

    def score(self, examples: list[Any]) -> tuple[dict[str, float], Any]:
        """(headline metrics, detailed report) for ``examples``, from the model as it is now.

        The model keeps its own float type: the predictor never casts the weights being trained (a bf16 run's
        master weights stay float32, and are scored as such)."""
        assert self.model is not None
        dtype = next(self.model.parameters()).dtype
        predictor = self.task.predictor(self.model, self.processing_class, device=self.args.device, dtype=dtype)
        scores = self.task.score(predictor, examples, batch_size=self.args.per_device_eval_batch_size)
        return {k: scores[k] for k in self.task.headline}, scores[self.task.report_key]

    def evaluate(
        self, eval_dataset: Any = None, ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval"
    ) -> dict[str, float]:
        examples = eval_dataset if eval_dataset is not None else self.eval_dataset
        scores, report = self.score(list(examples))  # type: ignore[arg-type]
        metrics = {f"{metric_key_prefix}_{k}": float(v) for k, v in scores.items()}
        self.reports[metric_key_prefix] = report
        self.log(dict(metrics))
        if metric_key_prefix == "eval":  # a final test evaluation is not a step of the training run
            self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics
