"""The study's model runs: one continued-pretraining run per scheme and domain, then its fine-tunes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..arguments import DataArguments, ModelArguments
from ..cloze import heldout_cloze
from ..stages import is_main
from .config import PRETRAIN_SEED, USER_DICTS, StudyConfig
from .data import task_files

__all__ = ["finetune_scheme", "pretrain_scheme"]


def pretrain_scheme(
    base: Path, data: Path, model_dir: Path, scheme: str, domain: str, cfg: StudyConfig, ltp_model: Path, prepared: Path
) -> dict[str, Any]:
    """One continued-pretraining run with ``wwm_pretrain.pretrain``; its curve, and the fixed-mask cloze test."""
    import torch

    from zhbert.models import PrecisionTrainingArguments

    from ..run import pretrain

    segmenter = {"char": "char", "ltp": "ltp"}.get(scheme, "jieba")
    data_args = DataArguments(
        train_file=str(data / "corpus.txt"),
        validation_file=str(data / "cloze.txt"),
        max_seq_length=cfg.max_seq_length,
        segmenter=segmenter,
        user_dict=str(USER_DICTS[domain]) if scheme == "jieba_dict" else None,
        ltp_model=str(ltp_model) if scheme == "ltp" else None,
        max_ngram=cfg.max_ngram if scheme == "ngram" else 1,
        prepared_cache_dir=str(prepared),
        max_eval_samples=cfg.max_eval_samples,
    )
    model_args = ModelArguments(
        model_name_or_path=str(base), attn_implementation=None if torch.cuda.is_available() else "eager"
    )
    training_args = PrecisionTrainingArguments(
        output_dir=str(model_dir), max_steps=cfg.pretrain_steps, per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=64, learning_rate=cfg.learning_rate, warmup_steps=cfg.warmup_steps,
        weight_decay=0.01, adam_beta2=0.98, eval_strategy="steps", eval_steps=cfg.eval_steps, save_strategy="steps",
        save_steps=cfg.eval_steps, save_total_limit=1, logging_steps=max(1, cfg.eval_steps // 2), seed=PRETRAIN_SEED,
        report_to="none", resume_from_checkpoint="latest", disable_tqdm=True,
    )  # fmt: skip
    metrics = pretrain(model_args, data_args, training_args)
    if not is_main():  # only the first process writes the log history, the cloze test is its alone too
        return {"metrics": metrics, "curve": [], "bf16": bool(training_args.bf16)}
    state = json.loads((model_dir / "trainer_state.json").read_text(encoding="utf-8"))
    curve = [
        {k: entry[k] for k in ("step", "num_input_tokens_seen", "loss", "eval_loss", "eval_masked_accuracy",
                               "eval_cloze_accuracy", "eval_cloze_loss") if k in entry}
        for entry in state["log_history"]
    ]  # fmt: skip
    result: dict[str, Any] = {"metrics": metrics, "curve": curve, "bf16": bool(training_args.bf16)}
    result["cloze"] = heldout_cloze(model_dir, data / "cloze.txt")
    for checkpoint in model_dir.glob("checkpoint-*"):
        shutil.rmtree(checkpoint, ignore_errors=True)
    return result


def finetune_scheme(model: Path, data: Path, task: str, out_dir: Path, seed: int, cfg: StudyConfig) -> dict[str, Any]:
    """One fine-tune of ``model`` on ``task`` with ``seed``; the scores kept, the model removed."""
    from zhbert.finetune import FinetuneArguments, TaskArguments, finetune

    files = task_files(data, task)
    if is_main():
        shutil.rmtree(out_dir, ignore_errors=True)  # what an interrupted run left
    args = TaskArguments(
        model_name_or_path=str(model), train_file=str(files["train"]), validation_file=str(files["dev"]),
        test_file=str(files["test"]), text_column="text", max_seq_length=cfg.finetune_max_seq_length,
        early_stopping_patience=2,
    )  # fmt: skip
    training_args = FinetuneArguments(
        output_dir=str(out_dir), seed=seed, num_train_epochs=cfg.finetune_epochs,
        per_device_train_batch_size=cfg.finetune_batch_size, per_device_eval_batch_size=64,
        learning_rate=cfg.finetune_learning_rate, warmup_steps=0.06, weight_decay=0.01, report_to="none",
        disable_tqdm=True, logging_steps=50, save_total_limit=1, train_sampling_strategy="group_by_length",
    )  # fmt: skip
    metrics = finetune("classify", args, training_args, command=f"benchmarks/wwm_study.py ({task}, seed {seed})")
    if is_main():
        shutil.rmtree(out_dir, ignore_errors=True)
    keys = ("eval_accuracy", "eval_macro_f1", "test_accuracy", "test_macro_f1", "train_runtime")
    return {k: float(metrics[k]) for k in keys if k in metrics}
