"""The base model's pretraining corpus: built from a small copy of the shared data's layout, it holds no dev or
test text and holds out every version of a held-out law together."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import LAW_CORPUS, TEST_DATA
from wwm_pretrain.splits import law_key
from zhbert_demo.base_corpus import build_base_corpus, main


def test_law_key_groups_the_versions_of_one_law():
    assert law_key("刑法/刑法修正案（七）.md") == law_key("刑法/刑法修正案.md") == "刑法修正案"
    assert law_key("其他/人体损伤程度鉴定标准(2014-01-01).md") == "人体损伤程度鉴定标准"
    assert law_key("行政法规/某条例（2019-03-02）.md") == law_key("部门规章/某条例.md")
    assert law_key("刑法/刑法.md") != law_key("民法典/民法典.md")


def fake_shared(root: Path) -> Path:
    """The shared data's layout, filled from the repository's fixtures (tests/data/README.md)."""
    law = root / "law_corpus_zh"
    law.mkdir(parents=True)
    documents = LAW_CORPUS.read_text(encoding="utf-8").strip("\n").split("\n\n")
    # Three versions of each law: the held-out split must keep them together.
    names = [f"法/第{i // 3}号法（{2000 + i % 3}-01-01）.md" for i in range(len(documents))]
    (law / "law_corpus.txt").write_text("\n\n".join(documents) + "\n", encoding="utf-8")
    (law / "doc_list.tsv").write_text("".join(f"{n}\t1\n" for n in names), encoding="utf-8")
    for name in ("resume_ner",):
        (root / name).mkdir()
        for part in ("train", "dev", "test"):
            shutil.copy(TEST_DATA / f"resume_{part}.char.bmes", root / name / f"{part}.char.bmes")
    (root / "cluener2020").mkdir()
    lines = (TEST_DATA / "cluener_dev_sample.json").read_text(encoding="utf-8").splitlines()
    (root / "cluener2020" / "train.json").write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    (root / "cluener2020" / "dev.json").write_text("\n".join(lines[50:]) + "\n", encoding="utf-8")
    (root / "msra_ner").mkdir()
    shutil.copy(TEST_DATA / "resume_train.char.bmes", root / "msra_ner" / "train.char.bio")
    with (TEST_DATA / "chnsenticorp_sample.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for name, file in (("chnsenticorp_htl", "ChnSentiCorp_htl_all.csv"), ("waimai_10k", "waimai_10k.csv"),
                       ("online_shopping_10_cats", "online_shopping_10_cats.csv")):  # fmt: skip
        (root / name).mkdir()
        with (root / name / file).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["label", "review"])
            writer.writeheader()
            writer.writerows({"label": r["label"], "review": r["review"]} for r in rows)
    return root


def test_no_heldout_text_reaches_training(tmp_path):
    from zhbert.data import read_cls_file, read_ner_file, split_examples

    shared = fake_shared(tmp_path / "shared")
    parts = build_base_corpus(shared)
    train = {"".join(p.split()) for doc in parts.train for p in doc}
    held = {"".join(p.split()) for doc in parts.heldout_legal for p in doc}
    assert parts.heldout_legal and not train & held
    for part in ("dev", "test"):
        assert not train & {
            "".join(e.text.split()) for e in read_ner_file(shared / "resume_ner" / f"{part}.char.bmes")[0]
        }
    reviews = read_cls_file(shared / "waimai_10k" / "waimai_10k.csv", text_column="review").examples
    _, dev, test = split_examples(reviews, 10, 10, 42)
    assert not train & {"".join(e.text.split()) for e in dev + test}
    # The held-out documents are whole laws: 3 versions each (the last law may have fewer).
    assert parts.sources["law_corpus_zh (held out)"]["documents"] >= 3
    assert parts.sources["law_corpus_zh"]["characters"] > 0 and parts.sources["waimai_10k"]["paragraphs"] > 0


def test_command_writes_the_corpus_and_reports_missing_data(tmp_path, capsys):
    shared = fake_shared(tmp_path / "shared")
    out = tmp_path / "out"
    assert main(["--shared", str(shared), "--out", str(out)]) == 0
    summary = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    assert summary["sources"]["msra_ner"]["paragraphs"] > 0
    text = (out / "train.txt").read_text(encoding="utf-8")
    assert "\n\n" in text and not text.startswith("\n")
    (shared / "law_corpus_zh" / "doc_list.tsv").unlink()
    capsys.readouterr()
    assert main(["--shared", str(shared), "--out", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err
    assert "doc_list.tsv" in err and "Traceback" not in err
    assert not (tmp_path / "again" / "train.txt").exists()


@pytest.mark.parametrize("missing", ["waimai_10k"])
def test_a_missing_source_names_its_file(tmp_path, capsys, missing):
    shared = fake_shared(tmp_path / "shared")
    shutil.rmtree(shared / missing)
    assert main(["--shared", str(shared), "--out", str(tmp_path / "out")]) == 2
    assert missing in capsys.readouterr().err
