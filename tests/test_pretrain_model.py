from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModelForMaskedLM, BertForMaskedLM, Trainer, TrainingArguments

from wwm_pretrain.model import head_parameters, mlm_head_quality, with_sparse_mlm_loss
from wwm_pretrain.run import warm_up_head
from zhbert import JiebaSegmenter, WholeWordMaskCollator, wwm_features


@pytest.fixture(scope="module")
def batch(tokenizer, law_lines):
    feats = wwm_features(law_lines[:16], tokenizer, JiebaSegmenter(), max_length=96)
    return WholeWordMaskCollator(tokenizer, seed=0)(feats)


def test_sparse_loss_equals_dense_loss(tiny_mlm_dir, batch):
    dense = BertForMaskedLM.from_pretrained(tiny_mlm_dir)
    sparse = with_sparse_mlm_loss(BertForMaskedLM.from_pretrained(tiny_mlm_dir))
    dense.eval()
    sparse.eval()
    expected = dense(**batch).loss
    got = sparse(**batch)
    assert abs(got.loss.item() - expected.item()) < 1e-5
    masked = int((batch["labels"] != -100).sum())
    assert got.logits.shape == (masked, dense.config.vocab_size)
    # Gradients agree too.
    expected.backward()
    got.loss.backward()
    for (name, a), b in zip(dense.named_parameters(), sparse.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-6), name
    # Without labels the model answers as usual, with dense logits.
    plain = sparse(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    assert plain.logits.shape == (*batch["input_ids"].shape, dense.config.vocab_size)


def test_sparse_loss_with_token_count_and_with_nothing_masked(tiny_mlm_dir, batch):
    model = with_sparse_mlm_loss(BertForMaskedLM.from_pretrained(tiny_mlm_dir)).eval()
    n = int((batch["labels"] != -100).sum())
    mean = model(**batch).loss
    summed = model(**batch, num_items_in_batch=torch.tensor(2 * n)).loss
    assert torch.allclose(summed * 2, mean, atol=1e-5)
    empty = {**batch, "labels": torch.full_like(batch["labels"], -100)}
    out = model(**empty)
    assert out.loss.item() == 0.0 and out.logits.shape[0] == 0


def test_saved_checkpoint_is_plain(tiny_mlm_dir, tmp_path, batch):
    model = with_sparse_mlm_loss(BertForMaskedLM.from_pretrained(tiny_mlm_dir))
    assert type(model).__name__ == "BertForMaskedLM"
    model.save_pretrained(tmp_path / "saved")
    loaded = AutoModelForMaskedLM.from_pretrained(tmp_path / "saved")
    assert type(loaded) is BertForMaskedLM
    assert loaded.config.architectures == ["BertForMaskedLM"]
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_head_quality_tells_trained_from_untrained(tiny_mlm_dir, batch):
    model = BertForMaskedLM.from_pretrained(tiny_mlm_dir)
    loss, accuracy = mlm_head_quality(model, batch)
    assert loss > 0.9 * math.log(model.config.vocab_size) and accuracy < 0.01
    assert type(model) is BertForMaskedLM  # the probe leaves the model as it was


def test_head_warmup_trains_only_the_head(tiny_mlm_dir, tokenizer, law_lines, tmp_path):
    model = with_sparse_mlm_loss(BertForMaskedLM.from_pretrained(tiny_mlm_dir))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    feats = [{**f, "idx": i} for i, f in enumerate(wwm_features(law_lines[:64], tokenizer, JiebaSegmenter(), 64))]
    args = TrainingArguments(
        output_dir=str(tmp_path), report_to=[], use_cpu=True, per_device_train_batch_size=8,
        learning_rate=1e-2, remove_unused_columns=False, disable_tqdm=True,
    )  # fmt: skip

    def make_trainer(a):
        return Trainer(model=model, args=a, train_dataset=feats, data_collator=WholeWordMaskCollator(tokenizer, seed=0))

    warm_up_head(model, make_trainer, args, 3, head_parameters)
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith("cls.predictions.") for k in changed)
    assert "cls.predictions.decoder.weight" not in changed  # tied to the input embeddings
    assert all(p.requires_grad for p in model.parameters())
