from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, BertForMaskedLM

from tests.conftest import REPO, shared
from wwm_pretrain.run import main
from zhbert.resources import BERT_BASE_CHINESE_DIR

TOKENIZER = str(BERT_BASE_CHINESE_DIR)


def tiny_args(config_dir, corpus, out, cache, *extra):
    return [
        "--config_name", str(config_dir), "--tokenizer_name", TOKENIZER, "--train_file", str(corpus),
        "--output_dir", str(out), "--prepared_cache_dir", str(cache), "--max_seq_length", "64",
        "--per_device_train_batch_size", "8", "--disable_tqdm", "true", "--report_to", "none", *extra,
    ]  # fmt: skip


def cli(args, timeout=600, **kw):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "wwm_pretrain", *args], capture_output=True, text=True, timeout=timeout, env=env,
        cwd=REPO, **kw,
    )  # fmt: skip


def read_hashes(path: Path) -> list[tuple[int, str]]:
    return [(int(a), b) for a, b in (line.split() for line in path.read_text().splitlines())]


@pytest.mark.slow
def test_tiny_model_end_to_end(tiny_config_dir, law_txt, tmp_path, tokenizer):
    out = tmp_path / "out"
    result = cli(
        tiny_args(
            tiny_config_dir, law_txt, out, tmp_path / "cache",
            "--config_overrides", "hidden_size=128,intermediate_size=256,num_attention_heads=4",
            "--per_device_train_batch_size", "32", "--max_steps", "400", "--learning_rate", "1e-3",
            "--warmup_steps", "40", "--eval_strategy", "steps", "--eval_steps", "100", "--save_strategy", "no",
            "--logging_steps", "100",
        )
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("wwm-pretrain: done: steps 400, tokens seen ")
    assert "eval_masked_accuracy" in summary and "eval_cloze_accuracy" in summary and "tokens/s" in summary
    results = json.loads((out / "all_results.json").read_text())
    state = json.loads((out / "trainer_state.json").read_text())
    losses = [e["eval_loss"] for e in state["log_history"] if "eval_masked_accuracy" in e][:-1]  # last: the final
    assert results["init_eval_masked_accuracy"] < 0.01 and results["init_eval_cloze_accuracy"] < 0.01
    # The cloze test (single tokens, all [MASK]) is scored on the same held-out blocks, with its own masks.
    assert 0.0 < results["eval_cloze_accuracy"] < 1.0 and results["eval_cloze_loss"] > 0
    # 400 steps take this tiny model to about the frequent-character plateau (0.04-0.05). The held-out blocks have
    # about 2,300 masked tokens, so an accuracy there has a standard error of about 0.004: too coarse to see the
    # model still learning between evaluations. The loss over the same tokens is not: it falls at each one.
    assert results["eval_masked_accuracy"] > 0.035
    assert all(b < a for a, b in itertools.pairwise(losses)) and losses[-1] < losses[0] - 0.1, losses
    assert results["eval_loss"] < results["init_eval_loss"] - 3
    assert math.isclose(results["perplexity"], math.exp(results["eval_loss"]), rel_tol=1e-6)

    # The output is a plain checkpoint that fills a [MASK] in legal text better than the untrained model.
    trained = AutoModelForMaskedLM.from_pretrained(out)
    assert type(trained) is BertForMaskedLM
    torch.manual_seed(0)
    untrained = AutoModelForMaskedLM.from_config(trained.config)
    sentences = [
        "中华人民共和国刑法",
        "人民法院应当依法审理",
        "当事人对判决不服的，可以提起上诉",
        "本条例自发布之日起施行",
    ]
    out_tok = AutoTokenizer.from_pretrained(out)

    def mean_log_prob(model):
        model.eval()
        scores = []
        for sentence in sentences:
            enc = out_tok(sentence, return_tensors="pt")
            for pos in range(1, enc["input_ids"].shape[1] - 1):
                ids = enc["input_ids"].clone()
                truth = int(ids[0, pos])
                ids[0, pos] = out_tok.mask_token_id
                with torch.no_grad():
                    logits = model(input_ids=ids, attention_mask=enc["attention_mask"]).logits
                scores.append(float(logits[0, pos].log_softmax(-1)[truth]))
        return sum(scores) / len(scores)

    assert mean_log_prob(trained) > mean_log_prob(untrained) + 3


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert-base-chinese", "chinese-roberta-wwm-ext"])
def test_full_size_configs_train_two_steps(name, law_txt, tmp_path, caplog):
    """Full-size configs (random weights, the real vocab), saved locally like a downloaded checkpoint."""
    from transformers import BertConfig

    checkpoint = tmp_path / name
    config = BertConfig.from_pretrained(shared("vocab", name))
    torch.manual_seed(0)
    BertForMaskedLM(config).save_pretrained(checkpoint)
    shutil.copy(shared("vocab", "bert-base-chinese", "vocab.txt"), checkpoint / "vocab.txt")  # both share it
    out = tmp_path / "out"
    args = [
        "--model_name_or_path", str(checkpoint), "--train_file", str(law_txt), "--output_dir", str(out),
        "--prepared_cache_dir", str(tmp_path / "cache"), "--max_seq_length", "64", "--max_steps", "2",
        "--per_device_train_batch_size", "2", "--save_strategy", "no", "--max_eval_samples", "8",
        "--disable_tqdm", "true", "--report_to", "none",
    ]  # fmt: skip
    assert main(args) == 0
    assert "The MLM head looks untrained" in caplog.text  # random weights: the check must notice
    assert "[UNK]" not in caplog.text
    saved = AutoModelForMaskedLM.from_pretrained(out)
    assert saved.config.num_hidden_layers == 12 and saved.config.hidden_size == 768
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 2


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("empty", [], "is empty"),
        ("gbk", [], "not UTF-8 text; it decodes as GBK"),
        ("binary", [], "holds NUL bytes"),
        ("jsonl", [], r"no 'text' field"),
        ("folder", [], "not a saved `datasets` directory"),
        ("good", ["--segmenter", "ltp", "--ltp_model", "NOT_A_MODEL"], "not an LTP model directory"),
        ("good", ["--max_seq_length", "1024"], "over the model's 512 positions"),
        ("good", ["--streaming", "true"], "streaming needs max_steps (a stream has no length) (see --max_steps)"),
        ("good", ["--user_dict", "MISSING.txt"], "user dictionary not found"),
    ],
)
def test_bad_input_fails_before_training(setup, extra, message, tiny_config_dir, law_txt, tmp_path, capsys):
    corpus = {
        "empty": tmp_path / "empty.txt",
        "gbk": tmp_path / "gbk.txt",
        "binary": tmp_path / "data.bin",
        "jsonl": tmp_path / "c.jsonl",
        "folder": tmp_path / "folder",
        "good": law_txt,
    }[setup]
    if setup == "empty":
        corpus.write_bytes(b"")
    elif setup == "gbk":
        corpus.write_bytes("中华人民共和国刑法\n".encode("gbk"))
    elif setup == "binary":
        corpus.write_bytes(bytes(range(256)) * 4)
    elif setup == "jsonl":
        corpus.write_text('{"content": "好"}\n', encoding="utf-8")
    elif setup == "folder":
        corpus.mkdir()
        (corpus / "readme.md").write_text("x", encoding="utf-8")
    not_model = tmp_path / "not-a-model"
    not_model.mkdir()
    extra = [str(not_model) if e == "NOT_A_MODEL" else str(tmp_path / e) if e == "MISSING.txt" else e for e in extra]
    out = tmp_path / "out"
    steps = [] if "--streaming" in extra else ["--max_steps", "3"]
    code = main(tiny_args(tiny_config_dir, corpus, out, tmp_path / "cache", *steps, *extra))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("wwm-pretrain: error: ") and message in err, err
    assert "Traceback" not in err
    assert not (out / "trainer_state.json").exists() and not list(out.glob("checkpoint-*"))


def test_json_arguments_and_existing_checkpoints(tiny_config_dir, law_txt, tmp_path, capsys):
    out = tmp_path / "out"
    flags = tiny_args(tiny_config_dir, law_txt, out, tmp_path / "cache", "--max_steps", "2", "--save_steps", "2")
    as_json = {flags[i].removeprefix("--"): flags[i + 1] for i in range(0, len(flags), 2)}
    as_json["max_steps"], as_json["save_steps"] = 2, 2
    path = tmp_path / "args.json"
    path.write_text(json.dumps(as_json), encoding="utf-8")
    assert main([str(path)]) == 0
    assert (out / "checkpoint-2" / "zhbert-checkpoint-complete.json").is_file()
    # Running again into the same directory is refused until the user says to resume.
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "set resume_from_checkpoint to 'latest' to continue that run" in err
    assert err.strip().endswith("(see --resume_from_checkpoint)")


def test_cloze_test_uses_its_own_masks_with_persistent_workers(tiny_config_dir, law_txt, tmp_path):
    # Trainer caches its evaluation loader when workers persist; the cloze pass must not reuse its collator.
    out = tmp_path / "out"
    extra = ["--max_steps", "2", "--save_strategy", "no", "--max_eval_samples", "16",
             "--dataloader_num_workers", "1", "--dataloader_persistent_workers", "true"]  # fmt: skip
    assert main(tiny_args(tiny_config_dir, law_txt, out, tmp_path / "cache", *extra)) == 0
    results = json.loads((out / "all_results.json").read_text())
    assert results["eval_cloze_loss"] != results["eval_loss"]


@pytest.mark.slow
def test_resume_continues_the_same_batches(tiny_config_dir, law_txt, tmp_path):
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    common = ["--max_steps", "12", "--save_steps", "4", "--record_batch_hashes", "true"]
    assert main(tiny_args(tiny_config_dir, law_txt, full, tmp_path / "cache", *common)) == 0
    resumed.mkdir()
    shutil.copytree(full / "checkpoint-8", resumed / "checkpoint-8")
    (resumed / "checkpoint-12").mkdir()  # a half-written checkpoint: it must not be taken
    (resumed / "checkpoint-12" / "config.json").write_text("{", encoding="utf-8")
    args = tiny_args(tiny_config_dir, law_txt, resumed, tmp_path / "cache", *common)
    assert main([*args, "--resume_from_checkpoint", "latest"]) == 0
    expected = [h for h in read_hashes(full / "batch_hashes-rank0.txt") if h[0] > 8]
    assert read_hashes(resumed / "batch_hashes-rank0.txt") == expected
    assert json.loads((resumed / "trainer_state.json").read_text())["global_step"] == 12


@pytest.mark.slow
def test_sigkill_and_resume(tiny_config_dir, law_txt, tmp_path):
    out = tmp_path / "out"
    args = tiny_args(tiny_config_dir, law_txt, out, tmp_path / "cache", "--max_steps", "60", "--save_steps", "5")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wwm_pretrain", *args], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 300
    while not (out / "checkpoint-10" / "zhbert-checkpoint-complete.json").exists():
        assert proc.poll() is None, "training ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = out / "trainer_state.json"
    assert not state.exists()  # it really died mid-training
    result = cli([*args, "--resume_from_checkpoint", "latest"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(state.read_text())["global_step"] == 60
    assert "steps 60" in result.stdout.splitlines()[-1]


@pytest.mark.slow
def test_torchrun_two_processes(tiny_config_dir, law_txt, tmp_path):
    out = tmp_path / "out"
    args = tiny_args(
        tiny_config_dir, law_txt, out, tmp_path / "cache", "--max_steps", "4", "--save_strategy", "no",
        "--record_batch_hashes", "true", "--ddp_backend", "gloo", "--max_eval_samples", "16",
    )  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    torchrun = Path(sys.executable).with_name("torchrun")
    result = subprocess.run(
        [str(torchrun), "--nproc_per_node", "2", "--master_port", "29517", "-m", "wwm_pretrain", *args],
        capture_output=True, text=True, timeout=600, cwd=REPO, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    rank0 = read_hashes(out / "batch_hashes-rank0.txt")
    rank1 = read_hashes(out / "batch_hashes-rank1.txt")
    assert [s for s, _ in rank0] == [s for s, _ in rank1] == [1, 2, 3, 4]
    assert not {h for _, h in rank0} & {h for _, h in rank1}  # the ranks see different data
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 4


def test_a_vocabulary_that_does_not_fit_is_reported(tiny_config_dir, law_txt, tmp_path, caplog):
    latin = tmp_path / "latin-vocab"
    latin.mkdir()
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"abcdefghijklmnopqrstuvwxyz0123456789"]
    (latin / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    (latin / "tokenizer_config.json").write_text('{"tokenizer_class": "BertTokenizer"}', encoding="utf-8")
    args = tiny_args(tiny_config_dir, law_txt, tmp_path / "out", tmp_path / "cache", "--max_steps", "1")
    args[args.index("--tokenizer_name") + 1] = str(latin)
    assert main([*args, "--save_strategy", "no", "--max_eval_samples", "4"]) == 0
    assert "of the corpus's tokens are [UNK]" in caplog.text


def test_missing_mlm_head_is_reported(tiny_mlm_dir, law_txt, tmp_path, caplog):
    from transformers import BertModel

    encoder_only = tmp_path / "encoder-only"
    BertModel.from_pretrained(tiny_mlm_dir).save_pretrained(encoder_only)
    shutil.copy(Path(tiny_mlm_dir) / "tokenizer.json", encoder_only / "tokenizer.json")
    shutil.copy(Path(tiny_mlm_dir) / "tokenizer_config.json", encoder_only / "tokenizer_config.json")
    args = [
        "--model_name_or_path", str(encoder_only), "--train_file", str(law_txt), "--output_dir", str(tmp_path / "o"),
        "--prepared_cache_dir", str(tmp_path / "cache"), "--max_seq_length", "64", "--max_steps", "1",
        "--save_strategy", "no", "--max_eval_samples", "4", "--disable_tqdm", "true", "--report_to", "none",
    ]  # fmt: skip
    assert main(args) == 0
    assert "has no trained MLM head (missing: cls.predictions" in caplog.text
    assert AutoModelForMaskedLM.from_pretrained(tmp_path / "o").cls is not None
