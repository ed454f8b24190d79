"""zhbert.text.files: the one hash of files that the release manifest and the study's records use, the one
parser of JSON lines that every JSON-lines reader goes through, and the one reader of a text file's lines."""

from __future__ import annotations

import hashlib

import pytest

from wwm_pretrain.corpus import CorpusError, iter_units
from wwm_pretrain.vocab import count_tokens
from zhbert.data import read_cls_file, read_ner_file
from zhbert.errors import DataError, MissingFileError
from zhbert.text.files import json_line, nonblank_lines, read_lines, sha256_of_files


def test_sha256_of_files_hashes_the_bytes_in_order(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 5000)  # 1.2 MiB: more than one block
    small = tmp_path / "small.txt"
    small.write_bytes("高勇：男，中国国籍。\n".encode())
    both = big.read_bytes() + small.read_bytes()
    assert sha256_of_files([big, small]) == hashlib.sha256(both).hexdigest()
    assert sha256_of_files([small, big]) != sha256_of_files([big, small])
    assert sha256_of_files([str(small)]) == hashlib.sha256(small.read_bytes()).hexdigest()
    assert sha256_of_files([]) == hashlib.sha256(b"").hexdigest()


def test_json_line_parses_or_names_where():
    assert json_line('{"text": "高勇", "label": 1}', "a.jsonl:3") == {"text": "高勇", "label": 1}
    with pytest.raises(DataError, match=r"^a\.jsonl:3: not valid JSON \(Expecting ',' delimiter\)$"):
        json_line('{"text": "高勇" "label": 1}', "a.jsonl:3")


def test_every_json_lines_reader_names_the_bad_line(tmp_path):
    bad = '\n  \n{"text": "坏"\n'  # two blank lines, then a line cut short
    for name in ("cls.jsonl", "ner.json", "corpus.jsonl"):
        (tmp_path / name).write_text(bad, encoding="utf-8")
    with pytest.raises(DataError, match=r"cls\.jsonl:3: not valid JSON"):
        read_cls_file(tmp_path / "cls.jsonl")
    with pytest.raises(DataError, match=r"ner\.json:3: not valid JSON"):
        read_ner_file(tmp_path / "ner.json")
    with pytest.raises(CorpusError, match=r"corpus\.jsonl:3: not valid JSON"):
        list(iter_units(tmp_path / "corpus.jsonl"))


def test_read_lines_numbers_the_lines_and_drops_line_ends_and_a_bom(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeff高勇\r\n\n  \n中国国籍。".encode())
    assert list(read_lines(path)) == [(1, "高勇"), (2, ""), (3, "  "), (4, "中国国籍。")]
    assert list(nonblank_lines([path, path])) == ["高勇", "中国国籍。", "高勇", "中国国籍。"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("好的\n".encode() + "刑法\n".encode("gbk"), r"gbk\.txt:2: not UTF-8 text; it decodes as GBK/GB18030"),
        (b"ok\n\xff\xfe\x00a\n", r"gbk\.txt:2: holds NUL bytes"),
        (b"ok\n\x80\x80\x80\n", r"gbk\.txt:2: not UTF-8 text$"),
    ],
)
def test_read_lines_names_the_file_and_line_that_is_not_utf8(tmp_path, data, message):
    path = tmp_path / "gbk.txt"
    path.write_bytes(data)
    lines = read_lines(path)
    assert next(lines) == (1, "好的" if data.startswith("好".encode()) else "ok")  # read as it goes
    with pytest.raises(DataError, match=message):
        next(lines)


def test_read_lines_of_a_missing_file_or_a_folder(tmp_path):
    with pytest.raises(MissingFileError, match=r"absent\.txt: no such file"):
        list(read_lines(tmp_path / "absent.txt"))
    with pytest.raises(MissingFileError, match="a folder, not a text file"):
        list(nonblank_lines([tmp_path]))


def test_the_corpus_and_the_vocabulary_read_a_txt_file_the_same_way(tmp_path, tokenizer):
    path = tmp_path / "c.txt"
    path.write_text("高勇：男。\n\n  \n中国国籍。\r\n", encoding="utf-8")
    assert list(iter_units(path)) == ["高勇：男。", "中国国籍。"]
    assert count_tokens(tokenizer, nonblank_lines([path])) == count_tokens(tokenizer, ["高勇：男。", "中国国籍。"])
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("高勇\n".encode("gbk"))
    with pytest.raises(CorpusError, match=r"gbk\.txt:1: not UTF-8 text; it decodes as GBK"):
        list(iter_units(gbk))
