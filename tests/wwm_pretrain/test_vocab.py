from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, BertConfig, BertForMaskedLM

from tests.wwm_pretrain.test_run import tiny_args
from wwm_pretrain.model import init_sinusoidal_positions
from wwm_pretrain.run import main as pretrain_main
from wwm_pretrain.vocab import PRUNED_VOCAB_FILE, count_tokens, main, prune_vocab, save_pruned_tokenizer
from zhbert.errors import UsageError


@pytest.fixture(scope="module")
def pruned_dir(tmp_path_factory, tokenizer, law_lines):
    out = tmp_path_factory.mktemp("pruned")
    counts = count_tokens(tokenizer, law_lines)
    save_pruned_tokenizer(tokenizer, prune_vocab(tokenizer, counts, 1), out, source="bert-base-chinese")
    return out


def test_pruned_vocab_keeps_specials_and_used_tokens_in_the_original_order(pruned_dir, tokenizer, law_lines):
    pruned = AutoTokenizer.from_pretrained(str(pruned_dir))
    record = json.loads((pruned_dir / PRUNED_VOCAB_FILE).read_text(encoding="utf-8"))
    original_ids = record["original_ids"]
    assert len(pruned) == record["size"] == len(original_ids) < record["original_size"] == len(tokenizer)
    assert original_ids == sorted(original_ids)
    assert pruned.convert_ids_to_tokens(list(range(len(pruned)))) == tokenizer.convert_ids_to_tokens(original_ids)
    for name in ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"):
        assert getattr(pruned, name) == getattr(tokenizer, name)
        assert original_ids[getattr(pruned, f"{name}_id")] == getattr(tokenizer, f"{name}_id")
    # Every token of the corpus is kept, so the corpus tokenizes exactly as before, through the id mapping.
    for line in law_lines[:200]:
        old = tokenizer(line)["input_ids"]
        new = pruned(line)["input_ids"]
        assert [original_ids[i] for i in new] == old
    # A character the corpus never used is unknown to the pruned vocabulary only.
    assert not any("鲸" in line for line in law_lines)
    assert tokenizer.tokenize("鲸") == ["鲸"] and pruned.tokenize("鲸") == ["[UNK]"]


def test_min_count_drops_rare_tokens(tokenizer):
    counts = count_tokens(tokenizer, ["甲甲乙", "甲", "", "丙"])
    keep = prune_vocab(tokenizer, counts, 2)
    assert tokenizer.convert_tokens_to_ids("甲") in keep
    assert tokenizer.convert_tokens_to_ids("乙") not in keep
    assert set(tokenizer.all_special_ids) <= set(keep)
    with pytest.raises(UsageError, match="min_count must be at least 1"):
        prune_vocab(tokenizer, counts, 0)


def test_command_line(tmp_path, capsys, law_txt):
    out = tmp_path / "vocab"
    args = ["--tokenizer", "bert-base-chinese-missing", "--output_dir", str(out), str(law_txt)]
    assert main(args) == 2
    assert "no such model directory" in capsys.readouterr().err
    from zhbert.resources import BERT_BASE_CHINESE_DIR

    args[1] = str(BERT_BASE_CHINESE_DIR)
    assert main([*args[:-1], str(tmp_path / "absent.txt")]) == 2
    err = capsys.readouterr().err
    assert "absent.txt: no such corpus file" in err and "Traceback" not in err
    assert not out.exists() or not (out / "vocab.txt").exists()
    assert main(args) == 0
    assert "tokens kept" in capsys.readouterr().out
    assert len(AutoTokenizer.from_pretrained(str(out))) == len((out / "vocab.txt").read_text().splitlines())


def test_pretraining_from_scratch_sizes_the_embedding_to_the_pruned_vocab(pruned_dir, tiny_config_dir, law_txt,
                                                                         tmp_path, capsys):  # fmt: skip
    args = tiny_args(tiny_config_dir, law_txt, tmp_path / "out", tmp_path / "cache", "--max_steps", "2")
    args[args.index("--tokenizer_name") + 1] = str(pruned_dir)
    extra = ["--save_strategy", "no", "--max_eval_samples", "4", "--attn_implementation", "eager"]
    assert pretrain_main([*args, *extra, "--position_init", "sinusoidal"]) == 0
    model = AutoModelForMaskedLM.from_pretrained(str(tmp_path / "out"))
    # Two steps later the position table is still the sines and cosines it started from.
    reference = BertForMaskedLM(model.config)
    init_sinusoidal_positions(reference)
    start = reference.bert.embeddings.position_embeddings.weight.flatten()
    trained = model.bert.embeddings.position_embeddings.weight.flatten()
    assert torch.corrcoef(torch.stack([start, trained]))[0, 1] > 0.99
    assert model.config.vocab_size == len(AutoTokenizer.from_pretrained(str(tmp_path / "out")))
    assert model.get_input_embeddings().weight.shape[0] == model.config.vocab_size
    bad = tiny_args(tiny_config_dir, law_txt, tmp_path / "out2", tmp_path / "cache", "--max_steps", "1")
    assert pretrain_main([*bad, "--attn_implementation", "fastest"]) == 2
    err = capsys.readouterr().err
    assert "'fastest' is not an attention implementation" in err and "(see --attn_implementation)" in err
    on_checkpoint = ["--model_name_or_path", str(tmp_path / "out"), *bad[2:], "--position_init", "sinusoidal"]
    assert pretrain_main(on_checkpoint) == 2
    err = capsys.readouterr().err
    assert "position_init applies to training from scratch (config_name)" in err and "(see --position_init)" in err


def test_sinusoidal_positions_are_sines_and_cosines_at_the_initializer_scale():
    config = BertConfig(hidden_size=64, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                        vocab_size=40, max_position_embeddings=32)  # fmt: skip
    model = BertForMaskedLM(config)
    init_sinusoidal_positions(model)
    table = model.bert.embeddings.position_embeddings.weight.detach()
    assert table.std().item() == pytest.approx(0.02, rel=1e-4)
    ratio = table[5, 0] / torch.sin(torch.tensor(5.0))
    assert torch.allclose(table[:, 1] / ratio, torch.cos(torch.arange(32.0)), atol=1e-5)
    assert model.bert.embeddings.position_embeddings.weight.requires_grad  # still learned
    with pytest.raises(ValueError, match="no absolute position embeddings"):
        init_sinusoidal_positions(torch.nn.Linear(2, 2))
