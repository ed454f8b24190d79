"""Domain-adaptive continued pretraining of a Chinese BERT with whole-word masking.

    wwm-pretrain --model_name_or_path bert-base-chinese --train_file law.txt --user_dict legal_terms.txt \\
        --output_dir runs/law-bert --max_seq_length 128 --per_device_train_batch_size 32 --max_steps 10000
    wwm-pretrain args.json                  # the same flags, as one JSON object
    torchrun --nproc_per_node 2 -m wwm_pretrain ...   # DDP; also under `accelerate launch`
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zhbert.cli import dataclass_parser, option_strings, parse_dataclasses, run_cli
from zhbert.errors import UsageError

from .arguments import DataArguments, ModelArguments

__all__ = ["build_parser", "main", "parse_args", "pretrain"]

logger = logging.getLogger("wwm_pretrain")


def build_parser() -> Any:
    """The parser of ``wwm-pretrain``'s flags: ``ModelArguments``, ``DataArguments`` and ``TrainingArguments``
    (whose ``--bf16`` default follows the hardware, see ``zhbert.models.precision``)."""
    from zhbert.models import PrecisionTrainingArguments

    return dataclass_parser([ModelArguments, DataArguments, PrecisionTrainingArguments], "wwm-pretrain")


def parse_args(argv: Sequence[str] | None, parser: Any = None) -> tuple[ModelArguments, DataArguments, Any]:
    """Flags, or one ``.json`` file of them, into the three argument dataclasses."""
    model_args, data_args, training_args = parse_dataclasses(
        parser or build_parser(), list(sys.argv[1:] if argv is None else argv)
    )
    return model_args, data_args, training_args


def _load_tokenizer(model_args: ModelArguments) -> Any:
    from transformers import AutoTokenizer

    from zhbert.models import load_pretrained

    name = model_args.tokenizer_name or model_args.model_name_or_path
    if not name:
        raise UsageError("give --model_name_or_path, or --tokenizer_name with --config_name to train from scratch")
    tokenizer = load_pretrained(AutoTokenizer, name, cache_dir=model_args.cache_dir)
    if not tokenizer.is_fast:
        raise UsageError(f"{name}: whole-word masking needs a fast tokenizer (tokenizer.json or vocab.txt)")
    return tokenizer


def _load_model(model_args: ModelArguments, tokenizer: Any) -> tuple[Any, bool]:
    """The model, and whether its MLM head came from the checkpoint."""
    attention = {"attn_implementation": model_args.attn_implementation} if model_args.attn_implementation else {}
    try:
        return _build_model(model_args, tokenizer, attention)
    except ValueError as err:
        if attention and "attn" in str(err) and not isinstance(err, UsageError):
            raise UsageError(
                f"{model_args.attn_implementation!r} is not an attention implementation transformers knows here "
                "(eager, sdpa, ...)",
                argument="attn_implementation",
            ) from None
        raise


def _build_model(model_args: ModelArguments, tokenizer: Any, attention: dict[str, str]) -> tuple[Any, bool]:
    from transformers import AutoConfig, AutoModelForMaskedLM

    from zhbert.models import load_pretrained

    if model_args.model_name_or_path:
        if model_args.position_init != "random":
            raise UsageError(
                "--position_init applies to training from scratch (--config_name), not to a checkpoint",
                argument="position_init",
            )
        model, info = load_pretrained(
            AutoModelForMaskedLM,
            model_args.model_name_or_path,
            cache_dir=model_args.cache_dir,
            output_loading_info=True,
            **attention,
        )
        missing = [k for k in info.get("missing_keys", []) if k.startswith(("cls.", "lm_head."))]
        if missing:
            logger.warning(
                "%s has no trained MLM head (missing: %s); it starts from random weights. "
                "Consider --mlm_head_warmup_steps.",
                model_args.model_name_or_path,
                ", ".join(sorted(missing)[:4]),
            )
        return model, not missing
    if not model_args.config_name:
        raise UsageError("give --model_name_or_path, or --config_name and --tokenizer_name to train from scratch")
    config = load_pretrained(AutoConfig, model_args.config_name, cache_dir=model_args.cache_dir)
    if model_args.config_overrides:
        try:
            config.update_from_string(model_args.config_overrides)
        except ValueError as err:
            raise UsageError(f"--config_overrides: {err}") from None
    overridden = {item.split("=", 1)[0].strip() for item in (model_args.config_overrides or "").split(",")}
    if "vocab_size" not in overridden:
        config.vocab_size = len(tokenizer)  # a pruned vocabulary gets an embedding of its own size
    if config.vocab_size < len(tokenizer):
        raise UsageError(
            f"the config's vocab_size {config.vocab_size} is smaller than the tokenizer's {len(tokenizer)}"
        )
    logger.info("Training from scratch: %s", config.to_json_string(use_diff=True).replace("\n", " "))
    model = AutoModelForMaskedLM.from_config(config, **attention)
    if model_args.position_init == "sinusoidal":
        from .model import init_sinusoidal_positions

        init_sinusoidal_positions(model)
    return model, False


def _check_lengths(data_args: DataArguments, model: Any) -> None:
    positions = getattr(model.config, "max_position_embeddings", None)
    if data_args.max_seq_length < 8:
        raise UsageError(f"--max_seq_length {data_args.max_seq_length} is too small (at least 8)")
    if positions is not None and data_args.max_seq_length > positions:
        raise UsageError(
            f"--max_seq_length {data_args.max_seq_length} is over the model's {positions} positions "
            f"(max_position_embeddings); use at most {positions}"
        )


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
                f"{out} already holds checkpoints: pass --resume_from_checkpoint latest to continue that run, "
                "or choose another --output_dir"
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
        raise UsageError(f"--resume_from_checkpoint {wanted}: no such checkpoint directory")
    from .trainer import COMPLETE_MARKER

    if not (path / COMPLETE_MARKER).is_file():
        raise UsageError(f"--resume_from_checkpoint {wanted}: this checkpoint was not completely written")
    return str(path)


def pretrain(model_args: ModelArguments, data_args: DataArguments, training_args: Any) -> dict[str, float]:
    """Continued pretraining with whole-word masking; the model is saved in ``training_args.output_dir``.

    Returns:
        The metrics: ``init_*`` before training, ``train_*``, and ``eval_*`` on the held-out blocks.
    """
    import torch
    from transformers import set_seed

    from zhbert.mlm import WholeWordMaskCollator
    from zhbert.models import fit_tokenizer_length, use_fast_dropout
    from zhbert.text import get_segmenter

    from .model import head_parameters, mlm_head_quality, with_sparse_mlm_loss
    from .prepare import AUTO_USER_DICT, prepare_corpus
    from .trainer import WwmTrainer

    set_seed(training_args.seed)
    if data_args.streaming and training_args.max_steps <= 0:
        raise UsageError("--streaming needs --max_steps (a stream has no length)")
    resume = _resolve_resume(training_args)
    tokenizer = _load_tokenizer(model_args)
    model, head_from_checkpoint = _load_model(model_args, tokenizer)
    _check_lengths(data_args, model)
    fit_tokenizer_length(tokenizer, model)  # what is saved beside the model then truncates where it must
    if getattr(training_args, "fast_dropout", False):
        logger.info("Fast dropout: %s", use_fast_dropout(model))

    auto = data_args.user_dict == AUTO_USER_DICT  # discovered in prepare_corpus, for jieba alone
    if auto and data_args.segmenter != "jieba":
        raise UsageError(
            f"--user_dict auto discovers a dictionary for jieba; --segmenter {data_args.segmenter} cannot use it",
            argument="user_dict",
        )
    user_dict = None if auto else data_args.user_dict
    segmenter = get_segmenter(data_args.segmenter, user_dict=user_dict, ltp_model=data_args.ltp_model)
    segmenter.cut(["检查分词器"])  # load the segmenter now: a bad model directory fails before any work
    corpus = prepare_corpus(
        data_args, tokenizer, segmenter, main_process_first=lambda: training_args.main_process_first(desc="corpus")
    )
    if corpus.cache_path is not None:
        state = "reused" if corpus.reused else "written"
        logger.info("Prepared corpus %s: %s (%d training blocks)", state, corpus.cache_path, len(corpus.train))
    if corpus.user_dict is not None:
        logger.info("jieba's user dictionary, discovered from the corpus: %s", corpus.user_dict)

    _check_unknown_tokens(corpus.train, tokenizer)
    training_args.remove_unused_columns = False  # the collator needs word_ids and idx
    if not torch.cuda.is_available():
        training_args.dataloader_pin_memory = False
    if training_args.include_num_input_tokens_seen == "no":
        training_args.include_num_input_tokens_seen = "non_padding"
    with_sparse_mlm_loss(model)
    collator = WholeWordMaskCollator(
        tokenizer,
        mlm_probability=data_args.mlm_probability,
        max_ngram=data_args.max_ngram,
        seed=training_args.seed,
        pad_to_multiple_of=8 if (training_args.fp16 or training_args.bf16) else None,
    )

    if head_from_checkpoint and corpus.eval is not None and resume is None:
        probe = collator([row for _, row in zip(range(16), corpus.eval, strict=False)])
        loss, accuracy = mlm_head_quality(model, probe)
        if loss > 0.9 * math.log(len(tokenizer)):
            logger.warning(
                "The MLM head looks untrained (masked loss %.2f, near ln|V| = %.2f; top-1 accuracy %.3f), as in the "
                "hfl *-wwm-ext checkpoints. Consider --mlm_head_warmup_steps.",
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
