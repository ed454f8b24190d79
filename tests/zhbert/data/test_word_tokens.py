"""Tag files whose tokens are words (CoNLL-2003, spaCy, Label Studio's CoNLL export) and ``-DOCSTART-`` lines:
read with every character of a word inside its entity, or refused with the line where a token is a whole clause."""

from __future__ import annotations

import pytest

from zhbert.data import NerExample, read_ner_data, read_ner_file
from zhbert.errors import DataError

CONLL_2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
to TO B-VP O
boycott VB I-VP O
British JJ B-NP B-MISC
lamb NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

in IN B-PP O
1996 CD B-NP O
"""


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_conll_2003_words_and_document_breaks(tmp_path):
    path = write(tmp_path / "eng.train", CONLL_2003)
    data = read_ner_data(path)
    assert [(e.text, e.spans) for e in data.examples] == [
        ("EU rejects German call to boycott British lamb.", ((0, 2, "ORG"), (11, 17, "MISC"), (34, 41, "MISC"))),
        ("Peter Blackburn", ((0, 15, "PER"),)),
        ("in 1996", ()),
    ]
    assert data.examples[0].source == f"{path}:3"
    assert data.note == (
        f"{path}: read as word tokens, with a space where two Latin words meet; "
        "2 -DOCSTART- lines read as document breaks"
    )


def test_chinese_word_tokens_in_any_scheme(tmp_path):
    bioes = write(tmp_path / "zh.bioes", "张小明\tS-PER\n在\tO\n北京\tB-ORG\n大学\tE-ORG\n读书\tO\n。\tO\n")
    assert read_ner_file(bioes)[0] == [
        NerExample("张小明在北京大学读书。", ((0, 3, "PER"), (4, 8, "ORG")), f"{bioes}:1")
    ]
    bio = write(tmp_path / "zh.bio", "-DOCSTART-\tO\n张小明\tB-PER\n在\tO\n北京大学\tB-ORG\n")
    examples, scheme = read_ner_file(bio)
    assert scheme == "IOB2" and examples == [NerExample("张小明在北京大学", ((0, 3, "PER"), (4, 8, "ORG")), f"{bio}:2")]


def test_a_token_that_is_a_whole_clause_is_refused_with_its_line(tmp_path):
    # Label Studio's CoNLL export splits at spaces: a Chinese sentence is one token with its first entity's tag.
    path = write(tmp_path / "ls.conll", "-DOCSTART- -X- O\n张小明在北京大学读书。 -X- _ B-PER\n好 -X- _ O\n")
    with pytest.raises(
        DataError,
        match=r"ls\.conll:2: the token '张小明在北京大学读书。' \(11 characters\) carries one tag, "
        r"B-PER: the file splits text at spaces only .* export JSON instead",
    ):
        read_ner_file(path)


def test_character_files_are_not_word_files(tmp_path):
    path = write(tmp_path / "c.txt", "I B-ORG\nB I-ORG\nM I-ORG\n2020 O\n年 O\n")
    assert read_ner_data(path).examples[0].text == "IBM2020年" and read_ner_data(path).note == ""
