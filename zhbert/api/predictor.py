"""What ``TextClassifier``, ``EntityTagger`` and ``MaskFiller`` share: the model loaded, placed on its device in
its float type and in eval mode, the tokenizer, and the window, ``max_length``: the most tokens one model call
reads, [CLS] and [SEP] included. ``from_pretrained`` reads a PyTorch checkpoint or a directory written by
``zhbert export`` (run by ONNX Runtime, ``zhbert.api.onnx_model``): the same predictors over either backend."""

from __future__ import annotations

import os
from typing import Any, TypeVar

import torch

from ..cores import apply_threads, choose_threads
from ..errors import UsageError
from ..export.sidecar import is_exported
from ..models.loading import load_pretrained
from ..models.window import model_window
from .batching import CPU_TOKENS_PER_CALL, ONNX_TOKENS_PER_CALL
from .device import place_model
from .onnx_model import OnnxModel

__all__ = ["Predictor", "model_window"]

PredictorT = TypeVar("PredictorT", bound="Predictor")


class Predictor:
    """A fine-tuned model and its tokenizer, ready to predict.

    Attributes:
        model: the model, on ``device``, cast to ``dtype``, in eval mode; or an exported graph (``OnnxModel``).
        backend: ``pytorch``, or ``onnxruntime`` with the graph and its threads.
        max_length: tokens per model call, [CLS] and [SEP] included (``model_window``).
        tokens_per_call: on CPU, the most padded tokens one call takes (``None``: no cap, on a GPU).
    """

    def __init__(self, model: Any, tokenizer: Any, device: str | torch.device | None = None, dtype: Any = None) -> None:
        if isinstance(model, OnnxModel):
            if (device is not None and str(device) != "cpu") or (dtype not in (None, "float32", torch.float32)):
                raise UsageError(
                    "an exported model runs on the CPU in its graph's own types: leave device and dtype unset",
                    argument="device" if device is not None else "dtype",
                )
            self.model, self.device, self.dtype = model, torch.device("cpu"), torch.float32
            self.backend = f"onnxruntime ({model.graph}, {model.threads})"
        else:
            self.model, self.device, self.dtype = place_model(model, device, dtype)
            self.backend = "pytorch"
        self.tokenizer = tokenizer
        self.max_length = model_window(model, tokenizer)
        self.tokens_per_call: int | None = CPU_TOKENS_PER_CALL if self.device.type == "cpu" else None
        if isinstance(model, OnnxModel):
            self.tokens_per_call = ONNX_TOKENS_PER_CALL

    export_kind = ""  # the kind of ``zhbert export`` directory this predictor reads

    @classmethod
    def load_model(cls, path: str | os.PathLike[str]) -> Any:
        """The model saved in ``path``, checked to be of the kind this predictor reads."""
        raise NotImplementedError

    @classmethod
    def from_pretrained(
        cls: type[PredictorT],
        path: str | os.PathLike[str],
        device: str | torch.device | None = None,
        dtype: Any = None,
        *,
        quantized: bool | None = None,
        threads: int | None = None,
    ) -> PredictorT:
        """The model and tokenizer saved in ``path``, on ``device`` in ``dtype``.

        ``path`` is a PyTorch checkpoint (``save_pretrained``) or a directory written by ``zhbert export``, which
        runs on ONNX Runtime on the CPU (leave ``device`` and ``dtype`` unset). For an export, ``quantized``
        picks the graph: ``None`` (default) the int8 graph when the export has one, else the float32 one;
        ``True`` the int8 graph (an error without it); ``False`` the float32 graph.

        ``threads``: the CPU threads to compute with (``zhbert.cores.choose_threads``: by default
        ``$ZHBERT_THREADS``, else the cores this process may use). An ONNX Runtime session takes them for itself;
        for a PyTorch checkpoint, a given count is set as torch's (``torch.set_num_threads``, process-wide).

        Raises:
            MissingExtraError: ``path`` is an export and onnxruntime is not installed (``pip install zhbert[onnx]``).
            UsageError: an export of another kind, or ``quantized`` given for a PyTorch checkpoint.
        """
        from transformers import AutoTokenizer

        if is_exported(path):
            model: Any = OnnxModel.load(path, cls.export_kind, quantized=quantized, threads=threads)
        else:
            if quantized is not None:
                raise UsageError(
                    f"{path}: quantized picks a graph of an exported directory (zhbert export); this is a PyTorch "
                    "checkpoint",
                    argument="quantized",
                )
            if threads is not None:
                apply_threads(choose_threads(threads))
            model = cls.load_model(path)
        return cls(model, load_pretrained(AutoTokenizer, path), device=device, dtype=dtype)
