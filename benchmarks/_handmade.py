"""What a user writes by hand to run a fine-tuned BERT without zhbert: the plain transformers model exported
with ``torch.onnx.export``, quantized with ``onnxruntime.quantization.quantize_dynamic``, run in ONNX Runtime on
batches in their given order padded to the longest, and read back with argmax, with seqeval's lenient
``get_entities``, or with a NumPy Viterbi held to the BIOES rules (no learned transitions: plain loading has
none). Nothing here imports zhbert, so the comparison measures what a user without it gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(model_dir: Path, auto_class: str, out: Path) -> Path:
    """``model_dir`` loaded with plain transformers ``auto_class`` and exported as the tutorials show: dynamic batch
    and sequence axes, logits out."""
    import torch
    import transformers

    model = getattr(transformers, auto_class).from_pretrained(str(model_dir), dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    sample = tokenizer(["今天天气很好。", "好"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        tuple(sample[name] for name in INPUTS),
        str(out),
        input_names=list(INPUTS),
        output_names=["logits"],
        dynamic_axes={**axes, "logits": {0: "batch"}},
        opset_version=17,
        verbose=False,
    )
    return out


def quantize_int8(fp32: Path, out: Path) -> Path:
    """The exported graph with int8 weights and dynamically quantized activations (onnxruntime's default)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    return out


class OrtModel:
    """An ONNX Runtime session on ``threads`` threads and the model's tokenizer: texts in, logits out."""

    def __init__(self, graph: Path, model_dir: Path, threads: int, max_length: int) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.max_length = max_length

    def run(self, texts: list[str], offsets: bool = False) -> tuple[np.ndarray, Any]:
        """Logits ``(B, T, labels)`` or ``(B, labels)`` for ``texts`` padded to the longest, and the encoding."""
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np",
                             return_offsets_mapping=offsets)  # fmt: skip
        feed = {name: enc[name].astype(np.int64) for name in INPUTS}
        return self.session.run(["logits"], feed)[0], enc


def classify(model: OrtModel, id2label: dict[int, str], texts: list[str]) -> list[str]:
    logits, _ = model.run(texts)
    return [id2label[int(i)] for i in logits.argmax(-1)]


def bioes_rules(labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which labels may start a sentence, follow one another ``(from, to)``, and end it, in BIOES."""

    def split(label: str) -> tuple[str, str]:
        return ("O", "") if label == "O" else (label[0], label[2:])

    parts = [split(label) for label in labels]
    start = np.array([p in ("O", "B", "S") for p, _ in parts])
    end = np.array([p in ("O", "E", "S") for p, _ in parts])
    moves = np.zeros((len(labels), len(labels)), dtype=bool)
    for i, (p, kind) in enumerate(parts):
        for j, (q, other) in enumerate(parts):
            inside = p in ("B", "I")  # an entity is open: only its own I- or E- may follow
            moves[i, j] = (q in ("I", "E") and other == kind) if inside else q in ("O", "B", "S")
    return start, moves, end


def viterbi(log_probs: np.ndarray, lengths: np.ndarray, rules: tuple[np.ndarray, ...]) -> list[list[int]]:
    """The best path of each row of ``log_probs`` ``(B, T, L)`` (its first ``lengths[b]`` positions) among those
    the rules allow, every row of the batch stepped at once."""
    start, moves, end = (np.where(r, 0.0, -np.inf) for r in rules)
    batch, steps, labels = log_probs.shape
    score = log_probs[:, 0] + start  # (B, L)
    back = np.broadcast_to(np.arange(labels), (batch, steps, labels)).copy()  # padded steps point to themselves
    for t in range(1, steps):
        candidates = score[:, :, None] + moves[None]  # (B, from, to)
        best = candidates.argmax(1)  # (B, L)
        stepped = np.take_along_axis(candidates, best[:, None, :], 1)[:, 0] + log_probs[:, t]
        live = (t < lengths)[:, None]
        score = np.where(live, stepped, score)
        back[:, t] = np.where(live, best, back[:, t])
    last = (score + end).argmax(1)  # (B,)
    path = np.empty((batch, steps), dtype=np.int64)
    path[:, -1] = last
    for t in range(steps - 1, 0, -1):
        path[:, t - 1] = back[np.arange(batch), t, path[:, t]]
    return [row[:n].tolist() for row, n in zip(path, lengths, strict=True)]


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def token_tags(logits: np.ndarray, mask: np.ndarray, labels: list[str], rules: Any = None) -> list[list[str]]:
    """The tag of every text token ([CLS] and [SEP] dropped): argmax, or the Viterbi path under ``rules``."""
    lengths = mask.sum(1) - 2
    body = logits[:, 1:]  # (B, T - 1, L): the text tokens first, then [SEP] and padding, never read
    if rules is None:
        ids = [row[:n].tolist() for row, n in zip(body.argmax(-1), lengths, strict=True)]
    else:
        ids = viterbi(log_softmax(body.astype(np.float64)), lengths, rules)
    return [[labels[i] for i in row] for row in ids]


def char_spans(tags: list[str], offsets: np.ndarray) -> list[tuple[int, int, str]]:
    """Entities read from one text's token tags with seqeval's lenient ``get_entities``, as character spans."""
    from seqeval.metrics.sequence_labeling import get_entities

    # offsets (T, 2) of the whole row: [CLS] first, so token i of the text sits at row i + 1.
    return [(int(offsets[a + 1][0]), int(offsets[b + 1][1]), kind) for kind, a, b in get_entities(list(tags))]


def tag(model: OrtModel, labels: list[str], texts: list[str], rules: Any = None) -> list[list[tuple[int, int, str]]]:
    """Entities of each text from the ONNX graph: argmax (``rules`` None) or the constrained Viterbi."""
    logits, enc = model.run(texts, offsets=True)
    tags = token_tags(logits, enc["attention_mask"], labels, rules)
    return [char_spans(t, o) for t, o in zip(tags, enc["offset_mapping"], strict=True)]
