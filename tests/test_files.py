"""zhbert.text.files: the one hash of files that the release manifest and the study's records use, and the one
parser of JSON lines that every JSON-lines reader goes through."""

from __future__ import annotations

import hashlib

import pytest

from wwm_pretrain.corpus import CorpusError, iter_units
from zhbert.data import read_cls_file, read_ner_file
from zhbert.errors import DataError
from zhbert.text.files import json_line, sha256_of_files


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
