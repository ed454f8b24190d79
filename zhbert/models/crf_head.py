"""Token-classification models with an optional CRF, saved as plain transformers checkpoints.

``add_crf(model)`` gives a ``*ForTokenClassification`` a CRF held to its labels' tag scheme (BIOES for zhbert's
own taggers; IOB2 or BMES labels get theirs): training uses the CRF's negative
log-likelihood over the first piece of every word, and the CRF's weights are saved beside the encoder's under
``crf.*`` with ``config.zhbert_crf = True``. Plain ``AutoModelForTokenClassification`` still loads such a
checkpoint (it ignores the ``crf.*`` weights); ``load_token_classifier`` restores the CRF too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import TokenClassifierOutput

from ..errors import DataError
from ..tagging.crf import CRF
from ..tagging.viterbi import scheme_constraints
from .loading import check_architecture, load_pretrained
from .mixin import mix_in

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
    """A saved token classifier, with its CRF when it was trained with one.

    Raises:
        DataError: the config says there is a CRF, but its weights are missing, incomplete or of the wrong shape.
    """
    from transformers import AutoModelForTokenClassification

    check_architecture(path, ("ForTokenClassification",), "a token classifier (zhbert train ner)")
    model = load_pretrained(AutoModelForTokenClassification, path)  # the crf.* weights are loaded below
    if getattr(model.config, "zhbert_crf", False):
        add_crf(model)
        weights = {k.removeprefix("crf."): v for k, v in _checkpoint_tensors(Path(path), "crf.").items()}
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


def _checkpoint_tensors(folder: Path, prefix: str) -> dict[str, torch.Tensor]:
    """The tensors named ``prefix*`` in the checkpoint's own weights: ``model.safetensors``, or the shards its
    index names; other ``.safetensors`` files in the folder are not read."""
    from safetensors.torch import load_file

    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        files = sorted({name for key, name in weight_map.items() if key.startswith(prefix)})
    else:
        files = ["model.safetensors"] if (folder / "model.safetensors").is_file() else []
    tensors: dict[str, torch.Tensor] = {}
    for name in files:
        tensors.update({k: v for k, v in load_file(str(folder / name)).items() if k.startswith(prefix)})
    return tensors
