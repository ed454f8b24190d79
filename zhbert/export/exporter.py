"""``export_model``: a fine-tuned zhbert model as an ONNX graph (and optionally an int8 one) with everything needed
to run and decode it, verified against the PyTorch model before anything is written.

>>> export_model("runs/msra-ner", "runs/msra-ner-onnx", quantize="int8")
ExportResult(out_dir=PosixPath('runs/msra-ner-onnx'), kind='token-classification', ...)

Everything is written into a temporary folder beside ``out_dir`` and renamed into place at the end: a failed
check, a refusal or an interruption leaves ``out_dir`` as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, UsageError
from ..models.loading import load_pretrained, model_source
from ..models.window import model_window
from . import quantize as q
from .graphs import INPUT_NAMES, OPSET, export_graph
from .runtime import SessionRunner, import_onnx, import_onnxruntime, open_session
from .sidecar import ALLOWED_FILES, CRF_FILES, FORMAT, FP32_GRAPH, INT8_GRAPH, SIDECAR
from .verify import SAMPLE_TEXTS, Comparison, compare, decoder, encode_sample, torch_logits

__all__ = ["FP32_MAX_ABS_DIFF", "INT8_MIN_AGREEMENT", "ExportResult", "export_model", "model_kind"]

# The float32 graph must give the PyTorch model's labels everywhere on the sample, and logits this close.
FP32_MAX_ABS_DIFF = 1e-3
# The int8 graph must give the float32 graph's labels on at least this share of the sample's labels.
INT8_MIN_AGREEMENT = 0.9
_ARCHITECTURES = {
    "ForSequenceClassification": "sequence-classification",
    "ForTokenClassification": "token-classification",
    "ForMaskedLM": "masked-lm",
    "ForPreTraining": "masked-lm",
}


@dataclass(frozen=True)
class ExportResult:
    """Where the export went, its kind, and the sidecar written with it (``zhbert_export.json``)."""

    out_dir: Path
    kind: str
    info: dict[str, Any]


def model_kind(model_dir: str | os.PathLike[str]) -> str:
    """``sequence-classification``, ``token-classification`` or ``masked-lm``, from the checkpoint's config.

    Raises:
        UsageError: the checkpoint is none of the kinds zhbert exports, or a span-head tagger.
    """
    from transformers import AutoConfig

    if Path(model_dir).is_dir() and not (Path(model_dir) / "config.json").is_file():
        raise UsageError(f"{model_dir}: no config.json, so no model zhbert exports", argument="model_dir")
    config = load_pretrained(AutoConfig, model_dir)
    if getattr(config, "zhbert_head", None) == "span":  # zhbert.models.span_head.has_span_head, without torch
        raise UsageError(
            f"{model_dir}: a span-head tagger (trained with --head span) is not exported; predict and serve it from "
            "its checkpoint directory",
            argument="model_dir",
        )
    for name in getattr(config, "architectures", None) or []:
        for suffix, kind in _ARCHITECTURES.items():
            if name.endswith(suffix):
                return kind
    named = ", ".join(getattr(config, "architectures", None) or []) or "no architecture"
    raise UsageError(
        f"{model_dir}: {named} is not a kind zhbert exports (a sequence classifier, a token tagger or a "
        "masked-language model)",
        argument="model_dir",
    )


def _load(model_dir: str | os.PathLike[str], kind: str) -> Any:
    import transformers

    from ..models.crf_head import load_token_classifier

    if kind == "token-classification":
        model = load_token_classifier(model_dir)
    else:
        auto = "AutoModelForSequenceClassification" if kind == "sequence-classification" else "AutoModelForMaskedLM"
        model = load_pretrained(getattr(transformers, auto), model_dir)
    return model.float().eval()


def _check_out(out_dir: Path, overwrite: bool) -> None:
    if out_dir.is_file():
        raise UsageError(f"{out_dir}: a file; give a directory to export into", argument="out_dir")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise UsageError(f"{out_dir}: not empty; choose a new directory or allow overwriting", argument="overwrite")


def export_model(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    quantize: str | None = None,
    *,
    texts: Sequence[str] | None = None,
    overwrite: bool = False,
    allow_slow_int8: bool = False,
    cpu_flags: Iterable[str] | None = None,
    threads: int | None = None,
) -> ExportResult:
    """Export the model saved in ``model_dir`` (a classifier, a tagger with or without CRF, or a masked-language
    model) to ``out_dir``: ``model.onnx``, the tokenizer, ``config.json``, a tagger's decoding matrices (.npy)
    and ``zhbert_export.json``; with ``quantize="int8"`` also ``model.int8.onnx``.

    Args:
        texts: the sample the export is verified on (default: ``SAMPLE_TEXTS``, a dozen Chinese sentences).
        overwrite: replace a non-empty ``out_dir``.
        allow_slow_int8: quantize on a CPU without int8 dot-product instructions (see ``quantize``).
        cpu_flags: the CPU's feature flags, for the int8 check (default: this CPU's, from /proc/cpuinfo).
        threads: ONNX Runtime threads for the checks (``zhbert.cores.choose_threads``).

    Raises:
        UsageError: not a kind zhbert exports; ``out_dir`` not empty; an unknown ``quantize``; int8 on a CPU
            without int8 instructions and without ``allow_slow_int8`` (the message gives the times measured).
        DataError: the graph disagrees with the PyTorch model on the sample, or int8 with float32.
        MissingExtraError: onnx or onnxruntime is not installed.
    """
    if quantize not in (None, "int8"):
        raise UsageError(f"quantize must be None or 'int8', got {quantize!r}", argument="quantize")
    out = Path(out_dir)
    _check_out(out, overwrite)
    model_source(model_dir)
    kind = model_kind(model_dir)
    ort = import_onnxruntime()
    import_onnx()
    sample = list(texts) if texts is not None else list(SAMPLE_TEXTS)
    if not sample or any(not isinstance(t, str) or not t.strip() for t in sample):
        raise UsageError("texts must be non-empty strings to verify the export on", argument="texts")

    from transformers import AutoTokenizer

    model = _load(model_dir, kind)
    tokenizer = load_pretrained(AutoTokenizer, model_dir)
    window = model_window(model, tokenizer)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    work.chmod(0o777 & ~umask)  # mkdtemp's 0o700 would outlive the rename
    try:
        exporter = export_graph(model, kind, work / FP32_GRAPH, int(model.config.vocab_size))
        batch = encode_sample(tokenizer, kind, sample, window)
        session, choice = open_session(work / FP32_GRAPH, threads)
        fp32 = SessionRunner(session)
        got = fp32(batch.input_ids, batch.attention_mask, batch.token_type_ids)
        decode: Any = None
        decoding: dict[str, Any] = {}
        if kind == "token-classification":
            decode, decoding = _decoding(model, work)
        check = compare(kind, batch, torch_logits(model, batch), got, decode)
        _require_agreement(check, "the ONNX graph", "the PyTorch model")
        info: dict[str, Any] = {
            "format": FORMAT,
            "kind": kind,
            "graphs": {"fp32": FP32_GRAPH},
            "inputs": {name: {"dtype": "int64", "shape": ["batch", "length"]} for name in INPUT_NAMES},
            "outputs": {"logits": _logits_shape(kind)},
            "max_length": window,
            "opset": OPSET,
            "exporter": exporter,
            "verification": {"fp32_vs_pytorch": check.as_dict(), "sample_texts": len(sample)},
            "versions": _versions(ort),
            "threads_checked_with": str(choice),
        }
        if decoding:
            info["decoding"] = decoding
            info["label_scheme"] = decoding["scheme"]
            info["crf"] = bool(decoding["crf"])
        if quantize == "int8":
            info["graphs"]["int8"] = INT8_GRAPH
            info["quantization"] = _int8(work, batch, kind, got, decode, fp32, threads, cpu_flags, allow_slow_int8)
            info["verification"]["int8_vs_fp32"] = info["quantization"].pop("check")
        tokenizer.save_pretrained(work)
        model.config.save_pretrained(work)
        (work / SIDECAR).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(out, kind, info)


def _decoding(model: Any, work: Path) -> tuple[Any, dict[str, Any]]:
    """Save a tagger's allowed-move masks (and its CRF's scores); its decoder for the checks."""
    from ..tagging.viterbi import scheme_constraints

    id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
    scheme, allowed_t = scheme_constraints(id2label)
    allowed = [t.numpy().astype(bool) for t in allowed_t]
    crf_module = getattr(model, "crf", None)
    crf = []
    if crf_module is not None:
        crf = [p.detach().float().numpy() for p in (crf_module.start, crf_module.transitions, crf_module.end)]
        # The CRF's own masks are what its decoding obeys; they were built from the same labels.
        allowed = [
            m.numpy().astype(bool)
            for m in (crf_module.start_allowed, crf_module.transitions_allowed, crf_module.end_allowed)
        ]
    for name, array in zip(ALLOWED_FILES + CRF_FILES[: len(crf)], allowed + crf, strict=True):
        np.save(work / name, array, allow_pickle=False)
    files = {"allowed": list(ALLOWED_FILES), "crf": list(CRF_FILES[: len(crf)]), "scheme": scheme}
    return decoder(id2label, scheme, allowed, crf), {**files, "emissions": "logits" if crf else "log_softmax(logits)"}


def _require_agreement(check: Comparison, got: str, expected: str, floor: float = 1.0) -> None:
    entities = check.entity_agreement if check.entity_agreement is not None else 1.0
    if (floor == 1.0 and check.max_abs_diff > FP32_MAX_ABS_DIFF) or min(check.label_agreement, entities) < floor:
        raise DataError(
            f"{got} and {expected} disagree on the sample: largest logit difference {check.max_abs_diff:.3g} "
            f"(allowed {FP32_MAX_ABS_DIFF:g}), labels agree {check.label_agreement:.1%}"
            + (f", entities {entities:.1%}" if check.entity_agreement is not None else "")
            + f" (needed {floor:.0%}); nothing was written"
        )


def _int8(
    work: Path,
    batch: Any,
    kind: str,
    fp32_logits: np.ndarray,
    decode: Any,
    fp32: SessionRunner,
    threads: int | None,
    flags: Iterable[str] | None,
    allow_slow: bool,
) -> dict[str, Any]:
    how = q.quantize_int8(work / FP32_GRAPH, work / INT8_GRAPH)
    int8 = SessionRunner(open_session(work / INT8_GRAPH, threads)[0])
    found = q.int8_instructions(flags)
    facts: dict[str, Any] = {"method": how, "weights": "int8", "cpu_int8_instructions": found}
    if not found:
        feeds = (batch.input_ids, batch.attention_mask, batch.token_type_ids)
        slow, fast = q.time_graph(lambda: int8(*feeds)), q.time_graph(lambda: fp32(*feeds))
        measured = f"int8 took {slow * 1e3:.1f} ms against float32's {fast * 1e3:.1f} ms on the sample"
        facts["measured_without_int8_instructions"] = measured
        if not allow_slow:
            raise UsageError(
                f"this CPU has none of {', '.join(q.INT8_INSTRUCTIONS)}, where ONNX Runtime's int8 runs fast and "
                f"exact: {measured}; allow it explicitly to quantize anyway (nothing was written)",
                argument="allow_slow_int8",
            )
    check = compare(kind, batch, fp32_logits, int8(batch.input_ids, batch.attention_mask, batch.token_type_ids), decode)
    _require_agreement(check, "the int8 graph", "the float32 graph", floor=INT8_MIN_AGREEMENT)
    facts["check"] = check.as_dict()
    return facts


def _logits_shape(kind: str) -> dict[str, Any]:
    last = {"sequence-classification": "labels", "token-classification": "labels", "masked-lm": "vocab"}[kind]
    shape = ["batch", last] if kind == "sequence-classification" else ["batch", "length", last]
    return {"dtype": "float32", "shape": shape}


def _versions(ort: Any) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import onnx
    import torch
    import transformers

    return {
        "zhbert": _installed(version, PackageNotFoundError),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": ort.__version__,
    }


def _installed(version: Any, missing: type[Exception]) -> str:
    try:
        return str(version("zhbert"))
    except missing:
        return "unknown"
