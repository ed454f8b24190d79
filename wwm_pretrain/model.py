"""The masked-LM model for continued pretraining: loaded from a checkpoint or built from a config, its loss
computed only at masked positions, and checks of the MLM head.

``with_sparse_mlm_loss(model)`` makes a ``*ForMaskedLM`` gather the hidden states of masked tokens before the
vocabulary projection: a batch of B x T tokens with 15% masked projects 0.15 * B * T rows instead of B * T. The
loss equals the dense loss; the model keeps its class name, parameters and ``save_pretrained`` output, so what
is saved is a plain checkpoint that ``AutoModelForMaskedLM`` loads.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import MaskedLMOutput

from zhbert.errors import UsageError
from zhbert.models import load_pretrained, mix_in

from .arguments import ModelArguments

__all__ = [
    "check_positions",
    "head_parameters",
    "init_sinusoidal_positions",
    "load_model",
    "load_tokenizer",
    "masked_cross_entropy",
    "mlm_head",
    "mlm_head_quality",
    "with_sparse_mlm_loss",
]

logger = logging.getLogger("wwm_pretrain")  # the run's messages, under one name
# Rows of logits in float32 at a time. 32 rows of a 21,128-entry vocabulary are 2.7 MB, which stay in cache;
# (M, V) float32 buffers of tens of MB are fresh memory on every step. Measured on a 2-core CPU, 600 bf16 rows:
# 9 ms for forward and backward against 50 ms for F.cross_entropy(logits.float()); 256-row chunks take 50 ms.
_CHUNK_ROWS = 32


def mlm_head(model: nn.Module) -> nn.Module:
    """The module that turns hidden states into vocabulary logits (BERT ``cls``, RoBERTa-style ``lm_head``)."""
    for name in ("cls", "lm_head"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    raise ValueError(f"{type(model).__name__} has no MLM head named 'cls' or 'lm_head'")


def load_tokenizer(model_args: ModelArguments) -> Any:
    """The fast tokenizer of ``tokenizer_name``, else of ``model_name_or_path`` (whole-word masking needs its
    offsets)."""
    from transformers import AutoTokenizer

    name = model_args.tokenizer_name or model_args.model_name_or_path
    assert name is not None  # ModelArguments requires one of them
    tokenizer = load_pretrained(AutoTokenizer, name, cache_dir=model_args.cache_dir)
    if not tokenizer.is_fast:
        raise UsageError(
            f"{name}: whole-word masking needs a fast tokenizer (tokenizer.json or vocab.txt)",
            argument="tokenizer_name" if model_args.tokenizer_name else "model_name_or_path",
        )
    return tokenizer


def load_model(model_args: ModelArguments, tokenizer: Any) -> tuple[Any, bool]:
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

    if model_args.model_name_or_path:
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
                "Consider mlm_head_warmup_steps.",
                model_args.model_name_or_path,
                ", ".join(sorted(missing)[:4]),
            )
        return model, not missing
    assert model_args.config_name is not None  # ModelArguments requires it without a checkpoint
    config = load_pretrained(AutoConfig, model_args.config_name, cache_dir=model_args.cache_dir)
    if model_args.config_overrides:
        try:
            config.update_from_string(model_args.config_overrides)
        except ValueError as err:
            raise UsageError(f"config_overrides: {err}", argument="config_overrides") from None
    overridden = {item.split("=", 1)[0].strip() for item in (model_args.config_overrides or "").split(",")}
    if "vocab_size" not in overridden:
        config.vocab_size = len(tokenizer)  # a pruned vocabulary gets an embedding of its own size
    if config.vocab_size < len(tokenizer):
        raise UsageError(
            f"the config's vocab_size {config.vocab_size} is smaller than the tokenizer's {len(tokenizer)}",
            argument="config_overrides",
        )
    logger.info("Training from scratch: %s", config.to_json_string(use_diff=True).replace("\n", " "))
    model = AutoModelForMaskedLM.from_config(config, **attention)
    if model_args.position_init == "sinusoidal":
        init_sinusoidal_positions(model)
    return model, False


def check_positions(max_seq_length: int, model: nn.Module) -> None:
    """``max_seq_length`` must fit the model's absolute positions."""
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions is not None and max_seq_length > positions:
        raise UsageError(
            f"max_seq_length {max_seq_length} is over the model's {positions} positions "
            f"(max_position_embeddings); use at most {positions}",
            argument="max_seq_length",
        )


@torch.no_grad()
def init_sinusoidal_positions(model: nn.Module) -> None:
    """Set a BERT-style model's absolute position embeddings to the Transformer's sines and cosines, scaled to
    the standard deviation of ``config.initializer_range``; they stay ordinary learned parameters.

    From random weights a masked-LM first learns which characters are frequent, then which characters of the
    block are likely (a bag of words); with random position embeddings it takes long to use positions at all.
    """
    embeddings = getattr(getattr(model, "base_model", model), "embeddings", None)
    table = getattr(embeddings, "position_embeddings", None)
    if not isinstance(table, nn.Embedding):
        raise ValueError(f"{type(model).__name__} has no absolute position embeddings to initialise")
    positions, size = table.weight.shape
    where = torch.arange(positions, dtype=torch.float32)[:, None]
    rates = torch.exp(-math.log(10000.0) * torch.arange(0, size, 2, dtype=torch.float32) / size)
    waves = torch.zeros(positions, size)
    waves[:, 0::2] = torch.sin(where * rates)
    waves[:, 1::2] = torch.cos(where * rates)[:, : size // 2]
    scale = float(getattr(model.config, "initializer_range", 0.02)) / float(waves.std())
    table.weight.copy_(waves * scale)


def head_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Parameters that belong to the MLM head alone (the decoder weight is tied to the input embeddings)."""
    embedding = model.get_input_embeddings().weight  # type: ignore[operator]
    return [p for p in mlm_head(model).parameters() if p is not embedding]


class _MaskedCrossEntropy(torch.autograd.Function):
    """Per-row cross-entropy of (M, V) logits in any float dtype, computed in float32 a chunk of rows at a time.

    ``F.cross_entropy(logits.float(), t)`` makes a float32 copy of the logits, their log-softmax, and in
    backward a zero-filled float32 gradient and the log-softmax gradient: four (M, V) float32 buffers per step,
    a sixth of a bf16 step's time on a CPU. Here each chunk's log-softmax (forward) and softmax (backward,
    recomputed) are float32 and small, and backward writes softmax - one-hot straight into a gradient of the
    logits' own dtype. The arithmetic is float32 throughout, as in the plain loss.
    """

    @staticmethod
    def forward(ctx: Any, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        rows = torch.empty(logits.shape[0], dtype=torch.float32, device=logits.device)
        with torch.autocast(logits.device.type, enabled=False):
            for start in range(0, logits.shape[0], _CHUNK_ROWS):
                stop = min(start + _CHUNK_ROWS, logits.shape[0])
                log_probs = torch.log_softmax(logits[start:stop], -1, dtype=torch.float32)
                rows[start:stop] = -log_probs.gather(1, targets[start:stop, None]).squeeze(1)
        ctx.save_for_backward(logits, targets)
        return rows

    @staticmethod
    def backward(ctx: Any, grad_rows: torch.Tensor) -> tuple[torch.Tensor, None]:
        logits, targets = ctx.saved_tensors
        grad = torch.empty_like(logits)
        with torch.autocast(logits.device.type, enabled=False):
            for start in range(0, logits.shape[0], _CHUNK_ROWS):
                stop = min(start + _CHUNK_ROWS, logits.shape[0])
                probs = torch.softmax(logits[start:stop], -1, dtype=torch.float32)
                probs[torch.arange(stop - start, device=probs.device), targets[start:stop]] -= 1.0
                grad[start:stop] = probs.mul_(grad_rows[start:stop, None].float())
        return grad, None


def masked_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, num_items_in_batch: torch.Tensor | int | None = None
) -> torch.Tensor:
    """Cross-entropy of ``logits`` (M, V) against ``targets`` (M,), every row a prediction: the mean, or the
    sum divided by ``num_items_in_batch``. Equal to ``F.cross_entropy(logits.float(), targets)`` (within
    float32 rounding), with a gradient in the logits' dtype and without (M, V) float32 temporaries."""
    rows = _MaskedCrossEntropy.apply(logits, targets)
    if num_items_in_batch is not None:
        return rows.sum() / num_items_in_batch
    return rows.mean()


class _SparseMLMLoss:
    """Mixed in front of a ``*ForMaskedLM`` class; see ``with_sparse_mlm_loss``."""

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> MaskedLMOutput:
        """With ``labels``: ``loss`` over masked tokens, ``logits`` only for them, shape (M, V) in the order
        of ``labels[labels != -100]``. Without: the model's usual dense output."""
        model: Any = self
        if labels is None:
            return super().forward(  # type: ignore[misc]
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs
            )
        hidden = model.base_model(
            input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, return_dict=True
        ).last_hidden_state  # (B, T, H)
        selected = labels != -100  # (B, T)
        targets = labels[selected]  # (M,)
        if targets.numel() == 0:
            # Nothing to predict: a zero loss that still touches the head, so every rank's graph matches.
            logits = mlm_head(model)(hidden[:1, :1].reshape(1, -1))
            return MaskedLMOutput(loss=logits.sum() * 0.0, logits=logits[:0])
        logits = mlm_head(model)(hidden[selected])  # (M, V): only masked rows reach the vocabulary
        return MaskedLMOutput(loss=masked_cross_entropy(logits, targets, num_items_in_batch), logits=logits)


def with_sparse_mlm_loss(model: nn.Module) -> nn.Module:
    """Give ``model`` (a ``*ForMaskedLM``) the masked-only loss, in place; returns it.

    The instance's class becomes a subclass with the same name, so checkpoints stay plain.
    """
    mlm_head(model)
    return mix_in(model, _SparseMLMLoss)


@torch.inference_mode()
def mlm_head_quality(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[float, float]:
    """(loss, top-1 accuracy) of the model at the masked positions of one collated batch."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    inputs = {k: v.to(device) for k, v in batch.items()}
    out = _SparseMLMLoss.forward(model, **inputs)  # type: ignore[arg-type]
    labels = inputs["labels"][inputs["labels"] != -100]
    assert out.logits is not None and out.loss is not None
    accuracy = float((out.logits.argmax(-1) == labels).float().mean()) if labels.numel() else math.nan
    model.train(was_training)
    return float(out.loss), accuracy
