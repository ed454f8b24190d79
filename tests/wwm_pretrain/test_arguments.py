"""The arguments of ``wwm-pretrain``: each dataclass checks itself when built and names the argument; the
recipes are argument files of one shape; ``pretrain`` is ``load``, ``prepare`` and ``train`` in turn."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from wwm_pretrain.arguments import DataArguments, ModelArguments, check_arguments
from wwm_pretrain.run import build_parser, load, parse_args, prepare, train
from zhbert.errors import UsageError
from zhbert.models import PrecisionTrainingArguments

RECIPES = sorted((REPO / "benchmarks" / "recipes").glob("pretrain_*.json"))
SCRATCH = {"config_name": "c", "tokenizer_name": "t"}


@pytest.mark.parametrize(
    ("kwargs", "argument", "message"),
    [
        ({}, "model_name_or_path", "give model_name_or_path, or config_name and tokenizer_name"),
        ({"config_name": "c"}, "model_name_or_path", "to train from scratch"),
        ({"tokenizer_name": "t"}, "model_name_or_path", "to train from scratch"),
        ({**SCRATCH, "position_init": "learned"}, "position_init", "one of random, sinusoidal, got 'learned'"),
        ({"model_name_or_path": "m", "position_init": "sinusoidal"}, "position_init", "applies to training from"),
        ({"model_name_or_path": "m", "mlm_head_warmup_steps": -1}, "mlm_head_warmup_steps", "whole number >= 0"),
    ],
)
def test_model_arguments_are_checked_when_built(kwargs, argument, message):
    with pytest.raises(UsageError, match=message) as err:
        ModelArguments(**kwargs)
    assert err.value.argument == argument and "--" not in str(err.value)


def test_model_arguments_accept_a_checkpoint_or_a_config_with_a_tokenizer():
    assert ModelArguments(model_name_or_path="m").position_init == "random"
    assert ModelArguments(**SCRATCH, position_init="sinusoidal").position_init == "sinusoidal"


@pytest.mark.parametrize(
    ("kwargs", "argument", "message"),
    [
        ({"train_file": None}, "train_file", "give a training corpus"),
        ({"validation_split_percentage": 100}, "validation_split_percentage", r"lie in \[0, 100\), got 100"),
        ({"validation_split_percentage": -1}, "validation_split_percentage", "got -1"),
        ({"max_seq_length": 7}, "max_seq_length", r"max_seq_length 7 is too small \(at least 8\)"),
        ({"mlm_probability": 1.0}, "mlm_probability", r"in \(0, 1\), got 1.0"),
        ({"mlm_probability": 0}, "mlm_probability", r"in \(0, 1\)"),
        ({"max_ngram": 0}, "max_ngram", "max_ngram must be a whole number >= 1, got 0"),
        ({"max_train_samples": 0}, "max_train_samples", ">= 1"),
        ({"user_dict": "auto", "segmenter": "ltp"}, "user_dict", "for jieba; the ltp segmenter cannot use it"),
        ({"user_dict": "auto", "streaming": True}, "user_dict", "streaming prepares none"),
        ({"user_dict": "auto", "terms_min_count": 0}, "terms_min_count", ">= 1, got 0"),
        ({"user_dict": "auto", "terms_max_len": 33}, "terms_max_len", "got 33"),
        ({"user_dict": "auto", "terms_top": 0}, "terms_top", ">= 1, got 0"),
    ],
)
def test_data_arguments_are_checked_when_built(kwargs, argument, message):
    with pytest.raises(UsageError, match=message) as err:
        DataArguments(**{"train_file": "corpus.txt", **kwargs})
    assert err.value.argument == argument and "--" not in str(err.value)


def test_terms_settings_are_checked_only_with_the_auto_dictionary():
    assert DataArguments(train_file="c.txt", terms_min_count=0, terms_top=None).user_dict is None
    assert DataArguments(train_file="c.txt", user_dict="auto", terms_top=None).terms_top is None


def test_a_stream_needs_max_steps(tmp_path):
    model_args = ModelArguments(model_name_or_path="m")
    data_args = DataArguments(train_file="c.txt", streaming=True)
    training = PrecisionTrainingArguments(output_dir=str(tmp_path), report_to="none")
    with pytest.raises(UsageError, match=r"^streaming needs max_steps \(a stream has no length\)$") as err:
        check_arguments(model_args, data_args, training)
    assert err.value.argument == "max_steps"
    with pytest.raises(UsageError, match="streaming needs max_steps"):
        load(model_args, data_args, training)  # before any model is looked for
    training = PrecisionTrainingArguments(output_dir=str(tmp_path), report_to="none", max_steps=5)
    check_arguments(model_args, data_args, training)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_recipes_are_flat_argument_files_of_wwm_pretrain(recipe, tmp_path):
    values = json.loads(recipe.read_text(encoding="utf-8"))
    assert isinstance(values, dict) and values
    dests = {action.dest for action in build_parser()._actions}
    assert set(values) <= dests, set(values) - dests
    assert all(isinstance(v, str | int | float | bool) for v in values.values())
    model_args, data_args, training_args = parse_args([str(recipe)])
    assert (model_args.model_name_or_path or model_args.config_name) in (
        values.get("model_name_or_path"),
        values.get("config_name"),
    )
    assert data_args.train_file == values["train_file"] and training_args.max_steps == values["max_steps"]
    # Flags after the file override it; the rest keeps the file's values.
    out = str(tmp_path / "out")
    _, data_args, training_args = parse_args([str(recipe), "--max_steps", "7", "--output_dir", out])
    assert training_args.max_steps == 7 and training_args.output_dir == out
    assert data_args.max_seq_length == values["max_seq_length"]


def test_recipe_of_the_review_pretraining_is_the_one_its_script_runs():
    script = (REPO / "benchmarks" / "recipes" / "chnsenticorp_base.sh").read_text(encoding="utf-8")
    assert "-m wwm_pretrain benchmarks/recipes/pretrain_reviews.json" in script
    model_args, data_args, training_args = parse_args([str(REPO / "benchmarks/recipes/pretrain_reviews.json")])
    assert model_args.model_name_or_path == "zhbert_demo/models/mlm" and data_args.segmenter == "jieba"
    assert (data_args.max_seq_length, training_args.per_device_train_batch_size) == (128, 64)
    assert (training_args.learning_rate, training_args.adam_beta2, training_args.seed) == (3e-4, 0.98, 0)


def test_load_prepare_train_is_pretrain(tiny_config_dir, law_txt, tmp_path):
    from tests.wwm_pretrain.test_run import tiny_args

    def run(out):
        argv = tiny_args(tiny_config_dir, law_txt, out, tmp_path / "cache", "--max_steps", "2", "--save_strategy", "no")
        return parse_args([*argv, "--max_eval_samples", "8"])

    model_args, data_args, training_args = run(tmp_path / "steps")
    loaded = load(model_args, data_args, training_args)
    assert not loaded.head_from_checkpoint and loaded.resume_from is None
    assert loaded.model.config.max_position_embeddings >= data_args.max_seq_length
    corpus = prepare(loaded, data_args, training_args)
    assert corpus.eval is not None and len(corpus.eval) == 8
    stepwise = train(loaded, corpus, model_args, data_args, training_args)

    from wwm_pretrain.run import pretrain

    whole = pretrain(*run(tmp_path / "whole"))
    keys = ("init_eval_loss", "train_loss", "eval_loss", "eval_masked_accuracy", "eval_cloze_accuracy")
    assert {k: stepwise[k] for k in keys} == {k: whole[k] for k in keys}
