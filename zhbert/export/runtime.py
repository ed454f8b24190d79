"""ONNX Runtime, the optional extra: importing it with a clear error, and opening a graph on a chosen thread count.

ONNX Runtime takes its thread count when a session is created: ``open_session(path, threads)`` gives it
``zhbert.cores.choose_threads(threads).threads`` intra-op threads and one inter-op thread (a BERT graph is a
chain: nothing runs beside it).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..cores import ThreadChoice, choose_threads
from ..errors import MissingExtraError

__all__ = ["INSTALL_HINT", "SessionRunner", "import_onnx", "import_onnxruntime", "open_session"]

INSTALL_HINT = "pip install zhbert[onnx]"


def import_onnxruntime() -> Any:
    """The ``onnxruntime`` module.

    Raises:
        MissingExtraError: it is not installed.
    """
    try:
        import onnxruntime
    except ImportError:
        raise MissingExtraError(
            f"exported models run on ONNX Runtime, which is not installed: {INSTALL_HINT}"
        ) from None
    return onnxruntime


def import_onnx() -> Any:
    """The ``onnx`` module, which writing a graph needs (reading one does not).

    Raises:
        MissingExtraError: it is not installed.
    """
    try:
        import onnx
    except ImportError:
        raise MissingExtraError(
            f"zhbert export writes ONNX graphs with onnx, which is not installed: {INSTALL_HINT}"
        ) from None
    return onnx


def open_session(path: str | os.PathLike[str], threads: int | None = None) -> tuple[Any, ThreadChoice]:
    """An ONNX Runtime CPU session over the graph at ``path``, and the thread choice it runs with.

    Raises:
        MissingExtraError: onnxruntime is not installed.
        UsageError: ``threads`` is not a whole number >= 1.
    """
    ort = import_onnxruntime()
    choice = choose_threads(threads)
    options = ort.SessionOptions()
    options.intra_op_num_threads = choice.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's concern
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), choice


class SessionRunner:
    """Runs a session on int64 ``input_ids``, ``attention_mask`` and ``token_type_ids`` (zeros when not given);
    returns the float32 ``logits``."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.input_names = [i.name for i in session.get_inputs()]
        self.types = "token_type_ids" in self.input_names

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray | None = None
    ) -> np.ndarray:
        feeds = {"input_ids": _int64(input_ids), "attention_mask": _int64(attention_mask)}
        if self.types:
            feeds["token_type_ids"] = (
                _int64(token_type_ids) if token_type_ids is not None else np.zeros(input_ids.shape, np.int64)
            )
        return self.session.run(["logits"], feeds)[0]


def _int64(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.int64 and array.flags.c_contiguous:
        return array
    return np.ascontiguousarray(array, dtype=np.int64)
