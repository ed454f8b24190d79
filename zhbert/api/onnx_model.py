"""The ONNX Runtime backend: an exported directory (``zhbert export``) loaded as a model the predictors call as
they call a PyTorch one.

``OnnxModel`` answers what ``TextClassifier``, ``EntityTagger`` and ``MaskFiller`` ask of a model: ``config``
(labels, window), ``model(input_ids=..., attention_mask=..., token_type_ids=...).logits`` as a float32 tensor,
``to``/``eval`` (no-ops: the graph runs on the CPU, in the float type it was exported in) and ``training``. Their
predict code (length-sorted batches, windows over long texts, offsets) is the same for both backends; a tagger
decodes after the graph with the NumPy Viterbi (``zhbert.tagging.numpy_viterbi``) and the matrices saved beside
the graph.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..cores import ThreadChoice
from ..errors import MissingFileError, UsageError
from ..export.runtime import SessionRunner, open_session
from ..export.sidecar import FP32_GRAPH, decoding_arrays, read_sidecar
from ..models.loading import load_pretrained
from ..tagging.numpy_viterbi import decoding_scores

__all__ = ["OnnxModel", "OnnxOutput", "TagDecoding"]

_PREDICTORS = {
    "sequence-classification": "TextClassifier",
    "token-classification": "EntityTagger",
    "masked-lm": "MaskFiller",
}


@dataclass(frozen=True)
class OnnxOutput:
    logits: torch.Tensor


@dataclass(frozen=True)
class TagDecoding:
    """A tagger's decoding after the graph: start (L,), transition (L, L) and end (L,) scores, ``-inf`` where the
    scheme forbids a move; ``crf``: the emissions are the logits (a CRF's), else their log-softmax."""

    start: np.ndarray
    transitions: np.ndarray
    end: np.ndarray
    crf: bool


class OnnxModel:
    """An exported graph on an ONNX Runtime CPU session, in the shape of a transformers model.

    Attributes:
        config: the model's configuration (``config.json`` of the export).
        kind: ``sequence-classification``, ``token-classification`` or ``masked-lm``.
        graph: the graph file it runs (``model.onnx`` or ``model.int8.onnx``).
        threads: the thread count the session runs with, and why (``zhbert.cores.ThreadChoice``).
        decoding: a tagger's ``TagDecoding`` (``None`` for the other kinds).
    """

    training = False

    def __init__(
        self, path: Path, info: dict[str, Any], graph: str, session: Any, threads: ThreadChoice, config: Any
    ) -> None:
        self.path, self.info, self.graph, self.threads, self.config = path, info, graph, threads, config
        self.kind = str(info["kind"])
        self.run = SessionRunner(session)
        self.decoding: TagDecoding | None = None
        if self.kind == "token-classification":
            allowed, crf = decoding_arrays(path, info)
            self.decoding = TagDecoding(*decoding_scores(allowed, crf or None), crf=bool(crf))

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], kind: str, quantized: bool | None = None, threads: int | None = None
    ) -> OnnxModel:
        """The export in ``path``, checked to be of ``kind``; ``quantized``: ``None`` runs the int8 graph when
        the export has one, ``True`` requires it, ``False`` runs the float32 graph.

        Raises:
            UsageError: the export is of another kind.
            MissingFileError: ``quantized=True`` and the export has no int8 graph, or a file it names is missing.
            MissingExtraError: onnxruntime is not installed.
        """
        from transformers import AutoConfig

        folder = Path(path)
        info = read_sidecar(folder)
        if info["kind"] != kind:
            raise UsageError(
                f"{path}: an exported {info['kind']} model; load it with {_PREDICTORS[info['kind']]}", argument="path"
            )
        graphs = info.get("graphs", {})
        if quantized and "int8" not in graphs:
            raise MissingFileError(f"{path}: the export has no int8 graph (export it with quantize int8)")
        graph = graphs["int8"] if "int8" in graphs and quantized is not False else graphs.get("fp32", FP32_GRAPH)
        if not (folder / graph).is_file():
            raise MissingFileError(f"{folder / graph}: missing; the export's sidecar names it")
        session, choice = open_session(folder / graph, threads)
        return cls(folder, info, graph, session, choice, load_pretrained(AutoConfig, folder))

    def __call__(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        **unused: Any,
    ) -> OnnxOutput:
        types = token_type_ids.cpu().numpy() if token_type_ids is not None else None
        logits = self.run(input_ids.cpu().numpy(), attention_mask.cpu().numpy(), types)
        return OnnxOutput(torch.from_numpy(logits))

    def to(self, *args: Any, **kwargs: Any) -> OnnxModel:
        return self

    def eval(self) -> OnnxModel:
        return self

    def __repr__(self) -> str:
        return f"OnnxModel({str(self.path)!r}, graph={self.graph!r}, {self.threads})"
