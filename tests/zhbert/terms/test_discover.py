"""Term discovery (``zhbert.terms``, ``zhbert terms``, ``wwm-pretrain --user_dict auto``) on the demo's real
legal corpus, its statistics checked against counting by hand."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import LAW_CORPUS
from tests.wwm_pretrain.test_run import tiny_args
from wwm_pretrain.arguments import DataArguments
from wwm_pretrain.prepare import prepare_corpus
from wwm_pretrain.run import main as pretrain_main
from zhbert.commands import main
from zhbert.errors import ArgumentTypeError, UsageError
from zhbert.terms import Term, discover_terms, function_characters, known_words, write_user_dict
from zhbert.text import CharSegmenter, JiebaSegmenter, read_user_dict

HAN = r"\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"  # what counts as a CJK character
CJK = re.compile(f"^[{HAN}]+$")


@pytest.fixture(scope="module")
def law_paragraphs() -> list[str]:
    return [line for line in LAW_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def law_terms(law_paragraphs) -> list[Term]:
    return discover_terms(law_paragraphs)


def test_finds_the_legal_terms_jieba_splits(law_terms):
    words = [t.word for t in law_terms[:200]]
    for term in ("认罪认罚", "值班律师", "讯问笔录", "仲裁协议", "强制医疗"):
        assert term in words
        assert JiebaSegmenter().cut([f"告知{term}的"])[0] != ["告知", term, "的"]  # jieba cuts it today
    assert all(isinstance(t, Term) and t.count >= 5 and t.cohesion >= 4.0 for t in law_terms)
    assert all(min(t.left_entropy, t.right_entropy) >= 1.0 for t in law_terms)


def test_sorted_by_score_and_top_k(law_paragraphs, law_terms):
    scores = [t.score for t in law_terms]
    assert scores == sorted(scores, reverse=True)
    for t in law_terms[:50]:
        free = min(t.left_entropy, t.right_entropy)
        assert t.score == pytest.approx(free + (t.cohesion + t.novelty / 2) / len(t.word))
    assert discover_terms(law_paragraphs, top_k=25) == law_terms[:25]


def test_known_words_and_rules(law_paragraphs, law_terms):
    known = known_words()
    assert "船舶" in known and len(known) > 300_000
    assert not any(t.word in known for t in law_terms)
    everything = discover_terms(law_paragraphs, exclude_known=False)
    assert "船舶" in {t.word for t in everything}
    assert {t.word for t in law_terms} <= {t.word for t in everything}
    # The rules: no function word at either end, no number expressions.
    assert {"的", "了", "在", "和", "对"} <= function_characters() and "法" not in function_characters()
    words = {t.word for t in law_terms}
    for cut in JiebaSegmenter(hmm=False).cut(sorted(words)):
        assert cut[0] not in function_characters() and cut[-1] not in function_characters()
    assert not any(sum(ch in "〇零一二三四五六七八九十百千万亿两" for ch in w) >= 2 for w in words)
    plain = {t.word for t in discover_terms(law_paragraphs, rules=False)}
    assert {"被判处", "第四百", "等因素"} <= plain - words
    assert {"和解协议", "违法所得", "证券交易所"} <= words  # a function character inside a word is no edge


def test_pieces_of_dictionary_words_are_left_out():
    # 委书记 follows 市, 省, 县 and 党, each of which makes a dictionary word with 委 (市委, 党委, ...); 监管员
    # follows the same four and makes none. Both are free and cohesive (for so small a corpus); only the second
    # is a term.
    known = known_words()
    assert {"市委", "省委", "县委", "党委"} <= known and not {"市监", "省监", "县监", "党监"} & known
    ends = ["出席会议", "讲话", "指出", "表示", "主持会议", "强调"]
    texts = [f"今天{place}{word}{end}。" for word in ("委书记", "监管员") for place in "市省县党" for end in ends]
    plain = {t.word for t in discover_terms(texts, min_count=2, min_cohesion=2.0, rules=False)}
    assert {"委书记", "监管员"} <= plain
    found = {t.word for t in discover_terms(texts, min_count=2, min_cohesion=2.0)}
    assert "监管员" in found and "委书记" not in found


def test_without_compounds_only_words_the_dictionary_cannot_build_are_kept(law_paragraphs, law_terms):
    new = discover_terms(law_paragraphs, compounds=False)
    words = sorted({t.word for t in law_terms})
    cuts = JiebaSegmenter(hmm=False).cut(words)
    builds = {w: all(len(piece) > 1 for piece in cut) for w, cut in zip(words, cuts, strict=True)}
    assert new == [t for t in law_terms if not builds[t.word]]  # the same terms, order and statistics, less some
    assert builds["值班律师"] and not builds["支付令"]  # 值班 + 律师; 支付 + 令
    kept = {t.word for t in new}
    assert "支付令" in kept and "值班律师" not in kept
    assert 0 < len(new) < len(law_terms)
    # A dictionary word is one piece, no compound: it stays when known words are kept.
    assert "船舶" in {t.word for t in discover_terms(law_paragraphs, exclude_known=False, compounds=False)}


def test_no_term_crosses_punctuation_or_the_end_of_a_text():
    # Were the comma or the end of a text no boundary, 丰日, 丰月, ... and 雨天, 雪地, ... would each be seen 3 times.
    texts = [f"{a}张三丰，{b}{c}" for a in "天地人山水火木金土风" for b in "日月星云雨" for c in "雪霜雷电光"] * 3
    words = {t.word for t in discover_terms(texts, min_count=3, min_cohesion=0, min_entropy=0, exclude_known=False)}
    assert "张三丰" in words
    runs = {run for text in texts for run in re.split(f"[^{HAN}]+", text)}
    assert all(CJK.match(w) and any(w in run for run in runs) for w in words)
    assert not any("丰" in w and not w.endswith("丰") for w in words)


def _neighbour(ch: str) -> str:
    if (ch.isdigit() and ch.isascii()) or "０" <= ch <= "９":
        return "0"
    if (ch.isascii() and ch.isalpha()) or "Ａ" <= ch <= "Ｚ" or "ａ" <= ch <= "ｚ":
        return "A"
    return ch


def _entropy(neighbours: list[str | None]) -> float:
    counts = Counter(n for n in neighbours if n is not None)
    total = len(neighbours)
    # The ends of texts (None) are each a neighbour of their own.
    spread = sum(-c / total * math.log(c / total) for c in counts.values())
    return spread + sum(1 for n in neighbours if n is None) / total * math.log(total)


def test_statistics_match_counting_by_hand(law_paragraphs, law_terms):
    n_chars = sum(len(re.findall(f"[{HAN}]", p)) for p in law_paragraphs)

    def count(s: str) -> int:  # overlapping occurrences
        return sum(len(re.findall(f"(?={re.escape(s)})", p)) for p in law_paragraphs)

    for t in law_terms[:12] + law_terms[-3:]:
        left: list[str | None] = []
        right: list[str | None] = []
        for p in law_paragraphs:
            for m in re.finditer(f"(?={re.escape(t.word)})", p):
                i, j = m.start(), m.start() + len(t.word)
                left.append(_neighbour(p[i - 1]) if i > 0 else None)
                right.append(_neighbour(p[j]) if j < len(p) else None)
        assert t.count == len(left) == count(t.word)
        pmi = min(math.log(n_chars * t.count / (count(t.word[:k]) * count(t.word[k:]))) for k in range(1, len(t.word)))
        assert t.cohesion == pytest.approx(pmi, rel=1e-9)
        assert t.left_entropy == pytest.approx(_entropy(left), rel=1e-9)
        assert t.right_entropy == pytest.approx(_entropy(right), rel=1e-9)


def test_two_processes_give_the_same_result(law_paragraphs, law_terms):
    assert discover_terms(iter(law_paragraphs), processes=2) == law_terms


def test_full_tables_keep_the_frequent_terms(law_paragraphs, law_terms, caplog):
    with caplog.at_level(logging.WARNING, logger="zhbert.terms.discover"):
        pruned = discover_terms(law_paragraphs, max_ngrams=20_000)
    assert "raise max_ngrams" in caplog.text
    exact = {t.word: t for t in law_terms}
    frequent = [t for t in law_terms if t.count >= 40]
    kept = {t.word: t for t in pruned}
    assert len(frequent) > 50 and all(t.word in kept for t in frequent)
    assert all(kept[w] == exact[w] for w in kept if w in exact)  # counts stay exact: they are counted again


def test_bad_arguments_are_named():
    with pytest.raises(UsageError, match="max_len must be a whole number between 2 and 32, got 1"):
        discover_terms(["中华人民共和国"], max_len=1)
    with pytest.raises(UsageError, match="min_len"):
        discover_terms(["中华人民共和国"], min_len=1)
    with pytest.raises(UsageError, match="top_k"):
        discover_terms(["中华人民共和国"], top_k=0)
    with pytest.raises(UsageError, match="min_entropy"):
        discover_terms(["中华人民共和国"], min_entropy=float("nan"))
    with pytest.raises(ArgumentTypeError, match="not a single string"):
        discover_terms("中华人民共和国")
    with pytest.raises(ArgumentTypeError, match=r"texts\[1\] is bytes"):
        discover_terms(["中华", b"\xe4\xb8\xad"])
    assert discover_terms([]) == [] and discover_terms(["abc 123", "，。"]) == []


def test_novelty_is_the_corpus_frequency_against_jiebas_own_cut(law_paragraphs, law_terms):
    import jieba

    jieba.dt.check_initialized()  # jieba's own frequency table, not zhbert's reading of dict.txt
    cjk = sum(len(run) for p in law_paragraphs for run in re.findall("[\u3007\u3400-\u4dbf\u4e00-\u9fff]+", p))
    for t in law_terms[:40]:
        pieces = jieba.lcut(t.word, HMM=False)
        expected = sum(math.log(max(jieba.dt.FREQ.get(p, 0), 1) / jieba.dt.total) for p in pieces)
        assert t.novelty == pytest.approx(math.log(t.count / cjk) - expected, abs=1e-3)


def test_written_dictionary_keeps_terms_whole(law_terms, tmp_path):
    paths = write_user_dict(law_terms[:300], tmp_path / "terms.txt")
    assert paths == [tmp_path / "terms.txt", tmp_path / "terms.tsv"]
    lines = paths[0].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300 and all(len(line.split()) == 3 and line.endswith(" nz") for line in lines)
    rows = paths[1].read_text(encoding="utf-8").splitlines()
    assert rows[0] == "word\tcount\tcohesion\tleft_entropy\tright_entropy\tnovelty\tscore" and len(rows) == 301
    segmenter = JiebaSegmenter(user_dict=paths[0])
    for term in law_terms[:300]:
        assert term.word in segmenter.cut([f"告知{term.word}。"])[0]
    with pytest.raises(UsageError, match=r"terms\.tsv: the statistics go to a \.tsv file"):
        write_user_dict(law_terms[:3], tmp_path / "terms.tsv")


# --- zhbert terms -------------------------------------------------------------------------------------------


def test_cli_writes_the_dictionary_and_the_statistics(tmp_path, capsys, law_terms):
    out = tmp_path / "terms.txt"
    assert main(["terms", str(LAW_CORPUS), "-o", str(out), "--top", "100", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith(f"zhbert terms: 100 terms from 7,138 lines written to {out}")
    words = [line.split()[0] for line in out.read_text(encoding="utf-8").splitlines()]
    assert words == [t.word for t in law_terms[:100]]
    assert (tmp_path / "terms.tsv").read_text(encoding="utf-8").count("\n") == 101
    assert "认罪认罚" in JiebaSegmenter(user_dict=out).cut(["被告人认罪认罚的"])[0]


def test_cli_without_compounds(tmp_path, capsys, law_terms):
    out = tmp_path / "new.txt"
    assert main(["terms", str(LAW_CORPUS), "-o", str(out), "--no-compounds", "--quiet"]) == 0
    words = [line.split()[0] for line in out.read_text(encoding="utf-8").splitlines()]
    assert "支付令" in words and "值班律师" not in words
    assert set(words) < {t.word for t in law_terms}


def test_cli_reads_several_files_and_keeps_known_words(tmp_path, capsys):
    lines = LAW_CORPUS.read_text(encoding="utf-8").splitlines()
    (tmp_path / "a.txt").write_text("\n".join(lines[:3000]), encoding="utf-8")
    (tmp_path / "b.txt").write_text("\n".join(lines[3000:]), encoding="utf-8")
    out = tmp_path / "all.txt"
    argv = ["terms", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "-o", str(out), "--include-known"]
    assert main([*argv, "--max-len", "4", "--min-count", "10", "--quiet"]) == 0
    words = {line.split()[0] for line in out.read_text(encoding="utf-8").splitlines()}
    assert "船舶" in words and "认罪认罚" in words and max(map(len, words)) <= 4


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (None, [], "corpus not found: MISSING"),
        (lambda p: p.write_bytes("第一行\n".encode() + "刑法\n".encode("gbk")), [], r"c\.txt:2: not UTF-8"),
        (lambda p: p.write_text("\n  \n", encoding="utf-8"), [], "the corpus holds no text"),
        (lambda p: p.write_text("中华人民共和国\n", encoding="utf-8"), ["--max-len", "1"], r"max_len .* \(see --max"),
        (lambda p: p.write_text("中华人民共和国\n", encoding="utf-8"), ["--top", "x"], "invalid int value"),
        (lambda p: p.mkdir(), [], r"c\.txt: a folder; give the text files in it \(.*c\.txt/\*\.txt\)$"),
    ],
)
def test_cli_errors_are_one_line_and_write_nothing(tmp_path, capsys, make, extra, message):
    corpus = tmp_path / "c.txt"
    if make is not None:
        make(corpus)
    name = str(corpus) if make is not None else "MISSING"
    assert main(["terms", name, "-o", str(tmp_path / "terms.txt"), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("zhbert terms: error: ")
    assert re.search(message, err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["c.txt"] if make is not None else [])


# --- wwm-pretrain --user_dict auto --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_law_txt(tmp_path_factory) -> Path:
    """The first 1,500 lines of the legal corpus, as a .txt corpus."""
    path = tmp_path_factory.mktemp("small-law") / "law.txt"
    path.write_text("\n".join(LAW_CORPUS.read_text(encoding="utf-8").split("\n")[:1500]) + "\n", encoding="utf-8")
    return path


def test_auto_dictionary_is_cached_with_the_prepared_corpus(tokenizer, small_law_txt, tmp_path):
    cache = tmp_path / "cache"

    def prepare(segmenter=None, **kw):
        args = DataArguments(train_file=str(small_law_txt), max_seq_length=64, prepared_cache_dir=str(cache), **kw)
        return prepare_corpus(args, tokenizer, segmenter or JiebaSegmenter())

    auto = prepare(user_dict="auto")
    assert not auto.reused and auto.user_dict == auto.cache_path / "terms.txt"
    entries = read_user_dict(auto.user_dict)
    assert len(entries) > 50 and (auto.cache_path / "terms.tsv").is_file()
    assert all(e.word not in known_words() and e.tag == "nz" for e in entries)
    again = prepare(user_dict="auto", preprocessing_num_workers=2)
    assert again.reused and again.cache_path == auto.cache_path and again.user_dict == auto.user_dict
    # The key tells apart no dictionary, a given one, and auto with other settings.
    plain = prepare()
    given = prepare(JiebaSegmenter(user_dict=auto.user_dict))
    top = prepare(user_dict="auto", terms_top=20)
    assert len({auto.cache_path, plain.cache_path, given.cache_path, top.cache_path}) == 4
    assert not any(p.reused for p in (plain, given, top)) and plain.user_dict is None
    assert len(read_user_dict(top.user_dict)) == 20
    # The discovered dictionary is the one that segmented: the same blocks as that file given by hand.
    assert auto.train["word_ids"] == given.train["word_ids"] != plain.train["word_ids"]


def test_auto_dictionary_needs_jieba_and_a_prepared_corpus(tokenizer, small_law_txt, tmp_path):
    def prepare(segmenter, **kw):
        args = DataArguments(train_file=str(small_law_txt), prepared_cache_dir=str(tmp_path), user_dict="auto", **kw)
        return prepare_corpus(args, tokenizer, segmenter)

    with pytest.raises(UsageError, match="for jieba; the char segmenter cannot use it") as err:
        prepare(CharSegmenter())
    assert err.value.argument == "user_dict"
    with pytest.raises(UsageError, match="streaming prepares none"):
        prepare(JiebaSegmenter(), streaming=True)
    with pytest.raises(UsageError, match="terms_max_len must be") as err:
        prepare(JiebaSegmenter(), terms_max_len=1)
    assert err.value.argument == "terms_max_len"
    assert not list(tmp_path.iterdir())


def test_wwm_pretrain_with_auto_dictionary(tiny_config_dir, small_law_txt, tmp_path, caplog, capsys):
    cache = tmp_path / "cache"
    argv = ["--user_dict", "auto", "--terms_top", "100", "--max_steps", "2", "--save_strategy", "no"]
    with caplog.at_level(logging.INFO):
        assert pretrain_main(tiny_args(tiny_config_dir, small_law_txt, tmp_path / "a", cache, *argv)) == 0
    assert "Discovered 100 terms for jieba's dictionary" in caplog.text
    (folder,) = cache.glob("wwm-*")
    assert len((folder / "terms.txt").read_text(encoding="utf-8").splitlines()) == 100
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert pretrain_main(tiny_args(tiny_config_dir, small_law_txt, tmp_path / "b", cache, *argv)) == 0
    assert "Prepared corpus reused" in caplog.text and "Discovered" not in caplog.text
    assert f"discovered from the corpus: {folder / 'terms.txt'}" in caplog.text
    capsys.readouterr()
    bad = tiny_args(tiny_config_dir, small_law_txt, tmp_path / "c", cache, *argv, "--segmenter", "char")
    assert pretrain_main(bad) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "wwm-pretrain: error: user_dict auto discovers a dictionary for jieba; the char segmenter cannot use it "
        "(see --user_dict)"
    )
