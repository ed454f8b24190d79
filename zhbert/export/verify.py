"""An export checks itself: the graph and the PyTorch model on a sample, their logits and their labels compared.

``outputs`` runs one padded batch of the sample through either side; ``compare`` says how far apart two runs are:
the largest absolute difference of the logits at real positions, and the share of labels that agree (a
classifier's label per text, a tagger's decoded label per token and its entities per text, a masked-language
model's top token at each ``[MASK]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tagging.numpy_viterbi import decoding_scores, log_softmax, viterbi
from ..tagging.schemes import tags_to_spans

__all__ = ["SAMPLE_TEXTS", "Batch", "Comparison", "compare", "decoder", "encode_sample", "torch_logits"]

# Reviews, news and résumé lines of different lengths, with names, places and organisations in them.
SAMPLE_TEXTS = (
    "味道很好，送餐也很快，下次还会再点。",
    "房间太小了，隔音很差，整晚都睡不好。",
    "李明于2019年加入北京大学计算机系，任副教授。",
    "新华社上海三月五日电，国务院总理在人民大会堂作政府工作报告。",
    "张伟，男，汉族，中国国籍，无境外永久居留权，本科学历。",
    "快递员态度恶劣，东西也坏了。",
    "这家酒店位于杭州西湖边，服务周到，早餐丰富，性价比很高，强烈推荐给大家！",
    "中国人民银行决定下调金融机构存款准备金率。",
    "王芳在深圳腾讯公司工作了五年。",
    "一般",
    "联合国秘书长古特雷斯周二抵达日内瓦，出席人权理事会会议并发表讲话。",
    "手机用了两天就死机，客服也不理人，退货还要自己出运费，非常失望。",
)


@dataclass(frozen=True)
class Batch:
    """The sample as one right-padded batch (int64, (B, T)), and where the masked-language model's masks are."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    masks: np.ndarray  # (B, T) bool: [MASK] positions (all False for other kinds)


@dataclass(frozen=True)
class Comparison:
    texts: int
    max_abs_diff: float
    label_agreement: float
    labels_compared: int
    entity_agreement: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        out["max_abs_diff"] = float(f"{self.max_abs_diff:.3g}")
        return out


def encode_sample(tokenizer: Any, kind: str, texts: Sequence[str], max_length: int) -> Batch:
    """The texts tokenized for ``kind``: a masked-language model gets a ``[MASK]`` over every fourth token."""
    enc = tokenizer(list(texts), truncation=True, max_length=max_length, padding=True, return_tensors="np")
    ids = enc["input_ids"].astype(np.int64)
    mask = enc["attention_mask"].astype(np.int64)
    types = enc.get("token_type_ids", np.zeros_like(ids)).astype(np.int64)
    masks = np.zeros(ids.shape, bool)
    if kind == "masked-lm":
        special = np.isin(ids, np.asarray(tokenizer.all_special_ids))
        masks = (np.arange(ids.shape[1])[None, :] % 4 == 2) & (mask == 1) & ~special
        ids = np.where(masks, tokenizer.mask_token_id, ids)
    return Batch(ids, mask, types, masks)


def torch_logits(model: Any, batch: Batch) -> np.ndarray:
    """The PyTorch model's float32 logits for ``batch``."""
    import torch

    with torch.inference_mode():
        out = model(
            input_ids=torch.from_numpy(batch.input_ids),
            attention_mask=torch.from_numpy(batch.attention_mask),
            token_type_ids=torch.from_numpy(batch.token_type_ids),
        ).logits
    return out.float().numpy()


def decoder(
    id2label: dict[int, str], scheme: str, allowed: Sequence[np.ndarray], crf: Sequence[np.ndarray]
) -> Callable[[np.ndarray, np.ndarray], tuple[list[list[int]], list[list[tuple[int, int, str]]]]]:
    """A tagger's decoder for (B, T, L) logits: label paths over each row's text tokens and their entity spans."""
    start, trans, end = decoding_scores(allowed, crf or None)

    def decode(logits: np.ndarray, attention_mask: np.ndarray) -> Any:
        emissions = logits[:, 1:] if crf else log_softmax(logits[:, 1:])  # drop [CLS]
        lengths = attention_mask.sum(axis=1) - 2  # drop [CLS] and [SEP]
        paths = viterbi(np.ascontiguousarray(emissions), lengths, start, trans, end)
        spans = [tags_to_spans([id2label[i] for i in path], scheme, fix=True) for path in paths]
        return paths, spans

    return decode


def compare(kind: str, batch: Batch, expected: np.ndarray, got: np.ndarray, decode: Any = None) -> Comparison:
    """How far ``got`` (logits of the graph) lies from ``expected`` (of the reference) on ``batch``."""
    real = batch.attention_mask.astype(bool)
    if kind == "sequence-classification":
        diff = float(np.abs(expected - got).max())
        same = expected.argmax(-1) == got.argmax(-1)
        return Comparison(len(real), diff, float(same.mean()), int(same.size))
    diff = float(np.abs(expected - got)[real].max())
    if kind == "masked-lm":
        same = expected.argmax(-1)[batch.masks] == got.argmax(-1)[batch.masks]
        return Comparison(len(real), diff, float(same.mean()) if same.size else 1.0, int(same.size))
    paths_a, spans_a = decode(expected, batch.attention_mask)
    paths_b, spans_b = decode(got, batch.attention_mask)
    tokens = sum(len(p) for p in paths_a)
    agree = sum(x == y for a, b in zip(paths_a, paths_b, strict=True) for x, y in zip(a, b, strict=True))
    entities = sum(a == b for a, b in zip(spans_a, spans_b, strict=True)) / max(len(spans_a), 1)
    return Comparison(len(real), diff, agree / max(tokens, 1), tokens, entities)
