"""Checkpoints and files from elsewhere, and hostile input: each case below once failed silently or crashed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForTokenClassification

from tests.conftest import TEST_DATA
from zhbert import EntityTagger, MaskFiller, TextClassifier
from zhbert.commands import main
from zhbert.data import read_cls_file, read_ner_file
from zhbert.errors import ArgumentTypeError, DataError, UsageError
from zhbert.mlm import WholeWordMaskCollator
from zhbert.models import add_crf, load_token_classifier
from zhbert.tagging import bioes_labels
from zhbert.text import JiebaSegmenter, text_token_ids, write_chinese_ref

SCHEME_LABELS = {
    "IOB2": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "BIES": ["B-PER", "I-PER", "E-PER", "S-PER", "O"],
    "BIOES": ["O", "B-PER", "I-PER", "E-PER", "S-PER"],
    "BMES": ["O", "B-PER", "M-PER", "E-PER", "S-PER"],
}


def token_model(tiny_mlm_dir, labels):
    return AutoModelForTokenClassification.from_pretrained(
        tiny_mlm_dir,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={v: i for i, v in enumerate(labels)},
    )


def biased_tagger(tiny_mlm_dir, tokenizer, labels, favourite, second=None):
    """A tagger whose every token prefers ``favourite``, then ``second``: what a trained model 'clearly prefers'."""
    model = token_model(tiny_mlm_dir, labels)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(-5.0)
        model.classifier.bias[labels.index(favourite)] = 5.0
        if second is not None:
            model.classifier.bias[labels.index(second)] = 4.0
    return EntityTagger(model, tokenizer, device="cpu")


# 1. Taggers in any tag scheme --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "favourite", "second", "want"),
    [
        ("IOB2", "I-PER", "B-PER", [(0, 4, "PER")]),  # the best valid path: B I I I
        ("BIES", "I-PER", "B-PER", [(0, 4, "PER")]),  # the best valid path: B I I E
        ("BIOES", "S-PER", None, [(0, 1, "PER"), (1, 2, "PER"), (2, 3, "PER"), (3, 4, "PER")]),
        ("BMES", "M-PER", "B-PER", [(0, 4, "PER")]),
    ],
)
def test_taggers_decode_their_own_scheme(tiny_mlm_dir, tokenizer, scheme, favourite, second, want):
    tagger = biased_tagger(tiny_mlm_dir, tokenizer, SCHEME_LABELS[scheme], favourite, second)
    (entities,) = tagger.predict(["李四张三"])
    assert [(e.start, e.end, e.type) for e in entities] == want


def test_a_crf_keeps_to_its_labels_scheme(tiny_mlm_dir, tokenizer, tmp_path):
    from zhbert.tagging import scheme_constraints

    labels = SCHEME_LABELS["IOB2"]
    model = add_crf(token_model(tiny_mlm_dir, labels))
    for mask, want in zip(
        (model.crf.start_allowed, model.crf.transitions_allowed, model.crf.end_allowed),
        scheme_constraints(labels)[1],
        strict=True,
    ):
        assert torch.equal(mask, want)
    model.save_pretrained(tmp_path / "iob2-crf")
    tokenizer.save_pretrained(tmp_path / "iob2-crf")
    tagger = EntityTagger.from_pretrained(tmp_path / "iob2-crf", device="cpu")
    assert tagger.scheme == "IOB2" and tagger.crf is not None
    for e in tagger.predict(["李四在北京工作"])[0]:
        assert e.type in {"PER", "LOC"}


def test_a_label_set_of_no_scheme_is_refused_at_load(tiny_mlm_dir, tokenizer):
    model = AutoModelForTokenClassification.from_pretrained(tiny_mlm_dir, num_labels=3)  # LABEL_0, LABEL_1, ...
    with pytest.raises(UsageError, match=r"label 'LABEL_0' is not a tag of the IOB2 scheme"):
        EntityTagger(model, tokenizer, device="cpu")


# 2. The CRF's weights come from the checkpoint's own file, completely -----------------------------------------


@pytest.fixture
def crf_checkpoint(tiny_mlm_dir, tokenizer, tmp_path):
    model = add_crf(token_model(tiny_mlm_dir, bioes_labels(["PER"])))
    path = tmp_path / "tagger"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path, model.crf.transitions.detach().clone()


def test_a_stray_safetensors_file_is_not_read(crf_checkpoint):
    path, transitions = crf_checkpoint
    save_file({"crf.transitions": torch.full_like(transitions, 1e30)}, str(path / "zz-stray.safetensors"))
    assert torch.equal(load_token_classifier(path).crf.transitions.detach(), transitions)


def test_a_missing_crf_tensor_is_an_error(crf_checkpoint):
    path, _ = crf_checkpoint
    weights = load_file(str(path / "model.safetensors"))
    del weights["crf.transitions"]
    save_file(weights, str(path / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(DataError, match=r"the saved CRF does not match the model \(missing: crf.transitions"):
        load_token_classifier(path)


# 3. Lone surrogates in JSON data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "name", "line"),
    [
        ("classify", "data.jsonl", '{"text": "好\\ud800评", "label": "1"}'),
        ("ner", "data.json", '{"text": "李\\udc00四", "label": {}}'),
    ],
)
def test_a_lone_surrogate_is_named_with_its_line(tiny_mlm_dir, tmp_path, capsys, task, name, line):
    data = tmp_path / name
    data.write_text(
        '{"text": "很好", "label": {}}\n'.replace("{}", '"1"' if task == "classify" else "{}") + line + "\n"
    )
    argv = ["train", task, "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(data)]
    assert main([*argv, "--output_dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{name}:2: " in err and "lone surrogate (U+" in err and "Traceback" not in err


def test_predict_names_the_line_of_a_lone_surrogate(tiny_mlm_dir, tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "好"}\n{"text": "\\ud83d"}\n')
    assert main(["predict", "--model", str(tiny_mlm_dir), "--input", str(data), "--output", str(tmp_path / "o")]) == 2
    assert "in.jsonl:2: field 'text' holds a lone surrogate" in capsys.readouterr().err


# 4. Lengths too small to hold a token ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", ["0", "2", "-5", "1"])
@pytest.mark.parametrize("task", ["ner", "classify"])
def test_too_small_a_max_seq_length_is_refused(tiny_mlm_dir, tmp_path, capsys, task, length):
    data = TEST_DATA / ("resume_dev.char.bmes" if task == "ner" else "chnsenticorp_sample.csv")
    argv = ["train", task, "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(data)]
    assert main([*argv, "--output_dir", str(tmp_path / "o"), "--max_seq_length", length]) == 2
    assert f"max_seq_length must be at least 3 ([CLS], one token, [SEP]), got {length}" in capsys.readouterr().err


@pytest.mark.parametrize("trained", [1, 2])
def test_a_model_window_under_three_tokens_is_refused(tiny_mlm_dir, tokenizer, trained):
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_mlm_dir, num_labels=3, id2label=dict(enumerate(SCHEME_LABELS["IOB2"][:3]))
    )
    model.config.zhbert_max_length = trained
    with pytest.raises(DataError, match=f"the model reads at most {trained} tokens"):
        EntityTagger(model, tokenizer, device="cpu")


# 6, 7. jieba on long unknown runs, and its cache ---------------------------------------------------------------


def test_long_texts_reach_jieba_in_pieces():
    seg = JiebaSegmenter(max_chars=40)
    text = "鑫" * 100 + "。中华人民共和国刑法"
    words = seg.cut([text])[0]
    assert "".join(words) == text and max(map(len, words)) <= 40
    assert words[-2:] == ["中华人民共和国", "刑法"]
    lengths, starts = seg.word_lengths([text, "刑法"])
    assert lengths.tolist() == [*map(len, words), 2] and starts.tolist() == [0, len(text)]


def test_jiebas_cache_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHBERT_HOME", str(tmp_path / "home"))
    JiebaSegmenter().cut(["中华人民共和国"])
    folder = tmp_path / "home" / "jieba"
    assert (folder / "jieba.cache").is_file() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o777)
    with pytest.raises(UsageError, match="others may write to it"):
        JiebaSegmenter().cut(["中华人民共和国"])


# 8. Files are written under random names, never through a planted link -------------------------------------


def test_writes_do_not_follow_a_planted_link(tiny_classifier_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for name in ("out.jsonl.tmp", "refs.txt.tmp"):
        os.symlink(victim, tmp_path / name)
    texts = tmp_path / "in.txt"
    texts.write_text("好\n")
    out = str(tmp_path / "out.jsonl")
    argv = ["predict", "--model", str(tiny_classifier_dir), "--input", str(texts), "--output", out]
    assert main(argv) == 0
    write_chinese_ref(tmp_path / "refs.txt", [[1, 2]])
    assert victim.read_text() == "keep me"
    assert (tmp_path / "refs.txt").read_text() == "[1, 2]\n" and not (tmp_path / "refs.txt").is_symlink()
    assert stat.S_IMODE((tmp_path / "refs.txt").stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# 9. torch that loads safely -------------------------------------------------------------------------------------


def test_torch_floor_loads_weights_only():
    import tomllib

    from tests.conftest import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "torch>=2.6" in project["dependencies"]  # torch.load takes weights only by default from 2.6 on


# 10. Saved tokenizers carry the model's length ----------------------------------------------------------------


def test_a_saved_tokenizer_truncates_where_the_model_must(tiny_mlm_dir, tmp_path):
    out = tmp_path / "ner"
    argv = [
        "train",
        "ner",
        "--model_name_or_path",
        str(tiny_mlm_dir),
        "--train_file",
        str(TEST_DATA / "resume_dev.char.bmes"),
    ]
    assert main([*argv, "--output_dir", str(out), "--max_steps", "1", "--disable_tqdm", "true"]) == 0
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 512
    from transformers import pipeline

    ner = pipeline("token-classification", model=str(out), device="cpu")
    assert isinstance(ner("高" * 700), list)  # truncates instead of failing on 700 tokens past 512 positions


# 11. Only tokens that occur in text are drawn or proposed -----------------------------------------------------


def test_replacements_and_candidates_are_tokens_of_text(tiny_mlm_dir, tokenizer):
    allowed = set(text_token_ids(tokenizer))
    vocab = tokenizer.get_vocab()
    assert vocab["##彷"] not in allowed and vocab["[unused53]"] not in allowed and vocab["[MASK]"] not in allowed
    assert vocab["彷"] in allowed and vocab["##ing"] in allowed
    collator = WholeWordMaskCollator(tokenizer, mask_replace_prob=0.0, random_replace_prob=1.0, seed=0)
    ids = torch.tensor([[101, *range(2000, 2126), 102]])
    new, labels = collator.mask_whole_words(ids, torch.tensor([[-1, *range(126), -1]]))
    replaced = new[labels != -100].tolist()
    assert replaced and set(replaced) <= allowed
    filler = MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu")
    for candidate in filler.predict(["中华人民共和国[MASK]法"], top_k=200)[0][0]:
        assert vocab[candidate.token] in allowed


# 12. Combining marks stay with their letter -------------------------------------------------------------------


def test_an_entity_keeps_its_combining_marks(tiny_mlm_dir, tokenizer):
    tagger = biased_tagger(tiny_mlm_dir, tokenizer, SCHEME_LABELS["BIOES"], "S-PER")
    text = "Cafe\u0301 e\u0301\ufe0f王"
    for e in tagger.predict([text])[0]:
        assert text[e.start : e.end] == e.text
        assert e.end == len(text) or not ("\u0300" <= text[e.end] <= "\u036f" or text[e.end] == "\ufe0f")


# 13. The collator checks its word ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word_ids", "match"),
    [
        ([-1, 0, 10**12, -1], "a word id of 4 or more"),
        ([-1, 1, 0, -1], "word ids that decrease"),
        ([-1, 0, -5, -1], "a word id below -1"),
    ],
)
def test_bad_word_ids_are_refused(tokenizer, word_ids, match):
    collator = WholeWordMaskCollator(tokenizer, seed=0)
    feature = {"input_ids": [101, 2000, 2001, 102], "word_ids": word_ids}
    with pytest.raises(UsageError, match=f"feature 0 has {match}"):
        collator([feature])


# 14. CLUE's classification files -------------------------------------------------------------------------------


def test_clue_json_files_are_read(tmp_path, tiny_mlm_dir):
    afqmc = tmp_path / "afqmc.json"
    afqmc.write_text(
        '{"sentence1": "花呗怎么还款", "sentence2": "花呗如何还钱", "label": "1"}\n'
        '{"sentence1": "借呗额度", "sentence2": "花呗额度", "label": "0"}\n',
        encoding="utf-8",
    )
    examples = read_cls_file(afqmc).examples
    assert (examples[0].text, examples[0].text_pair, examples[0].label) == ("花呗怎么还款", "花呗如何还钱", "1")
    array = tmp_path / "tnews.json"
    array.write_text('[\n {"sentence": "好", "label": 101},\n {"sentence": "坏", "label": 102}\n]\n', encoding="utf-8")
    assert [(e.text, e.label, e.source) for e in read_cls_file(array).examples] == [
        ("好", "101", f"{array}:2"),
        ("坏", "102", f"{array}:3"),
    ]
    out = tmp_path / "model"
    argv = ["train", "classify", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(afqmc)]
    assert main([*argv, "--output_dir", str(out), "--max_steps", "1", "--disable_tqdm", "true"]) == 0
    assert read_ner_file(TEST_DATA / "cluener_dev_sample.json", limit=1)[1] == "CLUENER"  # NER's .json is unchanged
    assert Path(out / "config.json").is_file()


# 15. Wrong arguments, wrong models and wrong files for the inference API and `zhbert predict` -----------------


@pytest.mark.parametrize(
    ("device", "error", "match"),
    [
        ("gpu", UsageError, "'gpu' is not a device name"),
        ("", UsageError, "is not a device name"),
        ("meta", UsageError, "zhbert runs on 'cpu', 'cuda' or 'mps'"),
        (1.5, ArgumentTypeError, "device must be a string"),
    ],
)
def test_a_bad_device_is_named(tiny_classifier_dir, device, error, match):
    with pytest.raises(error, match=match):
        TextClassifier.from_pretrained(tiny_classifier_dir, device=device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine with a GPU has CUDA")
def test_cuda_without_a_gpu_is_named(tiny_classifier_dir):
    with pytest.raises(UsageError, match="no CUDA GPU is available here"):
        TextClassifier.from_pretrained(tiny_classifier_dir, device="cuda")


def test_counts_must_be_whole_numbers(tiny_classifier_dir, tiny_mlm_dir):
    classifier = TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu")
    for bad in ("2", 2.5, True, None, 0):
        with pytest.raises(UsageError, match="batch_size must be a whole number >= 1"):
            classifier.predict(["好"], batch_size=bad)
    filler = MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu")
    for bad in ("3", 2.5, 0):
        with pytest.raises(UsageError, match="top_k must be a whole number >= 1"):
            filler.predict(["中华人民共和国[MASK]法"], top_k=bad)


def test_empty_inputs_to_the_classifier(tiny_classifier_dir):
    classifier = TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu")
    assert classifier.predict([]) == [] and classifier.predict([], text_pairs=[]) == []
    with pytest.raises(UsageError, match=r"texts\[1\] is empty"):
        classifier.predict(["好", "  \n"])
    with pytest.raises(UsageError, match=r"text_pairs\[0\] is empty"):
        classifier.predict(["好"], text_pairs=[""])
    with pytest.raises(TypeError, match="has no order"):
        classifier.predict({"好", "坏"})


def test_one_rule_for_empty_texts_in_every_predictor(tiny_classifier_dir, tiny_tagger_dir, tiny_mlm_dir):
    """An empty or whitespace-only text is refused by its position in every predictor, and an empty list is
    answered with an empty list."""
    predictors = [
        TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu"),
        EntityTagger.from_pretrained(tiny_tagger_dir, device="cpu"),
        MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu"),
    ]
    for predictor in predictors:
        assert predictor.predict([]) == []
        with pytest.raises(UsageError, match=r"texts\[1\] is empty: there is nothing to predict"):
            predictor.predict(["好[MASK]", ""])
        with pytest.raises(UsageError, match=r"texts\[0\] is empty or only whitespace"):
            predictor.predict([" \u3000\n"])


def test_the_classifier_says_when_it_cut_a_text(tiny_classifier_dir):
    classifier = TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu")
    window = classifier.max_length
    short, long = "好吃" * 10, "好吃" * window
    assert [r.truncated for r in classifier.predict([short, long, short])] == [False, True, False]
    assert [r.truncated for r in classifier.predict([short], text_pairs=[long])] == [True]
    assert classifier.predict([long])[0].scores == classifier.predict([long + "太差" * 50])[0].scores


def test_a_checkpoint_of_another_kind_is_refused(tiny_classifier_dir, tiny_mlm_dir, tmp_path, capsys):
    with pytest.raises(DataError, match="a BertForMaskedLM checkpoint, not a sequence classifier"):
        TextClassifier.from_pretrained(tiny_mlm_dir)
    with pytest.raises(DataError, match="a BertForMaskedLM checkpoint, not a token classifier"):
        EntityTagger.from_pretrained(tiny_mlm_dir)
    with pytest.raises(DataError, match="a BertForSequenceClassification checkpoint, not a masked-language model"):
        MaskFiller.from_pretrained(tiny_classifier_dir)
    with pytest.raises(DataError, match="a file, not a model directory"):
        TextClassifier.from_pretrained(tiny_classifier_dir / "config.json")
    texts = tmp_path / "in.txt"
    texts.write_text("味道很好\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(tiny_mlm_dir), "--input", str(texts), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "a BertForMaskedLM checkpoint, not a fine-tuned classifier or tagger" in err and "Traceback" not in err
    assert not out.exists()


def predict(tiny_classifier_dir, path, out, *flags):
    return main(["predict", "--model", str(tiny_classifier_dir), "--input", str(path), "--output", str(out), *flags])


def written_texts(out, column="text"):
    """The texts of the lines that hold a prediction (a blank line's or an empty text's line holds none)."""
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return [row[column] for row in rows if "skipped" not in row]


def test_predict_reads_tables_and_json_as_training_does(tiny_classifier_dir, tmp_path, capsys):
    table = tmp_path / "in.csv"
    table.write_text("label,review\n正面,很快，好吃\n负面,太慢\n", encoding="utf-8")
    assert predict(tiny_classifier_dir, table, out := tmp_path / "table.jsonl") == 0
    assert written_texts(out, "review") == ["很快，好吃", "太慢"]  # the table's own columns, passed through
    array = tmp_path / "in.json"
    array.write_text('[{"text": "味道很好"}, {"text": "送餐太慢"}]', encoding="utf-8")
    assert predict(tiny_classifier_dir, array, out := tmp_path / "array.jsonl") == 0
    assert written_texts(out) == ["味道很好", "送餐太慢"]
    lines = tmp_path / "in.txt"
    lines.write_text("味道很好\n\n  \n送餐太慢\n\n", encoding="utf-8")
    capsys.readouterr()
    assert predict(tiny_classifier_dir, lines, out := tmp_path / "lines.jsonl") == 0
    assert "2 predictions written" in (said := capsys.readouterr().err) and "(3 blank lines or empty texts" in said
    assert written_texts(out) == ["味道很好", "送餐太慢"]
    assert [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()] == [1, 2, 3, 4, 5]


def test_predict_reads_the_texts_of_a_labelled_ner_file(tiny_tagger_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    cluener = TEST_DATA / "cluener_dev_sample.json"  # text and entity spans per line: the spans are not read
    assert predict(tiny_tagger_dir, cluener, out) == 0
    texts = [json.loads(line)["text"] for line in cluener.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert written_texts(out) == texts and all("entities" in json.loads(x) for x in out.read_text().splitlines())


def test_predict_refuses_what_it_cannot_read(tiny_classifier_dir, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    cases = {
        "in.xlsx": ("好\n", "unknown suffix '.xlsx'"),
        "bad.jsonl": ('{"text": "好"}\n[1, 2]\n', "bad.jsonl:2: "),
        "quote.csv": ('label,review\n正面,"好吃\n负面,难吃\n', "quote.csv:2: malformed CSV record"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert predict(tiny_classifier_dir, path, out) == 2, name
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (name, err)
        assert not out.exists()
    folder = tmp_path / "texts"
    folder.mkdir()
    assert predict(tiny_classifier_dir, folder, out) == 2
    assert f"{folder}: a folder; give one file of texts (see --input)" in capsys.readouterr().err
    assert not out.exists()


def test_a_bad_output_is_refused_before_the_work(tiny_classifier_dir, tmp_path, capsys):
    texts = tmp_path / "in.txt"
    texts.write_text("味道很好\n", encoding="utf-8")
    assert predict(tiny_classifier_dir, texts, tmp_path / "no" / "such" / "out.jsonl") == 2
    assert "the folder" in capsys.readouterr().err
    assert predict(tiny_classifier_dir, texts, tmp_path) == 2
    assert "a folder; --output names the file to write" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp"))


def test_evaluate_says_how_many_empty_rows_it_left_out(tiny_classifier_dir, tmp_path, caplog):
    table = tmp_path / "test.csv"
    table.write_text("label,review\n正面,好吃\n负面,\n正面,  \n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert main(["evaluate", "--model", str(tiny_classifier_dir), "--test_file", str(table)]) == 0
    assert "2 rows with an empty text were left out" in caplog.text
