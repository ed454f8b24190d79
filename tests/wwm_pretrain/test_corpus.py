from __future__ import annotations

import json
from itertools import pairwise

import datasets
import numpy as np
import pytest

from tests.conftest import TEST_DATA
from wwm_pretrain.arguments import DataArguments
from wwm_pretrain.corpus import CorpusError, check_corpus, is_validation_unit, iter_units, pack_units
from wwm_pretrain.prepare import prepare_corpus
from zhbert.text import CharSegmenter, JiebaSegmenter, wwm_features


def test_txt_units_follow_blank_lines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\ufeff第一条 甲。\n第二条 乙。\n\n\n第一条 丙。\n  \n第一条 丁。", encoding="utf-8")
    assert list(iter_units(path)) == ["第一条 甲。\n第二条 乙。", "第一条 丙。", "第一条 丁。"]


def test_long_documents_become_units_of_100_paragraphs(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(f"第{i}条。" for i in range(250)), encoding="utf-8")
    assert [u.count("\n") + 1 for u in iter_units(path)] == [100, 100, 50]


def test_jsonl_and_saved_dataset(tmp_path):
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(json.dumps({"content": "甲。\n乙。"}, ensure_ascii=False) + "\n\n", encoding="utf-8")
    assert list(iter_units(jsonl, "content")) == ["甲。\n乙。"]
    saved = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": ["丙。", "丁。\n戊。"]}).save_to_disk(str(saved))
    assert list(iter_units(saved)) == ["丙。", "丁。\n戊。"]
    both = tmp_path / "dict"
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": ["己。"]})}).save_to_disk(str(both))
    assert list(iter_units(both)) == ["己。"]


def test_bad_corpora_are_named(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CorpusError, match=r"empty\.txt is empty"):
        check_corpus(empty)
    blank = tmp_path / "blank.txt"
    blank.write_text("\n \n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"blank\.txt holds no text"):
        check_corpus(blank)
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary\xff\xfe")
    with pytest.raises(CorpusError, match=r"model\.bin:1: holds NUL bytes"):
        check_corpus(binary)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("第一行是好的\n".encode() + "中华人民共和国刑法\n".encode("gbk"))
    with pytest.raises(CorpusError, match=r"gbk\.txt:2: not UTF-8 text; it decodes as GBK"):
        check_corpus(gbk)
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text('{"text": "好"}\n{"body": "坏"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c\.jsonl:2: no 'text' field \(found \['body'\]\)$") as info:
        check_corpus(jsonl)
    assert info.value.argument == "text_column"  # wwm-pretrain adds "(see --text_column)"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "好"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken\.jsonl:2: not valid JSON"):
        check_corpus(broken)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.md").write_text("no dataset here", encoding="utf-8")
    with pytest.raises(CorpusError, match="not a saved `datasets` directory"):
        check_corpus(folder)
    no_text = tmp_path / "no_text"
    datasets.Dataset.from_dict({"review": ["好"]}).save_to_disk(str(no_text))
    with pytest.raises(CorpusError, match=r"no 'text' column \(columns: \['review'\]\)"):
        check_corpus(no_text)
    with pytest.raises(FileNotFoundError, match="corpus not found"):
        check_corpus(tmp_path / "missing.txt")


def test_pack_units_cuts_at_word_boundaries(tokenizer, law_txt):
    units = list(iter_units(law_txt))[:6]
    seg = JiebaSegmenter()
    packed = pack_units(units, tokenizer, seg, max_seq_length=64)
    assert set(packed) == {"input_ids", "attention_mask", "token_type_ids", "word_ids"}
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    for ids, words in zip(packed["input_ids"], packed["word_ids"], strict=True):
        assert 3 <= len(ids) <= 64 and ids[0] == cls_id and ids[-1] == sep_id
        assert words[0] == words[-1] == -1 and words[1] == 0
        assert all(b - a in (0, 1) for a, b in pairwise(words[1:-1]))
    # The blocks, laid end to end, are exactly the units' tokens, and each cut falls between words.
    reference_ids, reference_starts = [], []
    for unit in units:
        for feat in wwm_features(unit.split("\n"), tokenizer, seg, max_length=1002):
            w, start = feat["word_ids"][1:-1], len(reference_ids)
            reference_starts += [start + i for i in range(len(w)) if i == 0 or w[i] != w[i - 1]]
            reference_ids += feat["input_ids"][1:-1]
    assert [t for ids in packed["input_ids"] for t in ids[1:-1]] == reference_ids
    cuts = np.cumsum([len(ids) - 2 for ids in packed["input_ids"]])[:-1]
    assert set(cuts.tolist()) <= set(reference_starts)


def test_a_word_longer_than_a_block_is_cut(tokenizer):
    seg = JiebaSegmenter()
    seg.add_words(["甲" * 33])
    packed = pack_units(["甲" * 33 + "。"], tokenizer, seg, max_seq_length=12)
    assert [len(ids) for ids in packed["input_ids"]] == [12, 12, 12, 6]
    assert [w[1:-1] for w in packed["word_ids"]] == [[0] * 10, [0] * 10, [0] * 10, [0, 0, 0, 1]]


def data_args(law_txt, cache, **kw):
    base = dict(train_file=str(law_txt), max_seq_length=64, prepared_cache_dir=str(cache))
    return DataArguments(**{**base, **kw})


def test_prepare_caches_on_exactly_what_changes_the_output(tokenizer, law_txt, tmp_path):
    cache = tmp_path / "cache"
    seg = JiebaSegmenter()
    first = prepare_corpus(data_args(law_txt, cache, preprocessing_num_workers=2), tokenizer, seg)
    assert not first.reused and len(first.train) > 100 and first.eval is not None and len(first.eval) > 0
    assert first.train.column_names == ["input_ids", "attention_mask", "token_type_ids", "word_ids", "idx"]
    assert first.train["idx"][:3] == [0, 1, 2]
    # Other settings (workers, samples, mlm probability, n-grams) reuse the cache.
    again = prepare_corpus(
        data_args(law_txt, cache, preprocessing_num_workers=1, mlm_probability=0.2, max_ngram=3, max_train_samples=50),
        tokenizer,
        seg,
    )
    assert again.reused and again.cache_path == first.cache_path and len(again.train) == 50
    assert again.train[:50]["input_ids"] == first.train[:50]["input_ids"]
    # The segmenter, its dictionary, the tokenizer and max_seq_length each rebuild it.
    changed = [
        prepare_corpus(data_args(law_txt, cache), tokenizer, CharSegmenter()),
        prepare_corpus(data_args(law_txt, cache), tokenizer, JiebaSegmenter(user_dict=TEST_DATA / "legal_terms.txt")),
        prepare_corpus(data_args(law_txt, cache, max_seq_length=32), tokenizer, seg),
    ]
    other_tokenizer = tokenizer.__class__.from_pretrained(tokenizer.name_or_path, do_lower_case=False)
    changed.append(prepare_corpus(data_args(law_txt, cache), other_tokenizer, seg))
    paths = {first.cache_path} | {c.cache_path for c in changed}
    assert not any(c.reused for c in changed) and len(paths) == 5
    assert prepare_corpus(data_args(law_txt, cache, overwrite_cache=True), tokenizer, seg).reused is False


def test_validation_split_is_by_document_and_stable(tokenizer, law_txt, tmp_path):
    args = data_args(law_txt, tmp_path / "c", validation_split_percentage=20)
    prepared = prepare_corpus(args, tokenizer, CharSegmenter())
    units = list(iter_units(law_txt))
    held_out = [u for i, u in enumerate(units) if is_validation_unit(i, 20)]
    assert 0.1 * len(units) < len(held_out) < 0.3 * len(units)
    expected = pack_units(held_out, tokenizer, CharSegmenter(), 64)
    assert prepared.eval["input_ids"] == expected["input_ids"]
    assert len(prepared.train) + len(prepared.eval) == len(
        pack_units(units, tokenizer, CharSegmenter(), 64)["input_ids"]
    )


def test_streaming(tokenizer, law_txt):
    prepared = prepare_corpus(
        DataArguments(train_file=str(law_txt), max_seq_length=64, streaming=True, max_eval_samples=5),
        tokenizer,
        JiebaSegmenter(),
    )
    rows = list(zip(range(3), prepared.train, strict=False))
    assert [row["idx"] for _, row in rows] == [0, 1, 2]
    assert len(list(prepared.eval)) == 5
