"""``word_pieces`` reads the Rust tokenizer directly when it may: the same pieces as the transformers call, for
one text or many, also after a call that left truncation set on the tokenizer."""

from __future__ import annotations

from zhbert.text.pieces import word_pieces

TEXTS = ["新华社上海三月五日电", "Hello world 2019年 café", "ａｂｃ１２３ 北京", "e\u0301 combining", ""]


def test_the_same_pieces_as_the_transformers_call(tokenizer):
    enc = tokenizer(TEXTS, add_special_tokens=False, return_offsets_mapping=True)
    many = word_pieces(tokenizer, TEXTS)
    assert [p.ids for p in many] == enc["input_ids"]
    assert [list(zip(p.starts, p.ends, strict=True)) for p in many] == [
        [tuple(o) for o in offsets] for offsets in enc["offset_mapping"]
    ]
    assert [word_pieces(tokenizer, [t])[0] for t in TEXTS] == many


def test_a_truncating_call_before_does_not_cut_the_pieces(tokenizer):
    long_text = "北京" * 300
    tokenizer([long_text], truncation=True, max_length=8)
    assert len(word_pieces(tokenizer, [long_text])[0].ids) == 600
