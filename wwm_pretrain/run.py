"""Domain-adaptive continued pretraining of a Chinese BERT with whole-word masking.

    wwm-pretrain --model_name_or_path bert-base-chinese --train_file law.txt --user_dict legal_terms.txt \\
        --output_dir runs/law-bert --max_seq_length 128 --per_device_train_batch_size 32 --max_steps 10000
    wwm-pretrain args.json                  # the same flags, as one JSON object
    wwm-pretrain recipe.json --train_file law.txt --output_dir runs/law-bert   # flags after it override it
    torchrun --nproc_per_node 2 -m wwm_pretrain ...   # DDP; also under `accelerate launch`
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhbert.cli import dataclass_parser, json_to_flags, option_strings, parse_dataclasses, run_cli
from zhbert.errors import UsageError

from .arguments import AUTO_USER_DICT, DataArguments, ModelArguments, check_arguments

if TYPE_CHECKING:
    from .prepare import PreparedCorpus

__all__ = ["LoadedModel", "build_parser", "load", "main", "parse_args", "prepare", "pretrain", "train"]

logger = logging.getLogger("wwm_pretrain")


def build_parser() -> Any:
    """The parser of ``wwm-pretrain``'s flags: ``ModelArguments``, ``DataArguments`` and ``TrainingArguments``
    (whose ``--bf16`` default follows the hardware, see ``zhbert.models.precision``)."""
    from zhbert.models import PrecisionTrainingArguments

    return dataclass_parser([ModelArguments, DataArguments, PrecisionTrainingArguments], "wwm-pretrain")


def parse_args(argv: Sequence[str] | None, parser: Any = None) -> tuple[ModelArguments, DataArguments, Any]:
    """Flags, or one ``.json`` file of them (a recipe), into the three argument dataclasses; flags after the
    file override its values."""
    flags = list(sys.argv[1:] if argv is None else argv)
    if len(flags) > 1 and flags[0].endswith(".json"):
        flags = [*json_to_flags(flags[0]), *flags[1:]]  # argparse keeps the last value given
    model_args, data_args, training_args = parse_dataclasses(parser or build_parser(), flags)
    return model_args, data_args, training_args


def _check_unknown_tokens(train: Any, tokenizer: Any, sample: int = 64) -> None:
    """Warn when the tokenizer maps much of the corpus to [UNK]: a vocabulary that does not fit the text."""
    rows = [row["input_ids"] for _, row in zip(range(sample), train, strict=False)]
    tokens = sum(len(ids) - 2 for ids in rows)
    unknown = sum(ids.count(tokenizer.unk_token_id) for ids in rows)
    if tokens and unknown / tokens > 0.05:
        logger.warning(
            "%.0f%% of the corpus's tokens are [UNK]: check that the tokenizer's vocabulary fits this text "
            "(a Chinese vocab.txt such as bert-base-chinese's)",
            100 * unknown / tokens,
        )


def _resolve_resume(training_args: Any) -> str | None:
    from .trainer import complete_checkpoints, latest_complete_checkpoint, remove_incomplete_checkpoints

    wanted = training_args.resume_from_checkpoint
    out = training_args.output_dir
    if wanted in (None, "", "False", "false"):
        if complete_checkpoints(out):
            raise UsageError(
                f"{out} already holds checkpoints: set resume_from_checkpoint to 'latest' to continue that run, "
                "or choose another output_dir",
                argument="resume_from_checkpoint",
            )
        return None
    if wanted in ("latest", "True", "true", "auto"):
        found = latest_complete_checkpoint(out)
        if found is None:
            logger.warning("No complete checkpoint in %s: starting from the beginning", out)
            return None
        if training_args.should_save:
            for path in remove_incomplete_checkpoints(out):
                logger.warning("Removed a half-written checkpoint: %s", path)
        return str(found)
    path = Path(wanted)
    if not path.is_dir():
        raise UsageError(
            f"resume_from_checkpoint {wanted}: no such checkpoint directory", argument="resume_from_checkpoint"
        )
    from .trainer import COMPLETE_MARKER

    if not (path / COMPLETE_MARKER).is_file():
        raise UsageError(
            f"resume_from_checkpoint {wanted}: this checkpoint was not completely written",
            argument="resume_from_checkpoint",
        )
    return str(path)


@dataclass(frozen=True)
class LoadedModel:
    """What ``load`` returns: the tokenizer and the model to train, whether the model's MLM head came from the
    checkpoint, and the checkpoint to resume from (``None``: from the start)."""

    tokenizer: Any
    model: Any
    head_from_checkpoint: bool
    resume_from: str | None


def load(model_args: ModelArguments, data_args: DataArguments, training_args: Any) -> LoadedModel:
    """Seed, find the checkpoint to resume from, and load the tokenizer and the model (from a checkpoint, or
    built from a config); checks that the three arguments fit together and that blocks fit the model."""
    from transformers import set_seed

    from zhbert.models import fit_tokenizer_length, use_fast_dropout

    from .model import check_positions, load_model, load_tokenizer

    set_seed(training_args.seed)
    check_arguments(model_args, data_args, training_args)
    resume = _resolve_resume(training_args)
    tokenizer = load_tokenizer(model_args)
    model, head_from_checkpoint = load_model(model_args, tokenizer)
    check_positions(data_args.max_seq_length, model)
    fit_tokenizer_length(tokenizer, model)  # what is saved beside the model then truncates where it must
    if getattr(training_args, "fast_dropout", False):
        logger.info("Fast dropout: %s", use_fast_dropout(model))
    return LoadedModel(tokenizer, model, head_from_checkpoint, resume)


def prepare(loaded: LoadedModel, data_args: DataArguments, training_args: Any) -> PreparedCorpus:
    """Load the segmenter, then segment, tokenize and pack the corpus into blocks (cached: see
    ``wwm_pretrain.prepare``)."""
    from zhbert.text import get_segmenter

    from .prepare import prepare_corpus

    user_dict = None if data_args.user_dict == AUTO_USER_DICT else data_args.user_dict  # auto: found in the corpus
    segmenter = get_segmenter(data_args.segmenter, user_dict=user_dict, ltp_model=data_args.ltp_model)
    segmenter.cut(["检查分词器"])  # load the segmenter now: a bad model directory fails before any work
    corpus = prepare_corpus(
        data_args,
        loaded.tokenizer,
        segmenter,
        main_process_first=lambda: training_args.main_process_first(desc="corpus"),
    )
    if corpus.cache_path is not None:
        state = "reused" if corpus.reused else "written"
        logger.info("Prepared corpus %s: %s (%d training blocks)", state, corpus.cache_path, len(corpus.train))
    if corpus.user_dict is not None:
        logger.info("jieba's user dictionary, discovered from the corpus: %s", corpus.user_dict)
    _check_unknown_tokens(corpus.train, loaded.tokenizer)
    return corpus


def train(
    loaded: LoadedModel,
    corpus: PreparedCorpus,
    model_args: ModelArguments,
    data_args: DataArguments,
    training_args: Any,
) -> dict[str, float]:
    """Train with whole-word masking (the MLM head alone first, with ``mlm_head_warmup_steps``), evaluate, and
    save the model and its metrics in ``training_args.output_dir``.

    Returns:
        The metrics: ``init_*`` before training, ``train_*``, and ``eval_*`` on the held-out blocks.
    """
    import torch

    from zhbert.mlm import WholeWordMaskCollator

    from .model import head_parameters, mlm_head_quality, with_sparse_mlm_loss
    from .trainer import WwmTrainer

    model, tokenizer, resume = loaded.model, loaded.tokenizer, loaded.resume_from
    training_args.remove_unused_columns = False  # the collator needs word_ids and idx
    if not torch.cuda.is_available():
        training_args.dataloader_pin_memory = False
    if training_args.include_num_input_tokens_seen == "no":
        training_args.include_num_input_tokens_seen = "non_padding"
    with_sparse_mlm_loss(model)
    if model_args.compile_encoder:
        if training_args.torch_compile:
            raise UsageError(
                "compile_encoder compiles the encoder; torch_compile would compile the whole model again: give one",
                argument="compile_encoder",
            )
        model.base_model.compile()  # in place: parameter names and saved checkpoints stay plain
    collator = WholeWordMaskCollator(
        tokenizer,
        mlm_probability=data_args.mlm_probability,
        max_ngram=data_args.max_ngram,
        seed=training_args.seed,
        pad_to_multiple_of=8 if (training_args.fp16 or training_args.bf16) else None,
    )

    if loaded.head_from_checkpoint and corpus.eval is not None and resume is None:
        probe = collator([row for _, row in zip(range(16), corpus.eval, strict=False)])
        loss, accuracy = mlm_head_quality(model, probe)
        if loss > 0.9 * math.log(len(tokenizer)):
            logger.warning(
                "The MLM head looks untrained (masked loss %.2f, near ln|V| = %.2f; top-1 accuracy %.3f), as in the "
                "hfl *-wwm-ext checkpoints. Consider mlm_head_warmup_steps.",
                loss,
                math.log(len(tokenizer)),
                accuracy,
            )

    def make_trainer(args: Any) -> WwmTrainer:
        return WwmTrainer(
            model=model,
            args=args,
            train_dataset=corpus.train,
            eval_dataset=corpus.eval,
            data_collator=collator,
            processing_class=tokenizer,
            record_batch_hashes=data_args.record_batch_hashes,
        )

    if model_args.mlm_head_warmup_steps > 0 and resume is None:
        warm_up_head(model, make_trainer, training_args, model_args.mlm_head_warmup_steps, head_parameters)

    trainer = make_trainer(training_args)
    metrics: dict[str, float] = {}
    if corpus.eval is not None and resume is None:
        before = trainer.evaluate()
        keys = ("eval_loss", "perplexity", "eval_masked_accuracy", "eval_cloze_accuracy")
        metrics.update({f"init_{k}": before[k] for k in keys if k in before})
    start = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume)
    trainer.save_model()
    train_metrics = dict(result.metrics)
    tokens = int(trainer.state.num_input_tokens_seen)
    train_metrics["tokens_seen"] = tokens
    train_metrics["train_tokens_per_second"] = tokens / max(time.perf_counter() - start, 1e-9)
    trainer.log_metrics("train", train_metrics)
    trainer.save_metrics("train", train_metrics)
    metrics.update(train_metrics)
    if corpus.eval is not None:
        eval_metrics = trainer.evaluate()
        trainer.log_metrics("eval", eval_metrics)
        trainer.save_metrics("eval", eval_metrics)
        metrics.update(eval_metrics)
    trainer.save_metrics("all", metrics)
    trainer.save_state()
    if training_args.should_log:
        summary = [
            f"steps {trainer.state.global_step}",
            f"tokens seen {tokens:,}",
            f"tokens/s {train_metrics['train_tokens_per_second']:,.0f}",
        ]
        for key in ("eval_loss", "perplexity", "eval_masked_accuracy", "eval_cloze_accuracy"):
            if key in metrics:
                summary.append(f"{key} {metrics[key]:.4f}")
        print(f"wwm-pretrain: done: {', '.join(summary)}; model saved to {training_args.output_dir}", flush=True)
    return metrics


def pretrain(model_args: ModelArguments, data_args: DataArguments, training_args: Any) -> dict[str, float]:
    """Continued pretraining with whole-word masking: ``load``, ``prepare`` and ``train`` in turn; the model is
    saved in ``training_args.output_dir``.

    Returns:
        The metrics: ``init_*`` before training, ``train_*``, and ``eval_*`` on the held-out blocks.
    """
    loaded = load(model_args, data_args, training_args)
    corpus = prepare(loaded, data_args, training_args)
    return train(loaded, corpus, model_args, data_args, training_args)


def warm_up_head(model: Any, make_trainer: Any, training_args: Any, steps: int, head_parameters: Any) -> None:
    import dataclasses

    head = {id(p) for p in head_parameters(model)}
    frozen = [p for p in model.parameters() if id(p) not in head and p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    logger.info("Training only the MLM head for %d steps", steps)
    warm_args = dataclasses.replace(
        training_args,
        output_dir=os.path.join(training_args.output_dir, "mlm-head-warmup"),
        max_steps=steps,
        save_strategy="no",
        eval_strategy="no",
        resume_from_checkpoint=None,
    )
    make_trainer(warm_args).train()
    for p in frozen:
        p.requires_grad_(True)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    parser = build_parser()

    def body() -> int:
        pretrain(*parse_args(argv, parser))
        return 0

    return run_cli("wwm-pretrain", body, option_strings(parser))


if __name__ == "__main__":
    sys.exit(main())
