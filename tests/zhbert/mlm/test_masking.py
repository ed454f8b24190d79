from __future__ import annotations

import datasets
import numpy as np
import pytest
import torch
from transformers import BertForMaskedLM, Trainer, TrainingArguments

from zhbert.errors import UsageError
from zhbert.mlm import WholeWordMaskCollator, WordIdsDataset
from zhbert.mlm.masking import choose_units, ngram_runs, word_positions

GOOD = {"input_ids": [101, 2000, 2001, 2002, 2003, 102], "word_ids": [-1, 0, 0, 1, 1, -1]}


@pytest.mark.parametrize(
    ("word_ids", "match"),
    [
        ([-1, 0, -3, -1], "feature 1 has a word id below -1"),
        ([-1, 1, 0, -1], "feature 1 has word ids that decrease along the row"),
        ([-1, 1, -1, 0], "feature 1 has word ids that decrease along the row"),
        # Below the batch's width (6) but not below the row's own length (4).
        ([-1, 0, 4, -1], "feature 1 has a word id of 4 or more, in a row of 4"),
    ],
)
def test_a_bad_feature_is_named_wherever_it_sits(tokenizer, word_ids, match):
    bad = {"input_ids": [101, 2000, 2001, 102], "word_ids": word_ids}
    collator = WholeWordMaskCollator(tokenizer, seed=0)
    with pytest.raises(UsageError, match=match):
        collator([GOOD, bad, GOOD])
    with pytest.raises(UsageError, match=match.replace("feature 1", "feature 0")):
        collator.mask_whole_words(torch.tensor([bad["input_ids"]]), torch.tensor([word_ids]))


def test_word_ids_that_skip_or_pause_are_accepted(tokenizer):
    # -1 inside a row (a pair's [SEP]), skipped numbers, rows whose numbers start below the row before's.
    rows = [
        {"input_ids": [101, 2000, 102, 2001, 2002, 102], "word_ids": [-1, 0, -1, 1, 3, -1]},
        {"input_ids": [101, 2003, 102], "word_ids": [-1, 0, -1]},
        {"input_ids": [101, 102], "word_ids": [-1, -1]},
        {"input_ids": [], "word_ids": []},
    ]
    batch = WholeWordMaskCollator(tokenizer, seed=0)(rows)
    assert batch["input_ids"].shape == (4, 6)
    assert (batch["labels"][2:] == -100).all() and (batch["attention_mask"][3] == 0).all()
    words, positions, units = word_positions(np.array([r["word_ids"] + [-1] * (6 - len(r["word_ids"])) for r in rows]),
                                             np.array([6, 3, 2, 0]))  # fmt: skip
    assert words.tolist() == [4, 1, 0, 0]
    assert positions.tolist() == [1, 3, 4, 7] and units.tolist() == [0, 1, 3, 4]


def test_a_bad_feature_is_refused_under_trainer(tiny_mlm_dir, tokenizer, tmp_path):
    rows = [GOOD] * 7 + [{"input_ids": [101, 2000, 2001, 102], "word_ids": [-1, 1, 0, -1]}]
    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=8, report_to=[], use_cpu=True,
        save_strategy="no", disable_tqdm=True,
    )  # fmt: skip
    trainer = Trainer(
        model=BertForMaskedLM.from_pretrained(tiny_mlm_dir),
        args=args,
        train_dataset=WordIdsDataset(datasets.Dataset.from_list(rows)),
        data_collator=WholeWordMaskCollator(tokenizer, seed=0),
    )
    with pytest.raises(UsageError, match=r"feature \d has word ids that decrease along the row"):
        trainer.train()


def test_columns_that_are_not_plain_lists(tokenizer):
    rows = datasets.Dataset.from_list(
        [
            {**GOOD, "attention_mask": [1, 1, 1, 1, 0, 0], "token_type_ids": [0, 0, 0, 1, 1, 1]},
            {**GOOD, "attention_mask": [1] * 6, "token_type_ids": [0] * 6},
        ]
    ).with_format("numpy")
    batch = WholeWordMaskCollator(tokenizer, seed=0)([rows[0], rows[1]])
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 0, 0], [1] * 6]
    assert batch["token_type_ids"].tolist() == [[0, 0, 0, 1, 1, 1], [0] * 6]
    assert batch["labels"].shape == (2, 6)


def test_choose_units_follows_the_sequential_rule():
    # Units of 3 and 1 maskable tokens, budget 2. Drawn 3 first: it crosses the budget, taken with p 2/3, and 1
    # comes too late; drawn 1 first: taken, then 3 crosses (1 < 2 < 4), taken with p 1/3. So each unit is taken
    # half the time, both a sixth of the time.
    rng = np.random.default_rng(0)
    size, rows = np.array([3, 1]), np.array([0, 0])
    taken = np.array([choose_units(size, rows, 0.5, rng) for _ in range(20_000)])
    assert np.allclose(taken.mean(axis=0), [0.5, 0.5], atol=0.02)
    assert abs((taken @ size).mean() - 2.0) < 0.05  # the budget, in expectation
    assert abs(taken.all(axis=1).mean() - 1 / 6) < 0.02
    # Units of one token each, budget 2 of 4: exactly two, every time; a unit with nothing to mask adds nothing.
    size, rows = np.array([1, 1, 0, 1, 1, 5]), np.array([0, 0, 0, 0, 0, 1])
    for _ in range(100):
        chosen = choose_units(size, rows, 0.5, rng)
        assert chosen[[0, 1, 3, 4]].sum() == 2 and chosen[5] in (True, False)


def test_ngram_runs_cut_each_row_into_runs():
    rng = np.random.default_rng(0)
    words = np.array([5, 0, 200, 1])
    cum = np.array([0.4, 0.7, 0.9, np.inf])
    run_of_word, run_rows = ngram_runs(words, cum, rng)
    assert run_of_word.size == words.sum() and run_of_word[0] == 0
    assert (np.diff(run_of_word) >= 0).all() and (np.diff(run_of_word) <= 1).all()
    lengths = np.bincount(run_of_word)
    assert lengths.max() <= 4 and run_rows.size == lengths.size
    firsts = np.cumsum(words) - words
    assert run_rows[run_of_word[firsts[words > 0]]].tolist() == [0, 2, 3]  # runs never cross rows
