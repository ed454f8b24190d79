from __future__ import annotations

import math

import datasets
import numpy as np
import pytest
import torch
from transformers import BertForMaskedLM, Trainer, TrainingArguments

from zhbert.mlm import WholeWordMaskCollator, WordIdsDataset
from zhbert.text import JiebaSegmenter, wwm_features


@pytest.fixture(scope="module")
def law_features(tokenizer, law_lines):
    return wwm_features(law_lines, tokenizer, JiebaSegmenter(), max_length=128)


def masking_stats(collator, features, batch_size=32):
    """Counts over all batches, checking whole words and special tokens on the way."""
    tok = collator.tokenizer
    special = torch.tensor(tok.all_special_ids)
    totals = dict(maskable=0, masked=0, as_mask=0, unchanged=0, random=0, partial_words=0, special_masked=0)
    for lo in range(0, len(features), batch_size):
        chunk = features[lo : lo + batch_size]
        padded = collator._pad(chunk)
        batch = collator(chunk)
        ids, words, labels, out = padded["input_ids"], padded["word_ids"], batch["labels"], batch["input_ids"]
        maskable = (words >= 0) & ~torch.isin(ids, special)
        masked = labels != -100
        assert torch.equal(labels[masked], ids[masked])
        totals["special_masked"] += int((masked & ~maskable).sum())
        totals["maskable"] += int(maskable.sum())
        totals["masked"] += int(masked.sum())
        totals["as_mask"] += int((masked & (out == tok.mask_token_id)).sum())
        totals["unchanged"] += int((masked & (out == ids)).sum())
        totals["random"] += int((masked & (out != ids) & (out != tok.mask_token_id)).sum())
        # A word is masked whole: among its maskable tokens, all or none are masked.
        for row in range(ids.shape[0]):
            for w in words[row][words[row] >= 0].unique():
                sel = (words[row] == w) & maskable[row]
                n = int(masked[row][sel].sum())
                totals["partial_words"] += 0 < n < int(sel.sum())
    return totals


def test_acceptance_statistics_on_legal_corpus(tokenizer, law_features):
    stats = masking_stats(WholeWordMaskCollator(tokenizer, seed=0), law_features)
    assert stats["partial_words"] == 0
    assert stats["special_masked"] == 0
    assert abs(stats["masked"] / stats["maskable"] - 0.15) <= 0.01
    assert abs(stats["as_mask"] / stats["masked"] - 0.80) <= 0.02
    assert abs(stats["random"] / stats["masked"] - 0.10) <= 0.02
    assert abs(stats["unchanged"] / stats["masked"] - 0.10) <= 0.02


@pytest.mark.parametrize("max_ngram", [2, 4])
def test_ngram_masking_keeps_words_whole_and_the_rate(tokenizer, law_features, max_ngram):
    collator = WholeWordMaskCollator(tokenizer, seed=1, max_ngram=max_ngram)
    stats = masking_stats(collator, law_features[:1000])
    assert stats["partial_words"] == 0
    assert abs(stats["masked"] / stats["maskable"] - 0.15) <= 0.01


def masked_run_lengths(collator, features):
    runs = []
    for lo in range(0, len(features), 32):
        chunk = features[lo : lo + 32]
        words = collator._pad(chunk)["word_ids"]
        labels = collator(chunk)["labels"]
        for row in range(words.shape[0]):
            masked_words = sorted(set(words[row][labels[row] != -100].tolist()))
            run = 0
            for i, w in enumerate(masked_words):
                run = run + 1 if i and w == masked_words[i - 1] + 1 else 1
                if i == len(masked_words) - 1 or masked_words[i + 1] != w + 1:
                    runs.append(run)
    return np.mean(runs)


def test_ngram_masking_masks_longer_runs(tokenizer, law_features):
    single = masked_run_lengths(WholeWordMaskCollator(tokenizer, seed=2), law_features[:500])
    ngram = masked_run_lengths(WholeWordMaskCollator(tokenizer, seed=2, max_ngram=4), law_features[:500])
    assert ngram > single + 0.5


def test_single_tokens_cloze_masks_tokens_alone_and_all_as_mask(tokenizer, law_features):
    cloze = WholeWordMaskCollator(tokenizer, seed=0, mask_replace_prob=1.0, random_replace_prob=0.0, single_tokens=True)
    stats = masking_stats(cloze, law_features)
    assert stats["special_masked"] == 0
    assert abs(stats["masked"] / stats["maskable"] - 0.15) <= 0.01
    assert stats["as_mask"] == stats["masked"]
    # Multi-token words are now masked in part: the whole-word collator never does that (partial_words 0 above).
    assert stats["partial_words"] > 100


def test_replace_per_word(tokenizer, law_features):
    collator = WholeWordMaskCollator(tokenizer, seed=3, replace_per_word=True)
    for lo in range(0, 320, 32):
        chunk = law_features[lo : lo + 32]
        words = collator._pad(chunk)["word_ids"]
        batch = collator(chunk)
        as_mask = batch["input_ids"] == tokenizer.mask_token_id
        masked = batch["labels"] != -100
        for row in range(words.shape[0]):
            for w in words[row][masked[row]].unique():
                sel = (words[row] == w) & masked[row]
                assert as_mask[row][sel].all() or not as_mask[row][sel].any()


def test_padding_and_columns(tokenizer, law_features):
    collator = WholeWordMaskCollator(tokenizer, seed=0, pad_to_multiple_of=8)
    chunk = [law_features[0], {**law_features[1], "input_ids": law_features[1]["input_ids"][:5],
                               "attention_mask": [1] * 5, "token_type_ids": [0] * 5,
                               "word_ids": law_features[1]["word_ids"][:5]}]  # fmt: skip
    batch = collator(chunk)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels"}
    assert batch["input_ids"].shape[1] % 8 == 0
    padded = collator._pad(chunk)
    assert (padded["word_ids"][1, 5:] == -1).all()
    assert (batch["input_ids"][1, 5:] == tokenizer.pad_token_id).all()
    assert (batch["attention_mask"][1, 5:] == 0).all() and (batch["labels"][1, 5:] == -100).all()
    # Features without token_type_ids / attention_mask are padded too.
    bare = [{"input_ids": f["input_ids"], "word_ids": f["word_ids"]} for f in law_features[:3]]
    out = collator(bare)
    assert out["token_type_ids"].sum() == 0
    assert out["attention_mask"].sum() == sum(len(f["input_ids"]) for f in bare)


def test_seed_reproduces_and_differs(tokenizer, law_features):
    chunk = law_features[:32]
    a = WholeWordMaskCollator(tokenizer, seed=5)(chunk)
    b = WholeWordMaskCollator(tokenizer, seed=5)(chunk)
    c = WholeWordMaskCollator(tokenizer, seed=6)(chunk)
    assert torch.equal(a["labels"], b["labels"]) and torch.equal(a["input_ids"], b["input_ids"])
    assert not torch.equal(a["labels"], c["labels"])
    torch.manual_seed(0)
    d = WholeWordMaskCollator(tokenizer)(chunk)
    torch.manual_seed(0)
    e = WholeWordMaskCollator(tokenizer)(chunk)
    assert torch.equal(d["labels"], e["labels"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mlm_probability": 0.0}, "mlm_probability"),
        ({"mlm_probability": 1.5}, "mlm_probability"),
        ({"mask_replace_prob": -0.1}, "mask_replace_prob"),
        ({"random_replace_prob": 2}, "random_replace_prob"),
        ({"mask_replace_prob": 0.8, "random_replace_prob": 0.3}, "must not exceed 1"),
        ({"max_ngram": 0}, "max_ngram"),
        ({"max_ngram": 5}, "ngram_weights must be given"),
        ({"max_ngram": 2, "ngram_weights": [1.0]}, "needs 2 weights"),
        ({"max_ngram": 2, "ngram_weights": [1.0, -1.0]}, "non-negative"),
        ({"pad_to_multiple_of": 0}, "pad_to_multiple_of"),
        ({"seed": "1"}, "seed"),
    ],
)
def test_validation_names_the_argument(tokenizer, kwargs, match):
    with pytest.raises(ValueError, match=match):
        WholeWordMaskCollator(tokenizer, **kwargs)


def test_missing_word_ids_is_explained(tokenizer):
    with pytest.raises(ValueError, match=r"feature 0 has no 'word_ids'.*WordIdsDataset"):
        WholeWordMaskCollator(tokenizer)([{"input_ids": [101, 872, 102]}])
    with pytest.raises(ValueError, match="word_ids has 2 entries but input_ids has 3"):
        WholeWordMaskCollator(tokenizer)([{"input_ids": [101, 872, 102], "word_ids": [-1, 0]}])


class RepeatDataset(torch.utils.data.Dataset):
    def __init__(self, feature, n):
        self.feature, self.n = feature, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.feature


def worker_batches(collator, feature):
    torch.manual_seed(123)
    loader = torch.utils.data.DataLoader(RepeatDataset(feature, 16), batch_size=4, num_workers=2, collate_fn=collator)
    return [batch["labels"] for batch in loader]


@pytest.mark.parametrize("seed", [None, 7])
def test_dataloader_workers_get_distinct_reproducible_streams(tokenizer, law_features, seed):
    feature = max(law_features[:50], key=lambda f: len(f["input_ids"]))
    collator = WholeWordMaskCollator(tokenizer, seed=seed)
    first = worker_batches(collator, feature)
    again = worker_batches(collator, feature)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    # Batches 0 and 1 come from different workers and hold the same feature: their masks must differ.
    assert not torch.equal(first[0], first[1])


def test_batch_goes_straight_into_the_model(tiny_mlm_dir, tokenizer, law_features):
    model = BertForMaskedLM.from_pretrained(tiny_mlm_dir)
    loss = model(**WholeWordMaskCollator(tokenizer, seed=0)(law_features[:8])).loss
    assert math.isfinite(loss.item())


def trainer_for(tiny_mlm_dir, tokenizer, train_dataset, tmp_path, **args):
    model = BertForMaskedLM.from_pretrained(tiny_mlm_dir)
    training_args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=3,
        per_device_train_batch_size=8,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
        **args,
    )
    collator = WholeWordMaskCollator(tokenizer, seed=0)
    return Trainer(model=model, args=training_args, train_dataset=train_dataset, data_collator=collator)


def test_trainer_keeps_word_ids_with_default_arguments(tiny_mlm_dir, tokenizer, law_features, tmp_path):
    dataset = datasets.Dataset.from_list(law_features[:64])
    result = trainer_for(tiny_mlm_dir, tokenizer, WordIdsDataset(dataset), tmp_path).train()
    assert result.global_step == 3 and math.isfinite(result.training_loss)
    # Without the wrapper, Trainer drops word_ids: the collator says so instead of masking wrongly.
    with pytest.raises(ValueError, match="has no 'word_ids'"):
        trainer_for(tiny_mlm_dir, tokenizer, dataset, tmp_path).train()
    # Or keep every column.
    result = trainer_for(tiny_mlm_dir, tokenizer, dataset, tmp_path, remove_unused_columns=False).train()
    assert result.global_step == 3


def test_example_ids_make_masking_a_function_of_the_batch(tokenizer, law_features):
    rows = [{**f, "idx": i} for i, f in enumerate(law_features[:64])]
    collator = WholeWordMaskCollator(tokenizer, seed=11)
    first = collator(rows[:32])
    collator(rows[32:])  # whatever came before does not matter
    again = collator(rows[:32])
    assert torch.equal(first["labels"], again["labels"]) and torch.equal(first["input_ids"], again["input_ids"])
    other = WholeWordMaskCollator(tokenizer, seed=12)(rows[:32])
    assert not torch.equal(first["labels"], other["labels"])
    shifted = collator([{**r, "idx": r["idx"] + 1000} for r in rows[:32]])
    assert not torch.equal(first["labels"], shifted["labels"])
