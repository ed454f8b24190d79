"""bf16 and float32: the hardware check and its override, training under bf16 autocast with float32 master weights,
and the inference classes in either type."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoModelForTokenClassification, Trainer

from tests.conftest import TEST_DATA
from wwm_pretrain.model import with_sparse_mlm_loss
from wwm_pretrain.run import parse_args
from zhbert import EntityTagger, MaskFiller, TextClassifier, WholeWordMaskCollator
from zhbert.commands import main as zhbert_main
from zhbert.errors import UsageError
from zhbert.finetune import FinetuneArguments
from zhbert.models import PrecisionTrainingArguments, add_crf, bf16_supported, cpu_bf16_supported, resolve_dtype
from zhbert.models.precision import CPU_BF16_ENV
from zhbert.tagging import bioes_labels
from zhbert.text import CharSegmenter, word_pieces, wwm_features

LABELS = bioes_labels(["NAME", "ORG", "TITLE"])


def cpuinfo_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def test_the_check_reads_the_cpu_and_the_override_wins(monkeypatch):
    monkeypatch.delenv(CPU_BF16_ENV, raising=False)
    assert cpu_bf16_supported() == cpuinfo_has_bf16()
    for value, expected in (("0", False), ("1", True), (" 1 ", True)):
        monkeypatch.setenv(CPU_BF16_ENV, value)
        assert cpu_bf16_supported() is expected
        assert bf16_supported("cpu") is expected
    monkeypatch.setenv(CPU_BF16_ENV, "yes")
    with pytest.raises(UsageError, match="ZHBERT_CPU_BF16 must be 0 or 1, got 'yes'"):
        cpu_bf16_supported()


def test_resolve_dtype(monkeypatch):
    monkeypatch.setenv(CPU_BF16_ENV, "0")
    assert resolve_dtype(None, "cpu") is torch.float32
    assert resolve_dtype("auto", "cpu") is torch.float32
    monkeypatch.setenv(CPU_BF16_ENV, "1")
    assert resolve_dtype(None, "cpu") is torch.bfloat16
    assert resolve_dtype("float32", "cpu") is torch.float32
    for spelled in ("bf16", "BF16", "bfloat16", "torch.bfloat16", torch.bfloat16):
        assert resolve_dtype(spelled, "cpu") is torch.bfloat16
    for bad in ("int8", torch.float16, 16):
        with pytest.raises(UsageError, match="dtype must be 'auto', 'bf16' or 'float32'"):
            resolve_dtype(bad, "cpu")


PRETRAIN_DATA = ["--model_name_or_path", "m", "--train_file", "corpus.txt"]  # what wwm-pretrain requires


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [("1", None, True), ("0", None, False), ("1", "false", False), ("0", "true", True)],
)
def test_training_default_follows_the_cpu_and_the_flag_overrides(monkeypatch, tmp_path, env, flag, expected):
    monkeypatch.setenv(CPU_BF16_ENV, env)
    extra = ["--bf16", flag] if flag else []
    _, _, args = parse_args([*PRETRAIN_DATA, "--output_dir", str(tmp_path), "--use_cpu", "true", *extra])
    assert isinstance(args, PrecisionTrainingArguments) and args.bf16 is expected
    assert FinetuneArguments(output_dir=str(tmp_path), use_cpu=True, bf16=None if flag is None else expected).bf16 is (
        expected
    )


@pytest.mark.parametrize(("env", "flag"), [("1", None), ("0", True)])
def test_bf16_without_a_gpu_trains_on_the_cpu_without_being_told(monkeypatch, tmp_path, env, flag):
    # transformers alone refuses bf16 without a GPU unless --use_cpu is given.
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: bf16 trains there")
    monkeypatch.setenv(CPU_BF16_ENV, env)
    args = PrecisionTrainingArguments(output_dir=str(tmp_path), bf16=flag)
    assert args.bf16 is True and args.use_cpu is True
    _, _, parsed = parse_args([*PRETRAIN_DATA, "--output_dir", str(tmp_path), *(["--bf16", "true"] if flag else [])])
    assert parsed.bf16 is True and parsed.use_cpu is True
    monkeypatch.setenv(CPU_BF16_ENV, "0")
    assert PrecisionTrainingArguments(output_dir=str(tmp_path)).use_cpu is False


def test_fp16_asked_for_turns_the_bf16_default_off(monkeypatch, tmp_path):
    monkeypatch.setenv(CPU_BF16_ENV, "1")
    args = PrecisionTrainingArguments(output_dir=str(tmp_path), use_cpu=True, fp16=True)
    assert args.bf16 is False and args.fp16 is True


@pytest.mark.parametrize("env", ["1", "0"])
def test_training_runs_under_bf16_autocast_with_float32_master_weights(monkeypatch, tmp_path, env, tiny_mlm_dir,
                                                                       tokenizer, law_lines):  # fmt: skip
    monkeypatch.setenv(CPU_BF16_ENV, env)
    torch.manual_seed(0)
    model = with_sparse_mlm_loss(AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir))
    seen: list[torch.dtype] = []
    model.bert.encoder.layer[0].intermediate.dense.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    rows = [{**f, "idx": i} for i, f in enumerate(wwm_features(law_lines[:64], tokenizer, CharSegmenter(), 64))]
    args = PrecisionTrainingArguments(
        output_dir=str(tmp_path), use_cpu=True, max_steps=3, per_device_train_batch_size=8, report_to="none",
        save_strategy="no", remove_unused_columns=False, disable_tqdm=True,
    )  # fmt: skip
    trainer = Trainer(
        model=model, args=args, train_dataset=rows, data_collator=WholeWordMaskCollator(tokenizer, seed=0)
    )
    result = trainer.train()
    expected = torch.bfloat16 if env == "1" else torch.float32
    assert args.bf16 is (env == "1")
    assert seen and set(seen) == {expected}
    assert torch.isfinite(torch.tensor(result.training_loss))
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    states = [s for s in trainer.optimizer.state.values() if s]
    assert states and {t.dtype for s in states for k, t in s.items() if k != "step"} == {torch.float32}


def test_the_crf_loss_stays_float32_under_autocast(tiny_mlm_dir, tokenizer):
    model = add_crf(
        AutoModelForTokenClassification.from_pretrained(
            tiny_mlm_dir, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
            label2id={v: i for i, v in enumerate(LABELS)},
        )
    )  # fmt: skip
    enc = tokenizer(["高勇任董事长", "中国人民银行"], padding=True, return_tensors="pt")
    labels = torch.zeros_like(enc["input_ids"])
    labels[:, 0] = -100
    labels[enc["attention_mask"] == 0] = -100
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(**enc, labels=labels)
    assert out.logits.dtype == torch.bfloat16 and out.loss.dtype == torch.float32
    out.loss.backward()
    assert model.crf.transitions.grad.dtype == torch.float32
    with torch.no_grad():
        plain = model(**enc, labels=labels).loss
    assert abs(float(out.loss.detach()) - float(plain)) < 0.05 * abs(float(plain))


@pytest.fixture(scope="module")
def tagger_model(tiny_mlm_dir):
    torch.manual_seed(1)
    model = add_crf(
        AutoModelForTokenClassification.from_pretrained(
            tiny_mlm_dir, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
            label2id={v: i for i, v in enumerate(LABELS)},
        )
    )  # fmt: skip
    with torch.no_grad():
        model.classifier.weight.normal_(0, 2.0)
    return model


def test_auto_picks_float32_without_bf16_and_bf16_with_it(
    monkeypatch, tagger_model, tokenizer, tiny_mlm_dir, tiny_classifier_dir
):
    import copy

    monkeypatch.setenv(CPU_BF16_ENV, "0")
    assert EntityTagger(copy.deepcopy(tagger_model), tokenizer, device="cpu").dtype is torch.float32
    monkeypatch.setenv(CPU_BF16_ENV, "1")
    tagger = EntityTagger(copy.deepcopy(tagger_model), tokenizer, device="cpu")
    assert tagger.dtype is torch.bfloat16
    assert tagger.model.bert.embeddings.word_embeddings.weight.dtype is torch.bfloat16
    assert tagger.crf.transitions.dtype is torch.float32, "the CRF decodes in float32"
    filler = MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu")
    assert filler.dtype is torch.bfloat16 and next(filler.model.parameters()).dtype is torch.bfloat16
    with pytest.raises(UsageError, match="dtype must be"):
        TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu", dtype="fp16")


def test_bf16_inference_agrees_with_float32(tagger_model, tokenizer, resume_sentences, tiny_mlm_dir, law_lines):
    import copy

    texts = resume_sentences[:60]
    full = EntityTagger(copy.deepcopy(tagger_model), tokenizer, device="cpu", dtype="float32")
    half = EntityTagger(copy.deepcopy(tagger_model), tokenizer, device="cpu", dtype="bf16")
    assert half.fast is not None, "the packed forward runs in bf16 too"
    pieces = word_pieces(tokenizer, texts)
    a, b = torch.cat(full.token_scores(pieces)), torch.cat(half.token_scores(pieces))
    assert b.dtype == torch.float32
    assert (a - b).abs().max() < 0.05 * a.abs().max()
    assert (a.argmax(-1) == b.argmax(-1)).float().mean() > 0.97
    for text, entities in zip(texts, half.predict(texts), strict=True):
        for e in entities:
            assert text[e.start : e.end] == e.text

    # The model's own forward (no FastBert) in bf16 as well.
    half.fast = None
    c = torch.cat(half.token_scores(pieces))
    assert (a.argmax(-1) == c.argmax(-1)).float().mean() > 0.97

    full_filler = MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu", dtype="float32")
    half_filler = MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu", dtype="bf16")
    masked = [line[:8] + "[MASK]" + line[9:30] for line in law_lines[:20] if len(line) > 12]
    top_full = [c[0][0].token for c in full_filler.predict(masked, top_k=1)]
    top_half = [c[0][0].token for c in half_filler.predict(masked, top_k=1)]
    assert sum(x == y for x, y in zip(top_full, top_half, strict=True)) >= 0.8 * len(masked)


def test_cli_takes_dtype(tmp_path, tiny_mlm_dir, capsys):
    data = str(TEST_DATA / "chnsenticorp_sample.csv")
    out = tmp_path / "cls"
    args = [
        "train", "classify", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", data,
        "--max_train_samples", "64", "--max_steps", "2", "--max_seq_length", "32", "--output_dir", str(out),
        "--eval_strategy", "no", "--disable_tqdm", "true", "--per_device_train_batch_size", "8",
    ]  # fmt: skip
    assert zhbert_main(args) == 0
    texts = tmp_path / "in.txt"
    texts.write_text("房间很干净。\n服务一般。\n", encoding="utf-8")
    rows = {}
    for dtype in ("float32", "bf16"):
        target = tmp_path / f"{dtype}.jsonl"
        argv = ["predict", "--model", str(out), "--input", str(texts), "--output", str(target), "--dtype", dtype]
        assert zhbert_main(argv) == 0
        rows[dtype] = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["label"] for r in rows["float32"]] == [r["label"] for r in rows["bf16"]]
    capsys.readouterr()
    assert zhbert_main(["predict", "--model", str(out), "--input", str(texts), "--dtype", "int8"]) == 2
    assert "--dtype" in capsys.readouterr().err
