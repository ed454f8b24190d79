"""The fixed-mask cloze test of a masked-language model on held-out text: the same blocks and the same masked
characters for every model, so two models' figures compare. The demo's model build and the whole-word-masking
study both report it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

__all__ = ["heldout_cloze"]


def heldout_cloze(model_dir: Path, heldout: Path, *, seed: int = 0, batch_size: int = 64) -> dict[str, float]:
    """Cloze test of a masked-language model on held-out text: 15% of the characters of 128-token blocks, each
    replaced by [MASK] alone (no kept or random tokens).

    Args:
        model_dir: the masked-language model's folder.
        heldout: ``wwm-pretrain``'s .txt format (a paragraph a line, a blank line between documents).
        seed: which characters are masked; the same seed masks the same characters.
        batch_size: blocks per forward pass (the figures do not depend on it).

    Returns:
        The accuracy, the loss, the number of masked positions, and the accuracy of always answering the
        commonest masked character (a unigram guesser's best).
    """
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from zhbert.mlm import WholeWordMaskCollator
    from zhbert.text import CharSegmenter

    from .corpus import pack_units
    from .model import mlm_head_quality

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForMaskedLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    units = [doc for doc in heldout.read_text(encoding="utf-8").split("\n\n") if doc.strip()]
    packed = pack_units(units, tokenizer, CharSegmenter(), 128)
    columns = list(packed.values())
    rows = [{**{k: c[i] for k, c in zip(packed, columns, strict=True)}, "idx": i} for i in range(len(columns[0]))]
    collator = WholeWordMaskCollator(
        tokenizer, mask_replace_prob=1.0, random_replace_prob=0.0, single_tokens=True, seed=seed
    )
    correct = loss = 0.0
    masked = 0
    targets: Counter[int] = Counter()
    for start in range(0, len(rows), batch_size):
        batch = collator(rows[start : start + batch_size])
        labels = batch["labels"][batch["labels"] != -100]
        if not labels.numel():
            continue
        batch_loss, accuracy = mlm_head_quality(model, batch)
        correct += accuracy * labels.numel()
        loss += batch_loss * labels.numel()
        masked += labels.numel()
        targets.update(labels.tolist())
    commonest = targets.most_common(1)[0][1] if targets else 0
    return {
        "cloze_accuracy": correct / max(masked, 1),
        "cloze_loss": loss / max(masked, 1),
        "masked_positions": masked,
        "commonest_character_accuracy": commonest / max(masked, 1),
    }
