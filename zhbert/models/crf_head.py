"""Token-classification models with an optional CRF, saved as plain transformers checkpoints.

``add_crf(model)`` gives a ``*ForTokenClassification`` a CRF held to its labels' tag scheme (BIOES for zhbert's
own taggers; IOB2 or BMES labels get theirs): training uses the CRF's negative
log-likelihood over the first piece of every word, and the CRF's weights are saved beside the encoder's under
``crf.*`` with ``config.zhbert_crf = True``. Plain ``AutoModelForTokenClassification`` still loads such a
checkpoint (it ignores the ``crf.*`` weights); ``load_token_classifier`` restores the CRF too.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import TokenClassifierOutput

from ..errors import DataError
from ..tagging.crf import CRF
from ..tagging.viterbi import scheme_constraints
from .loading import check_architecture, checkpoint_tensors, load_pretrained
from .mixin import mix_in
from .span_head import has_span_head, load_span_model

__all__ = ["CrfLoss", "add_crf", "load_token_classifier"]


class CrfLoss:
    """Mixed in front of a ``*ForTokenClassification`` class by ``add_crf``."""

    crf: CRF

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> TokenClassifierOutput:
        kwargs.pop("num_items_in_batch", None)
        out = super().forward(  # type: ignore[misc]
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs
        )
        if labels is None:
            return out
        emissions = out.logits  # (B, T, L)
        keep = labels != -100  # (B, T): the first piece of every word
        counts = keep.sum(dim=1)  # (B,)
        width = max(int(counts.max()), 1)
        # Stable sort puts each row's kept positions first, in order: (B, W) left-aligned words.
        order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)[:, :width]
        words = emissions.gather(1, order.unsqueeze(-1).expand(-1, -1, emissions.shape[-1]))  # (B, W, L)
        mask = torch.arange(width, device=labels.device)[None, :] < counts[:, None]  # (B, W)
        tags = labels.gather(1, order).masked_fill(~mask, 0)
        # The CRF's sums over paths run in float32 even under bf16 autocast: its log-partition adds up T terms.
        with torch.autocast(device_type=words.device.type, enabled=False):
            loss = self.crf.neg_log_likelihood(words.float(), tags, mask, reduction="mean")
        return TokenClassifierOutput(loss=loss, logits=emissions)


def add_crf(model: nn.Module) -> nn.Module:
    """Attach a CRF, constrained by the labels' tag scheme, to a token classifier, in place (its class keeps its
    name).

    Raises:
        UsageError: the labels are no tag scheme zhbert reads.
    """
    config: Any = model.config
    id2label = {int(k): v for k, v in config.id2label.items()}
    if not isinstance(getattr(model, "crf", None), CRF):
        model.crf = CRF(len(id2label), constraints=scheme_constraints(id2label)[1])
    config.zhbert_crf = True
    return mix_in(model, CrfLoss)


def load_token_classifier(path: str | os.PathLike[str]) -> nn.Module:
    """A saved token classifier, with its CRF when it was trained with one, or its span head
    (``zhbert.models.span_head``).

    Raises:
        DataError: the config says there is a CRF (or a span head), but its weights are missing, incomplete or of
            the wrong shape.
    """
    from transformers import AutoModelForTokenClassification

    check_architecture(path, ("ForTokenClassification",), "a token classifier (zhbert train ner)")
    model = load_pretrained(AutoModelForTokenClassification, path)  # the crf.* weights are loaded below
    if has_span_head(model.config):
        return load_span_model(path, model)
    if getattr(model.config, "zhbert_crf", False):
        add_crf(model)
        weights = {k.removeprefix("crf."): v for k, v in checkpoint_tensors(path, "crf.").items()}
        if not weights:
            raise DataError(f"{path}: config says the model has a CRF, but no crf.* weights were saved")
        expected = set(model.crf.state_dict())
        if set(weights) != expected:
            missing = ", ".join(f"crf.{k}" for k in sorted(expected - set(weights))) or "none"
            extra = ", ".join(f"crf.{k}" for k in sorted(set(weights) - expected)) or "none"
            raise DataError(f"{path}: the saved CRF does not match the model (missing: {missing}; unexpected: {extra})")
        try:
            model.crf.load_state_dict(weights, strict=True)
        except RuntimeError as err:  # shapes that do not fit the labels
            raise DataError(
                f"{path}: the saved CRF does not fit the model's labels ({str(err).splitlines()[-1]})"
            ) from None
    return model
