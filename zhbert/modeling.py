"""Token-classification models with an optional CRF, saved as plain transformers checkpoints.

``add_crf(model)`` gives a ``*ForTokenClassification`` a BIOES-constrained CRF: training uses the CRF's negative
log-likelihood over the first piece of every word, and the CRF's weights are saved beside the encoder's under
``crf.*`` with ``config.zhbert_crf = True``. Plain ``AutoModelForTokenClassification`` still loads such a
checkpoint (it ignores the ``crf.*`` weights); ``load_token_classifier`` restores the CRF too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import TokenClassifierOutput

from .crf import CRF
from .decode import bioes_constraints

__all__ = ["add_crf", "load_token_classifier", "mix_in"]

_MIXED: dict[tuple[type, type], type] = {}


def mix_in(model: nn.Module, mixin: type) -> nn.Module:
    """Put ``mixin`` in front of ``model``'s class, in place, keeping the class name.

    ``save_pretrained`` records the class name as the architecture, so what is saved stays a plain
    transformers checkpoint.
    """
    base = type(model)
    if issubclass(base, mixin):
        return model
    cls = _MIXED.get((mixin, base))
    if cls is None:
        cls = type(base.__name__, (mixin, base), {"__module__": base.__module__})
        _MIXED[(mixin, base)] = cls
    model.__class__ = cls
    return model


class _CrfLoss:
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
        loss = self.crf.neg_log_likelihood(words.float(), tags, mask, reduction="mean")
        return TokenClassifierOutput(loss=loss, logits=emissions)


def add_crf(model: nn.Module) -> nn.Module:
    """Attach a BIOES-constrained CRF to a token classifier, in place (its class keeps its name)."""
    config: Any = model.config
    id2label = {int(k): v for k, v in config.id2label.items()}
    if not isinstance(getattr(model, "crf", None), CRF):
        model.crf = CRF(len(id2label), constraints=bioes_constraints(id2label))
    config.zhbert_crf = True
    return mix_in(model, _CrfLoss)


def load_token_classifier(path: str | Path) -> nn.Module:
    """A saved token classifier, with its CRF when it was trained with one."""
    from safetensors.torch import load_file
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    # The crf.* weights are loaded below; keep transformers from reporting them as unexpected keys.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model = AutoModelForTokenClassification.from_pretrained(str(path))
    finally:
        hf_logging.set_verbosity(verbosity)
    if getattr(model.config, "zhbert_crf", False):
        add_crf(model)
        weights: dict[str, torch.Tensor] = {}
        for file in sorted(Path(path).glob("*.safetensors")):
            weights.update({k.removeprefix("crf."): v for k, v in load_file(str(file)).items() if k.startswith("crf.")})
        if not weights:
            raise ValueError(f"{path}: config says the model has a CRF, but no crf.* weights were saved")
        model.crf.load_state_dict(weights, strict=False)
    return model
