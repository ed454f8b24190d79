"""``--compile_encoder``: the encoder runs through torch.compile in place, the masked-only loss stays eager, and
the saved model is a plain checkpoint."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModelForMaskedLM

from wwm_pretrain.run import load, parse_args, prepare, train
from zhbert.errors import UsageError
from zhbert.resources import BERT_BASE_CHINESE_DIR


def _args(tiny_config_dir, law_txt, tmp_path, *extra):
    return parse_args([
        "--config_name", str(tiny_config_dir), "--tokenizer_name", str(BERT_BASE_CHINESE_DIR),
        "--train_file", str(law_txt), "--output_dir", str(tmp_path / "out"),
        "--prepared_cache_dir", str(tmp_path / "cache"), "--max_seq_length", "64", "--max_train_samples", "16",
        "--max_eval_samples", "4", "--per_device_train_batch_size", "8", "--max_steps", "2",
        "--save_strategy", "no", "--disable_tqdm", "true", "--report_to", "none", "--bf16", "true",
        "--fast_dropout", "true", *extra,
    ])  # fmt: skip


def test_the_encoder_is_compiled_in_place_and_the_checkpoint_stays_plain(tiny_config_dir, law_txt, tmp_path):
    model_args, data_args, training_args = _args(tiny_config_dir, law_txt, tmp_path, "--compile_encoder", "true")
    loaded = load(model_args, data_args, training_args)
    metrics = train(loaded, prepare(loaded, data_args, training_args), model_args, data_args, training_args)
    assert loaded.model.base_model._compiled_call_impl is not None  # compiled, in place
    assert loaded.model._compiled_call_impl is None  # the head and the loss are not
    assert math.isfinite(metrics["train_loss"]) and math.isfinite(metrics["eval_loss"])
    saved = AutoModelForMaskedLM.from_pretrained(tmp_path / "out")
    trained = loaded.model.state_dict()
    assert set(saved.state_dict()) <= set(trained)
    assert all(torch.equal(v, trained[k]) for k, v in saved.state_dict().items())


def test_compile_encoder_with_torch_compile_is_refused(tiny_config_dir, law_txt, tmp_path):
    flags = ("--compile_encoder", "true", "--torch_compile", "true")
    model_args, data_args, training_args = _args(tiny_config_dir, law_txt, tmp_path, *flags)
    loaded = load(model_args, data_args, training_args)
    with pytest.raises(UsageError, match="torch_compile would compile the whole model again"):
        train(loaded, prepare(loaded, data_args, training_args), model_args, data_args, training_args)
