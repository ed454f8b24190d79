"""``zhbert train ner --head span`` through the real commands: a short run on the nested CLUENER fixture gives
back the nested entities, ``zhbert evaluate`` and ``zhbert predict`` read the span model, flat tag files train it
too; features and their collator on words of several tokens; exact-match span scores equal strict seqeval's on
flat spans; the options that do not go together are refused."""

from __future__ import annotations

import json
import random
import re

import pytest

from tests.conftest import REPO, TEST_DATA
from zhbert.api import EntityTagger
from zhbert.commands import main
from zhbert.data import read_annotations
from zhbert.errors import UsageError
from zhbert.finetune import TaskArguments, ner_metrics
from zhbert.finetune.features import SpanCollator, span_features
from zhbert.finetune.metrics import span_metrics

NESTED = TEST_DATA / "cluener_nested_sample.json"
SHIPPED_MLM = REPO / "zhbert_demo" / "models" / "mlm"


@pytest.fixture(scope="module")
def nested_run(tmp_path_factory):
    """The shipped small MLM fine-tuned with the span head on the 13 nested sentences until it fits them."""
    out = tmp_path_factory.mktemp("span") / "m"
    argv = [
        "train", "ner", "--model_name_or_path", str(SHIPPED_MLM), "--train_file", str(NESTED), "--head", "span",
        "--output_dir", str(out), "--num_train_epochs", "30", "--per_device_train_batch_size", "16",
        "--learning_rate", "3e-3", "--max_seq_length", "64", "--seed", "0", "--disable_tqdm", "true",
        "--eval_strategy", "no",
    ]  # fmt: skip
    assert main(argv) == 0
    return out


def test_nested_entities_come_back(nested_run):
    examples = read_annotations(NESTED).examples
    tagger = EntityTagger.from_pretrained(nested_run, dtype="float32")
    found = tagger.predict([e.text for e in examples])
    gold = {(i, s, t, k) for i, e in enumerate(examples) for s, t, k in e.spans}
    got = {(i, x.start, x.end, x.type) for i, xs in enumerate(found) for x in xs}
    inner = {
        g
        for g in gold
        if g[3] == "address" and any(o[0] == g[0] and o[1] <= g[1] and g[2] <= o[2] and o != g for o in gold)
    }
    assert len(inner) >= 12
    assert len(inner & got) >= 0.6 * len(inner), sorted(inner - got)
    nested = [(a, b) for xs in found for a in xs for b in xs if a != b and a.start <= b.start and b.end <= a.end]
    assert nested
    for text, xs in zip([e.text for e in examples], found, strict=True):
        assert all(text[x.start : x.end] == x.text and 0.5 < x.score <= 1 for x in xs)


def test_evaluate_and_predict_read_a_span_model(nested_run, tmp_path, capsys):
    capsys.readouterr()
    report = tmp_path / "metrics.json"
    assert main(["evaluate", "--model", str(nested_run), "--test_file", str(NESTED), "--output", str(report)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    scores = json.loads(report.read_text(encoding="utf-8"))
    assert last == f"test_f1 {scores['f1']:.4f}" and scores["f1"] > 0.3
    assert scores["per_type"]["address"]["support"] >= 12  # the nested entities are scored, not flattened
    text = read_annotations(NESTED).examples[0].text  # 北京 inside 北京市消防局
    assert main(["predict", "--model", str(nested_run), "--text", text]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    spans = [(e["start"], e["end"], e["type"], e["text"]) for e in line["entities"]]
    (api,) = EntityTagger.from_pretrained(nested_run).predict([text])
    assert spans == [(e.start, e.end, e.type, e.text) for e in api] and spans, line


def test_a_flat_tag_file_trains_the_span_head(tiny_mlm_dir, tmp_path, capsys):
    data = TEST_DATA / "resume_dev.char.bmes"
    argv = ["train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(data), "--head", "span",
            "--output_dir", str(tmp_path / "m"), "--max_steps", "2", "--disable_tqdm", "true"]  # fmt: skip
    assert main(argv) == 0
    config = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))
    assert config["zhbert_head"] == "span" and "NAME" in config["label2id"] and "B-NAME" not in config["label2id"]
    assert "`zhbert export` does not export a span model" in (tmp_path / "m" / "README.md").read_text()
    capsys.readouterr()
    assert main(["export", str(tmp_path / "m"), str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "a span-head tagger (trained with --head span) is not exported" in err and len(err.splitlines()) == 1


def test_options_that_do_not_go_together(tiny_mlm_dir, tmp_path, capsys):
    with pytest.raises(UsageError, match="overlaps 'keep' needs --head span"):
        TaskArguments(model_name_or_path="m", train_file="t", overlaps="keep")
    argv = ["train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(NESTED),
            "--output_dir", str(tmp_path / "m"), "--overlaps", "keep"]  # fmt: skip
    assert main(argv) == 2
    assert "overlaps 'keep' needs --head span" in capsys.readouterr().err
    with pytest.raises(UsageError, match="span_head_size must be an even number"):
        TaskArguments(model_name_or_path="m", train_file="t", head="span", span_head_size=7)
    assert main([*argv[:-2], "--head", "spans"]) == 2


def test_features_map_characters_to_tokens_and_nest(tokenizer):
    text = "我在IBM北京分公司工作"
    spans = [(2, 5, "ORG"), (5, 7, "LOC"), (5, 10, "ORG")]
    (feature,) = span_features([text], [spans], tokenizer, {"LOC": 0, "ORG": 1}, max_length=64)
    tokens = tokenizer.convert_ids_to_tokens(feature["input_ids"])
    triples = [tuple(feature["labels"][i : i + 3]) for i in range(0, len(feature["labels"]), 3)]
    read = sorted(("".join(t.removeprefix("##") for t in tokens[s : e + 1]).lower(), k) for k, s, e in triples)
    assert read == [("ibm", 1), ("北京", 0), ("北京分公司", 1)]
    batch = SpanCollator(tokenizer, types=2)([feature, {**feature, "labels": []}])
    assert batch["labels"].shape == (2, 2, len(tokens), len(tokens)) and not batch["labels"].is_floating_point()
    assert int(batch["labels"][0].sum()) == 3 and int(batch["labels"][1].sum()) == 0


@pytest.mark.parametrize("seed", range(20))
def test_span_scores_equal_strict_seqeval_on_flat_spans(seed):
    rng = random.Random(seed)

    def flat(n):
        spans, at = [], 0
        while at < n:
            length = rng.randint(1, 4)
            if rng.random() < 0.4 and at + length <= n:
                spans.append((at, at + length, rng.choice(["LOC", "ORG", "PER"])))
            at += length
        return spans

    texts = ["字" * rng.randint(1, 30) for _ in range(15)]
    gold = [flat(len(t)) for t in texts]
    predicted = [g if rng.random() < 0.4 else flat(len(t)) for g, t in zip(gold, texts, strict=True)]
    spans, tags = span_metrics(gold, predicted), ner_metrics(texts, gold, predicted)
    assert set(spans["per_type"]) == set(tags["per_type"])
    for kind, scores in tags["per_type"].items():
        assert spans["per_type"][kind] == pytest.approx(scores), kind
    spans.pop("per_type"), tags.pop("per_type")
    assert spans == pytest.approx(tags)


def test_span_scores_count_nested_entities():
    gold = [[(0, 4, "ORG"), (0, 2, "LOC")]]
    predicted = [[(0, 4, "ORG"), (0, 2, "LOC"), (2, 4, "LOC")]]
    scores = span_metrics(gold, predicted)
    assert scores["recall"] == 1.0 and scores["precision"] == pytest.approx(2 / 3)
    assert scores["per_type"]["LOC"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1-score": 2 / 3, "support": 1}
    )
    with pytest.raises(UsageError, match="1 gold texts but 0 predicted"):
        span_metrics(gold, [])
    assert re.fullmatch(r"\d\.\d+", f"{scores['macro_f1']:.3f}")


def test_a_report_on_a_span_model_counts_nested_entities(nested_run, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["evaluate", "--model", str(nested_run), "--test_file", str(NESTED), "--report", str(out)]
    assert main(argv) == 0
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    gold = sum(len(e.spans) for e in read_annotations(NESTED).examples)
    matrix = scores["confusion"]["matrix"]
    assert sum(sum(row) for row in matrix[:-1]) == scores["entities"] == gold  # inner entities counted too
    issues = (out / "label_issues.md").read_text(encoding="utf-8")
    assert "span" in issues  # says why no label-error search was done
    capsys.readouterr()
    assert main([*argv[:-1], str(tmp_path / "cv"), "--cv", "2", "--cv_base", str(SHIPPED_MLM)]) == 2
    assert re.search(r"--cv: a span-head model gives no per-word label distributions", capsys.readouterr().err)
    assert not (tmp_path / "cv").exists()
