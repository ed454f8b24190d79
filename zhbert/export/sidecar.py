"""What an exported directory holds, by name, and its sidecar ``zhbert_export.json``.

model.onnx                 the float32 graph
model.int8.onnx            the dynamically quantized graph (``--quantize int8``)
config.json, tokenizer*    the model's configuration (labels in ``id2label``) and tokenizer
allowed_{start,transitions,end}.npy   taggers: the moves the labels' tag scheme allows (bool)
crf_{start,transitions,end}.npy       CRF taggers: the learned scores (float32, transitions [from, to])
zhbert_export.json         the kind, graphs, inputs and outputs, window, scheme, verification, versions
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, MissingFileError

__all__ = [
    "ALLOWED_FILES",
    "CRF_FILES",
    "FORMAT",
    "FP32_GRAPH",
    "INT8_GRAPH",
    "KINDS",
    "SIDECAR",
    "decoding_arrays",
    "is_exported",
    "read_sidecar",
]

SIDECAR = "zhbert_export.json"
FP32_GRAPH = "model.onnx"
INT8_GRAPH = "model.int8.onnx"
KINDS = ("sequence-classification", "token-classification", "masked-lm")
ALLOWED_FILES = ("allowed_start.npy", "allowed_transitions.npy", "allowed_end.npy")
CRF_FILES = ("crf_start.npy", "crf_transitions.npy", "crf_end.npy")
FORMAT = 1


def is_exported(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a directory written by ``export_model`` (it holds the sidecar)."""
    return (Path(path) / SIDECAR).is_file()


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The sidecar of the exported directory ``path``.

    Raises:
        MissingFileError: there is no sidecar.
        DataError: it is not JSON, or not of a kind or format this zhbert reads.
    """
    file = Path(path) / SIDECAR
    if not file.is_file():
        raise MissingFileError(f"{path}: no {SIDECAR}; is this a directory written by zhbert export?")
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{file}: not JSON ({err})") from None
    if not isinstance(info, dict) or info.get("kind") not in KINDS:
        raise DataError(f"{file}: kind must be one of {', '.join(KINDS)}")
    if info.get("format") != FORMAT:
        raise DataError(f"{file}: format {info.get('format')!r}; this zhbert reads format {FORMAT}")
    return info


def decoding_arrays(path: str | os.PathLike[str], info: dict[str, Any]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A tagger's allowed-move masks (start, transitions, end) and, for a CRF, its learned scores (else ``[]``).

    Raises:
        MissingFileError: a file the sidecar names is missing.
    """
    folder = Path(path)
    names = info.get("decoding", {})
    arrays = []
    for group in ("allowed", "crf"):
        loaded = []
        for name in names.get(group, []):
            if not (folder / name).is_file():
                raise MissingFileError(f"{folder / name}: missing; the export's {SIDECAR} names it")
            loaded.append(np.load(folder / name, allow_pickle=False))
        arrays.append(loaded)
    return arrays[0], arrays[1]
