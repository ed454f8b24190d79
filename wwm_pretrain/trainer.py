"""``Trainer`` for continued pretraining: evaluation over masked tokens (loss, perplexity, top-1 accuracy),
checkpoints marked complete only once fully written, and optional per-batch hashes for checking data order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer

from zhbert.mlm import WholeWordMaskCollator

__all__ = ["COMPLETE_MARKER", "WwmTrainer", "complete_checkpoints", "latest_complete_checkpoint"]

logger = logging.getLogger(__name__)
COMPLETE_MARKER = "zhbert-checkpoint-complete.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def _checkpoints(output_dir: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and child.is_dir():
            found.append((int(match.group(1)), child))
    return sorted(found)


def complete_checkpoints(output_dir: str | os.PathLike[str]) -> list[Path]:
    """Checkpoints whose writing finished, oldest first."""
    return [path for _, path in _checkpoints(output_dir) if (path / COMPLETE_MARKER).is_file()]


def latest_complete_checkpoint(output_dir: str | os.PathLike[str]) -> Path | None:
    """The newest checkpoint that was completely written; half-written ones are never taken."""
    done = complete_checkpoints(output_dir)
    return done[-1] if done else None


def remove_incomplete_checkpoints(output_dir: str | os.PathLike[str]) -> list[Path]:
    removed = []
    for _, path in _checkpoints(output_dir):
        if not (path / COMPLETE_MARKER).is_file():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _write_marker(folder: Path, step: int) -> None:
    tmp = folder / (COMPLETE_MARKER + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump({"global_step": step}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / COMPLETE_MARKER)


class WwmTrainer(Trainer):
    """A ``Trainer`` whose model returns the masked-only loss (see ``with_sparse_mlm_loss``)."""

    def __init__(self, *args: Any, record_batch_hashes: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hash_path: Path | None = None
        if record_batch_hashes:
            rank = self.args.process_index
            self._hash_path = Path(str(self.args.output_dir)) / f"batch_hashes-rank{rank}.txt"

    def compute_loss(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if self._hash_path is not None and model.training:
            digest = hashlib.sha1()
            for key in ("input_ids", "labels"):
                digest.update(inputs[key].detach().cpu().numpy().tobytes())
            self._hash_path.parent.mkdir(parents=True, exist_ok=True)
            with self._hash_path.open("a", encoding="utf-8") as handle:
                handle.write(f"{self.state.global_step + 1} {digest.hexdigest()}\n")
        return super().compute_loss(model, inputs, *args, **kwargs)

    def evaluate(
        self, eval_dataset: Any = None, ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval"
    ) -> dict[str, float]:
        """Metrics of the held-out blocks, with the masks of training (the collator's words, 80/10/10):
        loss per masked token, perplexity, and ``masked_accuracy``, top-1 accuracy over all masked positions,
        the 20% kept or replaced at random included. And the cloze test, single tokens masked and every one
        replaced by [MASK]: ``cloze_accuracy`` and ``cloze_loss``, what a user sees when filling a [MASK].

        Masks are drawn from the collator's seed and each block's index, so every evaluation sees the same ones.
        """
        model = self.model
        assert model is not None
        was_training = model.training
        model.eval()
        totals = self._masked_quality(self.get_eval_dataloader(eval_dataset))
        cloze = None
        if isinstance(self.data_collator, WholeWordMaskCollator):
            # A loader of its own: Trainer may hand back its cached evaluation loader, with the training collator.
            dataset: Any = eval_dataset if eval_dataset is not None else self.eval_dataset
            loader = torch.utils.data.DataLoader(
                dataset,
                batch_size=self.args.eval_batch_size,
                collate_fn=dataclasses.replace(
                    self.data_collator, mask_replace_prob=1.0, random_replace_prob=0.0, single_tokens=True
                ),
                num_workers=self.args.dataloader_num_workers,
            )
            cloze = self._masked_quality(self.accelerator.prepare(loader))
        model.train(was_training)
        count = float(totals[2])
        if count == 0:
            logger.warning("The evaluation set has no maskable tokens: its metrics are undefined (NaN)")
        loss = float(totals[0]) / count if count else math.nan
        metrics = {
            f"{metric_key_prefix}_loss": loss,
            "perplexity" if metric_key_prefix == "eval" else f"{metric_key_prefix}_perplexity": math.exp(min(loss, 50)),
            f"{metric_key_prefix}_masked_accuracy": float(totals[1]) / count if count else math.nan,
            f"{metric_key_prefix}_masked_tokens": float(totals[2]),
        }
        if cloze is not None:
            n = float(cloze[2])
            metrics[f"{metric_key_prefix}_cloze_loss"] = float(cloze[0]) / n if n else math.nan
            metrics[f"{metric_key_prefix}_cloze_accuracy"] = float(cloze[1]) / n if n else math.nan
        self.log(dict(metrics))
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics

    def _masked_quality(self, dataloader: Any) -> torch.Tensor:
        """(loss sum, correct, masked) over the masked positions of ``dataloader``'s batches, all processes."""
        model = self.model
        assert model is not None
        totals = torch.zeros(3, dtype=torch.float64, device=self.args.device)
        with torch.no_grad():
            for batch in dataloader:
                batch = self._prepare_inputs(batch)
                with self.compute_loss_context_manager():
                    out = model(**batch)
                targets = batch["labels"][batch["labels"] != -100]
                n = targets.numel()
                if n:
                    totals[0] += out.loss.double() * n
                    totals[1] += (out.logits.argmax(-1) == targets).sum()
                    totals[2] += n
        return self.accelerator.reduce(totals, reduction="sum")

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        super()._save_checkpoint(model, trial)
        # Every process has written its part (RNG state included) before the checkpoint counts as complete.
        self.accelerator.wait_for_everyone()
        if self.args.should_save:
            folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
            _write_marker(folder, self.state.global_step)
        self.accelerator.wait_for_everyone()
