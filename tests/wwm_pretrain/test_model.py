from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModelForMaskedLM, BertForMaskedLM, Trainer, TrainingArguments

from wwm_pretrain.model import head_parameters, masked_cross_entropy, mlm_head_quality, with_sparse_mlm_loss
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


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("rows", [1, 31, 32, 75])  # chunks of 32 rows: none full, one, several with a remainder
def test_masked_cross_entropy_equals_float32_cross_entropy(dtype, rows):
    torch.manual_seed(rows)
    logits = (torch.randn(rows, 300) * 4).to(dtype).requires_grad_()
    targets = torch.randint(0, 300, (rows,))
    reference = logits.detach().float().requires_grad_()
    expected = torch.nn.functional.cross_entropy(reference, targets)
    got = masked_cross_entropy(logits, targets)
    assert got.dtype == torch.float32
    assert got.item() == pytest.approx(expected.item(), rel=1e-6)
    expected.backward()
    got.backward()
    assert logits.grad is not None and logits.grad.dtype == dtype
    tolerance = 1e-7 if dtype == torch.float32 else 4e-3 / rows  # bf16 keeps 8 bits of each gradient entry
    assert torch.allclose(logits.grad.float(), reference.grad, atol=tolerance, rtol=0.01)
    summed = masked_cross_entropy(logits.detach(), targets, num_items_in_batch=7)
    assert summed.item() == pytest.approx(expected.item() * rows / 7, rel=1e-6)


def test_masked_cross_entropy_under_autocast_leaves_the_logits_alone():
    logits = torch.randn(40, 50)
    before = logits.clone()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = masked_cross_entropy(logits.requires_grad_(), torch.zeros(40, dtype=torch.long))
    loss.backward()
    assert torch.equal(logits.detach(), before)  # backward works on its own float32 copy
    assert loss.dtype == torch.float32


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
