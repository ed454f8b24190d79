"""wwm_pretrain.study (run by benchmarks/wwm_study.py): the split by law, the 8-character leakage check, stage
caching and the report, on a small layout of the shared data folder built from the repository's own files
(tests/data, zhbert_demo/data)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import LAW_CORPUS, REPO, TEST_DATA, shared
from wwm_pretrain.splits import squash
from wwm_pretrain.stages import machine_summary
from wwm_pretrain.study import SMOKE, legal, run_study
from wwm_pretrain.study.baseline import fit_ngram_baseline
from wwm_pretrain.study.config import SCHEMES
from wwm_pretrain.study.report import verdict
from zhbert.errors import UsageError

BRANCHES = ("行政法规", "司法解释")


def _law_documents() -> list[legal.LawDocument]:
    """The demo's 54 laws, 6 paragraphs each, under made-up paths: two branches of 24 documents (every fourth
    one a dated version of the document before it) and a branch of 6 laws, too few to split."""
    texts = LAW_CORPUS.read_text(encoding="utf-8").strip("\n").split("\n\n")
    docs = []
    for i, text in enumerate(texts[:54]):
        branch = BRANCHES[i // 24] if i < 48 else "其他"
        version = i % 4 == 3 and i < 48
        name = f"{branch}/第{i - 3 if version else i}号条例"
        dated = "(2014-01-01)" if version else ""
        docs.append(legal.LawDocument(f"{name}{dated}.md", tuple(text.split("\n")[:6])))
    return docs


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def mini_shared(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shared")
    docs = _law_documents()
    law = root / "law_corpus_zh"
    law.mkdir()
    (law / "law_corpus.txt").write_text("\n\n".join("\n".join(d.paragraphs) for d in docs) + "\n", encoding="utf-8")
    (law / "doc_list.tsv").write_text("".join(f"{d.source}\t{len(d.paragraphs)}\n" for d in docs), encoding="utf-8")
    with (TEST_DATA / "chnsenticorp_sample.csv").open(encoding="utf-8", newline="") as handle:
        chn = [[r["label"], r["review"]] for r in csv.DictReader(handle)]
    _write_csv(root / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", ["label", "review"], chn)
    with (REPO / "zhbert_demo" / "data" / "waimai_reviews.csv").open(encoding="utf-8", newline="") as handle:
        waimai = [[r["label"], r["review"]] for r in csv.DictReader(handle)]
    _write_csv(root / "waimai_10k" / "waimai_10k.csv", ["label", "review"], waimai[:100] + waimai[-100:])
    # The shopping corpus holds every ChnSentiCorp review, as the real one holds ~1,100 of them.
    shop = [["外卖", label, text] for label, text in waimai[1000:1600]] + [["酒店", label, text] for label, text in chn]
    _write_csv(root / "online_shopping_10_cats" / "online_shopping_10_cats.csv", ["cat", "label", "review"], shop)
    icwb = root / "icwb2_sighan2005"
    icwb.mkdir()
    for name in ("pku", "msr"):
        text = (TEST_DATA / f"{name}_test_gold_sample.utf8").read_text(encoding="utf-8")
        (icwb / f"{name}_test_gold.utf8").write_text(text, encoding="utf-8")
    return root


def test_split_keeps_every_version_of_a_law_together_and_drops_small_branches():
    docs = _law_documents()
    split = legal.split_laws(docs, seed=0)
    where = defaultdict(set)
    for doc, part in zip(docs, split.splits, strict=True):
        where[doc.law].add(part)
    assert all(len(parts) == 1 for parts in where.values()), where
    assert sum(doc.source.endswith("(2014-01-01).md") for doc in docs) == 12  # the dated versions exist
    assert split.kept_branches == tuple(sorted(BRANCHES))
    assert split.dropped_branches == {"其他": 6}
    assert {p for doc, p in zip(docs, split.splits, strict=True) if doc.branch == "其他"} == {"dropped"}
    for branch in BRANCHES:
        parts = [p for doc, p in zip(docs, split.splits, strict=True) if doc.branch == branch]
        assert {"train", "dev", "test"} <= set(parts)


def test_leakage_check_finds_a_planted_copy_and_split_laws_joins_it():
    docs = _law_documents()
    split = legal.split_laws(docs, seed=0)
    assert legal.leakage(docs, split.splits)["shared_documents"] == 0
    # A copy of a training document under another law's name, with one paragraph changed, planted in test.
    train_doc = next(i for i, p in enumerate(split.splits) if p == "train" and docs[i].branch == BRANCHES[0])
    copy = legal.LawDocument("司法解释/另一部解释.md", (*docs[train_doc].paragraphs[:-1], "本解释自公布之日起施行。"))
    planted = [*docs, copy]
    report = legal.leakage(planted, [*split.splits, "test"])
    assert report["shared_documents"] == 1
    assert report["max_document_overlap"] >= legal.SHARED_THRESHOLD
    resplit = legal.split_laws(planted, seed=0)
    assert resplit.splits[-1] == resplit.splits[train_doc]
    assert resplit.joined_by_overlap >= 1
    assert legal.leakage(planted, resplit.splits)["shared_documents"] == 0


def test_ngram_baseline_learns_a_separable_task():
    train = [("甲", f"刑事案件第{i}条") for i in range(20)] + [("乙", f"合同纠纷第{i}条") for i in range(20)]
    test = [("甲", "刑事"), ("乙", "合同"), ("甲", "案件"), ("乙", "纠纷")]
    result = fit_ngram_baseline(train, test, test)
    assert result.accuracy == 1.0 and result.macro_f1 == 1.0


def test_the_verdict_counts_wins_and_losses_and_a_lone_win_among_losses_does_not_pay():
    def results(scores: dict[str, list[float]]) -> dict:
        return {
            f"finetune/waimai/{k}/seed{i}": {"test_accuracy": v} for k, vs in scores.items() for i, v in enumerate(vs)
        }

    seeds = (0, 1, 2)
    base = {"none": [0.80, 0.80, 0.80], "char": [0.90, 0.91, 0.92]}
    mixed = results({**base, "jieba": [0.95, 0.96, 0.97], "ltp": [0.80, 0.81, 0.82], "ngram": [0.70, 0.71, 0.72]})
    lines = verdict(mixed, ["waimai"], ["none", "char", "jieba", "ltp", "ngram"], seeds)
    assert lines[0] == (
        "Whole-word schemes beat token-level masking in 1 of 3 comparisons, trail it in 2 and tie in 0: "
        "at this scale whole-word masking does not pay."
    )
    assert "jieba beats char (+0.0500" in lines[2] and "ltp trails char" in lines[2] and "char beats none" in lines[2]
    ahead = results({**base, "jieba": [0.95, 0.96, 0.97], "ltp": [0.90, 0.915, 0.92]})
    lines = verdict(ahead, ["waimai"], ["none", "char", "jieba", "ltp"], seeds)
    assert lines[0] == "Whole-word schemes beat token-level masking in 1 of 2 comparisons, trail it in 0 and tie in 1."


@pytest.mark.slow
def test_study_runs_every_scheme_caches_stages_and_writes_the_report(mini_shared, tiny_mlm_dir, tmp_path):
    out, report = tmp_path / "study", tmp_path / "docs" / "wwm_study.md"

    def run():
        return run_study(SMOKE, out, shared=mini_shared, base=tiny_mlm_dir, seeds=(0,),
                                   domains=("legal",), report=report, command="smoke")  # fmt: skip

    first = run()
    for scheme in SCHEMES:
        assert f"pretrain/legal/{scheme}" in first.results
        assert f"finetune/legal_branch/{scheme}/seed0" in first.ran
    curve = first.results["pretrain/legal/jieba"]["curve"]
    assert any("eval_cloze_accuracy" in e for e in curve)
    assert 0 <= first.results["pretrain/legal/ltp"]["cloze"]["cloze_accuracy"] <= 1
    assert first.results["data/legal"]["leakage"]["shared_documents"] == 0
    assert not list((out / "finetune").rglob("model.safetensors"))  # fine-tuned models are not kept
    assert {r["machine"] for r in first.results.values()} == {machine_summary()}

    text = report.read_text(encoding="utf-8")
    downstream = text.split("## Downstream")[1]
    for scheme in SCHEMES:
        assert f"| legal | {scheme} |" in text
        assert f"\n| {scheme} | " in downstream
    assert "n-gram baseline" in downstream and "shared documents" in text
    assert f"  - {len(first.results)} stages (" in text and f") on {machine_summary()}\n" in text
    for png in ("wwm_study_pretraining.png", "wwm_study_downstream.png"):
        assert (report.parent / png).stat().st_size > 1000

    assert run().ran == ()  # everything cached: nothing retrains
    again = first.results["finetune/legal_branch/jieba/seed0"]
    (out / "stages" / "finetune__legal_branch__jieba__seed0.json").unlink()
    (out / "stages" / "pretrain__legal__char.json").unlink()
    third = run()  # a pretraining run that reruns makes a new model: its fine-tunes rerun with it
    assert set(third.ran) == {"pretrain/legal/char", "finetune/legal_branch/char/seed0",
                              "finetune/legal_branch/jieba/seed0"}  # fmt: skip
    assert third.results["finetune/legal_branch/jieba/seed0"]["test_accuracy"] == again["test_accuracy"]

    # The records kept apart from the run folder: a new folder rebuilds what a due stage needs, and no more.
    records, moved = out / "stages", tmp_path / "elsewhere"
    (records / "finetune__legal_branch__ltp__seed0.json").unlink()
    fourth = run_study(SMOKE, moved, shared=mini_shared, base=tiny_mlm_dir, seeds=(0,),
                                 domains=("legal",), report=None, stage_dir=records)  # fmt: skip
    assert set(fourth.ran) == {"pretrain/legal/ltp", "finetune/legal_branch/ltp/seed0"}
    for name in ("corpus.txt", "cloze.txt", "legal_branch_test.csv"):
        assert (moved / "data" / "legal" / name).read_bytes() == (out / "data" / "legal" / name).read_bytes()
    assert (moved / "ltp" / "config.json").is_file() and not (moved / "pretrain" / "legal" / "char").exists()
    assert not (moved / "stages").exists()

    # A rebuild that does not reproduce its record is refused, and names the record.
    data_record = records / "data__legal.json"
    value = json.loads(data_record.read_text(encoding="utf-8"))
    data_record.write_text(json.dumps({**value, "documents": value["documents"] + 1}), encoding="utf-8")
    (records / "finetune__legal_branch__none__seed0.json").unlink()
    with pytest.raises(UsageError, match=r"data__legal\.json: rebuilding stage data/legal gave other documents"):
        run_study(SMOKE, tmp_path / "third", shared=mini_shared, base=tiny_mlm_dir, seeds=(0,),
                            domains=("legal",), report=None, stage_dir=records)  # fmt: skip


@pytest.mark.slow
def test_review_domain_drops_task_heldout_reviews_from_the_corpus(mini_shared, tiny_mlm_dir, tmp_path):
    result = run_study(SMOKE, tmp_path / "study", shared=mini_shared, base=tiny_mlm_dir,
                                 seeds=(0,), schemes=("none", "char"), domains=("reviews",), report=None)  # fmt: skip
    data = result.results["data/reviews"]
    assert data["corpus_dropped_equal_to_task_heldout"] >= 20  # of the 40 dev and test reviews of ChnSentiCorp
    corpus = (tmp_path / "study" / "data" / "reviews" / "corpus.txt").read_text(encoding="utf-8")
    for part in ("dev", "test"):
        with (tmp_path / "study" / "data" / "reviews" / f"chnsenticorp_{part}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                assert squash(row["text"]) not in {squash(line) for line in corpus.splitlines()}
    assert {"finetune/chnsenticorp/char/seed0", "finetune/waimai/none/seed0"} <= set(result.ran)


def test_the_real_legal_split_shares_no_document():
    docs = legal.read_law_documents(shared("law_corpus_zh"))
    split = legal.split_laws(docs[:400], seed=0)
    assert legal.leakage(docs[:400], split.splits)["shared_documents"] == 0


def test_a_study_folder_with_other_settings_is_refused(mini_shared, tiny_mlm_dir, tmp_path):
    from zhbert.errors import UsageError

    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "study.json").write_text('{"config": {"name": "other"}}', encoding="utf-8")
    with pytest.raises(UsageError, match="holds a study with other settings"):
        run_study(SMOKE, tmp_path, shared=mini_shared, base=tiny_mlm_dir, report=None)
