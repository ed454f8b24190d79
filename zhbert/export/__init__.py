"""Export: a fine-tuned model as an ONNX graph (float32, and int8 on request) with its tokenizer, labels and, for
taggers, the decoding matrices, verified against the PyTorch model before it is written; and what reading an
exported directory needs (its sidecar, an ONNX Runtime session on a chosen thread count).

Importing this package imports neither torch nor onnxruntime; ``export_model`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .exporter import ExportResult, export_model, model_kind
    from .quantize import int8_instructions
    from .runtime import SessionRunner, import_onnxruntime, open_session
    from .sidecar import FP32_GRAPH, INT8_GRAPH, SIDECAR, decoding_arrays, is_exported, read_sidecar

_EXPORTS = {
    "ExportResult": ".exporter",
    "export_model": ".exporter",
    "model_kind": ".exporter",
    "int8_instructions": ".quantize",
    "SessionRunner": ".runtime",
    "import_onnxruntime": ".runtime",
    "open_session": ".runtime",
    "FP32_GRAPH": ".sidecar",
    "INT8_GRAPH": ".sidecar",
    "SIDECAR": ".sidecar",
    "decoding_arrays": ".sidecar",
    "is_exported": ".sidecar",
    "read_sidecar": ".sidecar",
}

__all__ = [
    "FP32_GRAPH",
    "INT8_GRAPH",
    "SIDECAR",
    "ExportResult",
    "SessionRunner",
    "decoding_arrays",
    "export_model",
    "import_onnxruntime",
    "int8_instructions",
    "is_exported",
    "model_kind",
    "open_session",
    "read_sidecar",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)
