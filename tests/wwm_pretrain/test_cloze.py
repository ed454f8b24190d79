"""wwm_pretrain.cloze: the fixed-mask cloze test, on real text and against a hand count."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from wwm_pretrain.cloze import heldout_cloze


def test_cloze_test_masks_single_characters_with_mask_only(tiny_mlm_dir, tmp_path, law_lines):
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("\n".join(law_lines[:40]) + "\n\n" + "\n".join(law_lines[40:80]) + "\n", encoding="utf-8")
    result = heldout_cloze(tiny_mlm_dir, heldout, batch_size=16)
    characters = sum(len(line) for line in law_lines[:80])
    assert 0.1 * characters < result["masked_positions"] < 0.2 * characters
    assert 0.0 <= result["cloze_accuracy"] <= 1.0 and result["cloze_loss"] > 0
    assert 0.0 < result["commonest_character_accuracy"] < 0.2
    assert heldout_cloze(tiny_mlm_dir, heldout, batch_size=16) == result  # the masks follow the seed


@pytest.fixture(scope="module")
def always_jia(tmp_path_factory, tiny_mlm_dir, tokenizer) -> tuple[Path, float]:
    """The tiny model made to answer 甲 at every position: its output weights zero, its output bias ``BIAS`` for
    甲 and 0 for every other token. Returns its folder and the bias."""
    import torch
    from transformers import BertForMaskedLM

    bias = 4.0
    model = BertForMaskedLM.from_pretrained(tiny_mlm_dir)
    head = model.cls.predictions
    with torch.no_grad():
        head.decoder.weight.zero_()
        head.decoder.bias.zero_()
        head.decoder.bias[tokenizer.convert_tokens_to_ids("甲")] = bias
        head.bias.copy_(head.decoder.bias)
    path = tmp_path_factory.mktemp("always-jia")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path, bias


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_cloze_figures_match_a_hand_count(always_jia, tmp_path, batch_size):
    # Three documents of 20 characters, one block each; 15% of 20 is exactly 3 masked characters a block:
    # 3 of the 9 masked characters are 甲, which the model always answers.
    model_dir, bias = always_jia
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("甲" * 20 + "\n\n" + "乙" * 20 + "\n\n" + "乙" * 20 + "\n", encoding="utf-8")
    result = heldout_cloze(model_dir, heldout, batch_size=batch_size)
    assert result["masked_positions"] == 9
    assert result["cloze_accuracy"] == pytest.approx(3 / 9)  # weighted by masked positions, not per batch
    assert result["commonest_character_accuracy"] == pytest.approx(6 / 9)  # always 乙
    vocab_size = 21128
    normaliser = math.exp(bias) + vocab_size - 1
    loss_jia, loss_yi = -math.log(math.exp(bias) / normaliser), -math.log(1 / normaliser)
    assert result["cloze_loss"] == pytest.approx((3 * loss_jia + 6 * loss_yi) / 9, rel=1e-5)
