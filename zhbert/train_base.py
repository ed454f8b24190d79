"""What the two fine-tuning tasks share: the prepared setup, and a ``Trainer`` that evaluates through the
same Python API that serves predictions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transformers import Trainer

__all__ = ["ApiEvalTrainer", "Setup"]


class ApiEvalTrainer(Trainer):
    """Evaluates examples (not features) with ``score``; detailed reports are kept in ``reports``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reports: dict[str, Any] = {}

    def score(self, examples: list[Any]) -> tuple[dict[str, float], Any]:
        """(headline metrics, detailed report) for ``examples``."""
        raise NotImplementedError

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


@dataclass
class Setup:
    """A task ready to train: its examples, labels, headline metric, and what the trainer is made of."""

    train: list[Any]
    dev: list[Any]
    test: list[Any]
    labels: list[str]
    metric: str
    trainer_class: type[ApiEvalTrainer]
    model: Any
    dataset: Any
    collator: Any
    tokenizer: Any

    def make_trainer(self, training_args: Any, callbacks: list[Any]) -> ApiEvalTrainer:
        return self.trainer_class(
            model=self.model,
            args=training_args,
            train_dataset=self.dataset,
            eval_dataset=self.dev or None,
            data_collator=self.collator,
            processing_class=self.tokenizer,
            callbacks=callbacks,
        )
