"""The Gradio demo: its handlers called directly, then the launched app (started with no model flags, so on the
default set in ZHBERT_HOME) over gradio_client on every endpoint, with bad input and 16 concurrent clients.
The default set here is the seconds-long ``quick`` build of the same three steps."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import REPO
from zhbert_demo.app import build_parser
from zhbert_demo.inputs import DEFAULT_MAX_CHARS, InputError, check_input
from zhbert_demo.layout import build_demo
from zhbert_demo.manifest import describe_models, read_manifest
from zhbert_demo.model_set import SET_NAME, SHIPPED_MODELS_DIR, DemoModelPaths, build_demo_models

# A sentence of the shipped NER sample that the quick tagger trains on, so that it finds entities in it.
NER_TEXT = "许多中国公民，包括不少香港同胞，身处时局动荡的异国他乡，心中的恐惧难以名状。"
MASK_TEXT = "中华人民共和国刑法规定，非法吸收公众存款罪的缓刑考验期限不得少于一年。"
BAD_INPUTS = {
    "empty": ("", "请输入文本"),
    "blank": (" \n\t ", "请输入文本"),
    "over the limit": (
        "长" * (DEFAULT_MAX_CHARS + 1),
        f"文本过长：{DEFAULT_MAX_CHARS + 1} 个字符，上限为 {DEFAULT_MAX_CHARS}",
    ),
    "punctuation only": ("，。！？……", "没有汉字、字母或数字"),
    "emoji only": ("😀🎉👍", "没有汉字、字母或数字"),
    "control character": ("你好\x07世界", "第 3 个字符 U\\+0007 是控制字符"),
}


# --- the build ---------------------------------------------------------------------------------------------


def test_build_leaves_a_complete_set(demo_home):
    root = demo_home / SET_NAME
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["quick"] is True
    assert set(manifest["seconds"]) == {"pretrain_s", "classifier_s", "tagger_s", "total_s"}
    assert "eval_accuracy" in manifest["metrics"]["classifier"] and "eval_f1" in manifest["metrics"]["tagger"]
    for part in ("classifier", "tagger", "mlm"):
        assert (root / part / "config.json").is_file() and (root / part / "tokenizer_config.json").is_file()
        assert not list((root / part).glob("checkpoint-*"))
    assert [p.name for p in demo_home.iterdir()] == [SET_NAME]  # no temporary folder left behind
    # The shipped set's schema: every file hashed, dev and test figures for both fine-tunes, the cloze test.
    assert set(manifest["files"]) == {
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != "manifest.json"
    }
    for name, key in (("classifier", "accuracy"), ("tagger", "f1")):
        assert {f"eval_{key}", f"test_{key}"} <= set(manifest["metrics"][name]), name
    assert 0 <= manifest["metrics"]["mlm"]["cloze_accuracy"] <= 1 and manifest["metrics"]["mlm"]["masked_positions"]


def test_a_built_set_and_the_shipped_set_show_the_same_figures_on_the_models_panel(demo_home):
    built = describe_models(read_manifest(demo_home / SET_NAME))
    shipped = describe_models(read_manifest(SHIPPED_MODELS_DIR))
    if not shipped:
        pytest.skip("this copy ships no model set (zhbert_demo/models)")
    figure = re.compile(r"^- (.+): (held-out cloze accuracy|dev accuracy|held-out strict F1) (0\.\d{3}|1\.000)$")

    def panel(text: str) -> dict[str, str]:
        lines = [line for line in text.splitlines() if line.startswith("- ")]
        assert len(lines) == 3 and "no figure recorded" not in text, text
        found = [figure.match(line) for line in lines]
        assert all(found), lines
        return {m.group(1): m.group(2) for m in found if m}

    assert (
        panel(built)
        == panel(shipped)
        == {
            "完形填空 / masked LM": "held-out cloze accuracy",
            "文本分类 / sentiment": "dev accuracy",
            "实体识别 / PER, LOC, ORG": "held-out strict F1",
        }
    )


def test_complete_set_is_not_built_again(demo_home):
    before = (demo_home / SET_NAME / "manifest.json").stat().st_mtime_ns
    start = time.perf_counter()
    paths = build_demo_models(demo_home, quick=True)
    assert time.perf_counter() - start < 1
    assert paths == DemoModelPaths.complete(demo_home)
    assert (demo_home / SET_NAME / "manifest.json").stat().st_mtime_ns == before


def test_unfinished_set_does_not_count(tmp_path):
    (tmp_path / SET_NAME / "classifier").mkdir(parents=True)
    assert DemoModelPaths.complete(tmp_path) is None


# --- input checks and handlers, called directly --------------------------------------------------------------


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_check_input_rejects_bad_text(case):
    text, message = BAD_INPUTS[case]
    with pytest.raises(InputError, match=message):
        check_input(text, DEFAULT_MAX_CHARS)


@pytest.mark.parametrize("text", ["好", "Apple发布了新款iPhone 😀", "ＡＢＣ１２３", "第一行\r\n第二行\t完"])
def test_check_input_accepts_real_text(text):
    assert check_input(text, DEFAULT_MAX_CHARS) == text


def test_classify_handler(handlers):
    scores = handlers.classify("味道很好，送餐也很快，下次还会再点。")
    assert set(scores) == {"正面", "负面"}
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)


def test_ner_handler_offsets_index_the_input(handlers):
    for text in (NER_TEXT, "Apple公司的CEO库克😀访问了北京。", "  空格  在前后  "):
        pieces, rows = handlers.ner(text)
        assert "".join(piece for piece, _ in pieces) == text
        for entity, kind, start, end, score in rows:
            assert text[start:end] == entity and kind in ("PER", "LOC", "ORG") and 0 < score <= 1
    pieces, rows = handlers.ner(NER_TEXT)
    assert rows, "the quick tagger finds entities in a sentence it was trained on"
    assert [(p, k) for p, k in pieces if k] == [(r[0], r[1]) for r in rows]


def test_mask_handler_masks_whole_jieba_words(handlers):
    jieba_words = handlers.segmenters["jieba"].cut([MASK_TEXT])[0]
    for seed in range(5):
        words, pieces, model_input, rows = handlers.mask(MASK_TEXT, "jieba", seed)
        assert [r[0] for r in rows] == jieba_words
        assert "〔非法吸收公众存款罪〕" in words and "〔缓刑考验期限〕" in words  # user-dictionary words marked
        masked = [r for r in rows if r[3]]
        assert masked, f"seed {seed} masked nothing"
        for word, start, end, _, _, _, replaced in masked:
            assert MASK_TEXT[start:end] == word and len(replaced.split()) == len(word)
        assert [(p, k) for p, k in pieces if k == "掩码"] == [(r[0], "掩码") for r in masked]
        assert model_input.count("[MASK]") >= 1
    assert handlers.mask(MASK_TEXT, "jieba", 1) == handlers.mask(MASK_TEXT, "jieba", 1)
    chars = handlers.mask(MASK_TEXT, "char", 0)[3]
    assert [r[0] for r in chars] == list(MASK_TEXT)


def test_mask_handler_shows_the_discovered_terms_of_the_input(handlers):
    text = "犯罪嫌疑人认罪认罚的，值班律师应当在场，并在具结书上签字。"
    assert {"认罪认罚", "值班律师"} <= handlers.terms  # found by zhbert terms in the demo's legal corpus
    plain_words, _, _, plain_rows = handlers.mask(text, "jieba", 0)
    assert "【" not in plain_words and not any(r[5] for r in plain_rows)
    assert "认罪认罚" not in [r[0] for r in plain_rows]  # jieba alone cuts it
    words, pieces, _, rows = handlers.mask(text, "jieba", 0, True)
    assert "【认罪认罚】" in words and "【值班律师】" in words
    found = [r[0] for r in rows if r[5]]
    assert found == [w for w in (r[0] for r in rows) if w in handlers.terms] and "认罪认罚" in found
    assert not any(r[4] for r in rows if r[5])  # a discovered term is not counted as a user-dictionary word
    assert {p for p, k in pieces if k == "发现的术语"} <= set(found)
    with pytest.raises(InputError, match="不能使用发现的术语"):
        handlers.mask(text, "char", 0, True)
    with pytest.raises(InputError, match="true 或 false"):
        handlers.mask(text, "jieba", 0, "yes")


def test_fill_mask_handler(handlers):
    rows = handlers.fill_mask("中华人民共和国[MASK]法，[MASK]事诉讼。", 4)
    assert [(r[0], r[1]) for r in rows] == [(m, k) for m in (1, 2) for k in (1, 2, 3, 4)]
    for _, _, token, score, filled in rows:
        assert 0 <= score <= 1 and token in filled and filled.count("[MASK]") == 1
    with pytest.raises(InputError, match=r"请在文本中写入 \[MASK\]"):
        handlers.fill_mask("没有掩码的句子", 5)


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_every_handler_rejects_bad_input(handlers, case):
    text, message = BAD_INPUTS[case]
    for call in (handlers.classify, handlers.ner, lambda t: handlers.mask(t, "jieba", 0), handlers.fill_mask):
        with pytest.raises(InputError, match=message):
            call(text)


def test_build_demo_is_a_blocks_app_with_named_endpoints(handlers):
    import gradio as gr

    demo = build_demo(handlers)
    assert isinstance(demo, gr.Blocks)
    names = {fn.api_name for fn in demo.fns.values() if fn.api_name}
    assert {"classify", "ner", "mask", "fill_mask"} <= names


# --- the attention tab's handlers ----------------------------------------------------------------------------

ATTENTION_TEXT = "国务院总理李强在北京会见了联合国秘书长古特雷斯。"


def check_attention(text: str, result: dict) -> None:
    tokens, offsets, weights = result["tokens"], result["offsets"], result["weights"]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and len(weights) == len(tokens) == len(offsets)
    for token, (start, end) in zip(tokens[1:-1], offsets[1:-1], strict=True):
        assert text[start:end] == token
    for row in weights:
        assert len(row) == len(tokens) and all(0 <= w <= 1 for w in row)
        assert sum(row) == pytest.approx(1.0, abs=1e-5)


def test_attention_handler_on_every_model(handlers):
    assert handlers.attention_models() == {"mlm": "掩码语言模型", "classifier": "情感分类", "tagger": "实体识别"}
    for key, name in handlers.attention_models().items():
        result = handlers.attention(ATTENTION_TEXT, key, 4, "mean")
        assert (result["model"], result["layer"], result["head"], result["truncated"]) == (key, 4, "mean", False)
        assert result["tokens"][1:-1] == list(ATTENTION_TEXT)
        check_attention(ATTENTION_TEXT, result)
        assert handlers.attention(ATTENTION_TEXT, name, 4, "所有头平均") == result  # the page's names work too
    # The three models attend differently.
    first = [handlers.attention(ATTENTION_TEXT, key, 1)["weights"] for key in ("mlm", "classifier", "tagger")]
    assert first[0] != first[1] != first[2]


def test_attention_mean_is_the_mean_of_the_heads(handlers):
    import numpy as np

    text = "Apple公司的CEO库克😀访问了北京。"
    heads = [np.array(handlers.attention(text, "tagger", 2, h)["weights"]) for h in (1, "2", 3.0, "4")]
    mean = np.array(handlers.attention(text, "tagger", 2, "mean")["weights"])
    np.testing.assert_allclose(mean, np.mean(heads, axis=0), atol=1e-6)
    assert not np.allclose(heads[0], heads[1])
    check_attention(text, handlers.attention(text, "tagger", 2, 3))


def test_attention_heatmap_draws_every_token_with_its_label(handlers):
    result = handlers.attention(ATTENTION_TEXT, "tagger", 3, 2)
    page = handlers.attention_heatmap(ATTENTION_TEXT, "tagger", 3, 2)
    assert "实体识别 · 第 3 层（共 4 层）· 第 2 个头（共 4 个头）" in page and "data:image/png;base64," in page
    for token in result["tokens"]:
        assert page.count(f">{token}</text>") == 2 * result["tokens"].count(token)  # a row and a column label
    assert "只画出" not in page and "超出" not in page


def test_attention_heatmap_says_what_it_leaves_out(handlers):
    text = "当事人应当遵循诚实信用原则。" * 36  # 504 characters
    page = handlers.attention_heatmap(text, "mlm", 1, "mean")
    assert "共 506 个词元，热力图只画出前 128 个" in page
    assert page.count('class="zh-heat-row"') == 128
    page = handlers.attention_heatmap(text, "tagger", 1, "mean")  # the tagger reads 128 tokens
    assert "文本超出模型的窗口（128 个词元），只计算了前 126 个字符" in page
    result = handlers.attention(text, "tagger", 1, "mean")
    assert result["truncated"] and len(result["weights"]) == 128


@pytest.mark.parametrize(
    ("model", "layer", "head", "message"),
    [
        ("bert", 1, "mean", "未知的模型 'bert'，可选：mlm（掩码语言模型）、classifier（情感分类）、tagger"),
        (None, 1, "mean", "未知的模型 None"),
        ("mlm", 0, "mean", "层应为 1 到 4 之间的整数"),
        ("mlm", 5, "mean", "层应为 1 到 4 之间的整数"),
        ("mlm", float("nan"), "mean", "层应为 1 到 4 之间的整数"),
        ("mlm", None, "mean", "层应为 1 到 4 之间的整数"),
        ("mlm", 2.5, "mean", "层应为 1 到 4 之间的整数"),
        ("mlm", 1, 0, "注意力头应为 1 到 4 之间的整数，或“所有头平均”"),
        ("mlm", 1, "5", "注意力头应为 1 到 4 之间的整数"),
        ("mlm", 1, "average", "注意力头应为 1 到 4 之间的整数"),
        ("mlm", 1, float("inf"), "注意力头应为 1 到 4 之间的整数"),
    ],
)
def test_attention_bad_choices_get_a_message(handlers, model, layer, head, message):
    for call in (handlers.attention, handlers.attention_heatmap):
        with pytest.raises(InputError, match=message):
            call(ATTENTION_TEXT, model, layer, head)


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_attention_rejects_bad_text(handlers, case):
    text, message = BAD_INPUTS[case]
    for call in (handlers.attention, handlers.attention_heatmap):
        with pytest.raises(InputError, match=message):
            call(text, "tagger", 1, "mean")


def test_build_demo_serves_the_attention_endpoint(handlers):
    demo = build_demo(handlers)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_name and fn.api_visibility == "public"}
    assert "attention" in public and not {"false", "attention_heatmap", "fit_controls"} & public


def test_defaults_are_loopback_without_share():
    args = build_parser().parse_args([])
    assert args.host == "127.0.0.1" and args.share is False


def test_importing_the_app_loads_no_model():
    code = "import sys, zhbert_demo.app; assert 'torch' not in sys.modules and 'gradio' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --- the launched app over gradio_client --------------------------------------------------------------------


def test_server_uses_the_default_set_on_loopback(server):
    url, log_path, _ = server
    assert url.startswith("http://127.0.0.1:")
    assert "serving on http://127.0.0.1:" in log_path.read_text()


def test_api_lists_the_four_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/classify", "/ner", "/mask", "/fill_mask"} <= set(endpoints)


def test_api_classify_scores_sum_to_one(client, handlers):
    text = "等了两个小时才送到，饭菜都凉了。"
    result = client.predict(text, api_name="/classify")
    scores = {c["label"]: c["confidence"] for c in result["confidences"]}
    assert set(scores) == {"正面", "负面"} and sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert result["label"] == max(scores, key=scores.__getitem__)
    assert scores == pytest.approx(handlers.classify(text), abs=1e-5)


def test_api_ner_offsets_index_the_input(client, handlers):
    highlighted, table = client.predict(NER_TEXT, api_name="/ner")
    rows = table["data"]
    assert rows and rows == [list(r) for r in handlers.ner(NER_TEXT)[1]]
    for entity, _, start, end, _ in rows:
        assert NER_TEXT[start:end] == entity
    assert "".join(h["token"] for h in highlighted) == NER_TEXT


def test_api_mask_masks_only_whole_words(client, handlers):
    jieba_words = handlers.segmenters["jieba"].cut([MASK_TEXT])[0]
    words, highlighted, _, table = client.predict(MASK_TEXT, "jieba", 7, api_name="/mask")
    rows = table["data"]
    assert [r[0] for r in rows] == jieba_words and words.count(" / ") == len(jieba_words) - 1
    masked = [r for r in rows if r[3]]
    assert masked and all(len(r[6].split()) == len(r[0]) for r in masked)
    assert [h["token"] for h in highlighted if h["class_or_confidence"] == "掩码"] == [r[0] for r in masked]
    text = "犯罪嫌疑人认罪认罚的，值班律师应当在场。"
    words, _, _, table = client.predict(text, "jieba", 0, True, api_name="/mask")
    assert "【认罪认罚】" in words and table["data"] == [list(r) for r in handlers.mask(text, "jieba", 0, True)[3]]


def test_api_fill_mask_returns_k_candidates(client):
    table = client.predict("中华人民共和国[MASK]法", 7, api_name="/fill_mask")
    rows = table["data"]
    assert len(rows) == 7 and [r[1] for r in rows] == list(range(1, 8))
    assert len({r[2] for r in rows}) == 7


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_api_bad_input_gets_a_message_and_the_server_stays_up(client, case):
    from gradio_client.exceptions import AppError

    text, message = BAD_INPUTS[case]
    calls = {"/classify": (text,), "/ner": (text,), "/mask": (text, "jieba", 0), "/fill_mask": (text, 5)}
    for api_name, args in calls.items():
        with pytest.raises(AppError, match=message):
            client.predict(*args, api_name=api_name)
    assert "confidences" in client.predict("好吃", api_name="/classify")


def test_api_attention_rows_sum_to_one(client, handlers):
    result = client.predict(ATTENTION_TEXT, "tagger", 2, "mean", api_name="/attention")
    check_attention(ATTENTION_TEXT, result)
    assert result == handlers.attention(ATTENTION_TEXT, "tagger", 2, "mean")
    one_head = client.predict(ATTENTION_TEXT, "mlm", 4, 3, api_name="/attention")
    assert (one_head["model"], one_head["layer"], one_head["head"]) == ("mlm", 4, 3)
    check_attention(ATTENTION_TEXT, one_head)


def test_api_attention_bad_input_gets_a_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="层应为 1 到 4 之间的整数"):
        client.predict(ATTENTION_TEXT, "mlm", 9, "mean", api_name="/attention")
    with pytest.raises(AppError, match="注意力头应为 1 到 4 之间的整数"):
        client.predict(ATTENTION_TEXT, "mlm", 1, "head", api_name="/attention")
    with pytest.raises(AppError, match="没有汉字、字母或数字"):
        client.predict("。。。", "mlm", 1, "mean", api_name="/attention")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e30, -1, 2.5, None, "", "3"])
def test_number_fields_take_whole_numbers_only(handlers, value):
    with pytest.raises(InputError, match=r"随机种子应为 0 到 4294967295 之间的整数"):
        handlers.mask(MASK_TEXT, "jieba", value)
    with pytest.raises(InputError, match=r"候选数应为 1 到 50 之间的整数"):
        handlers.fill_mask("中华人民共和国[MASK]法", value)


def test_api_number_fields_get_a_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="随机种子应为"):
        client.predict(MASK_TEXT, "jieba", 1e30, api_name="/mask")
    with pytest.raises(AppError, match="候选数应为"):
        client.predict("中华人民共和国[MASK]法", None, api_name="/fill_mask")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_oversized_requests_and_uploads_are_refused(server, client):
    import http.client
    from urllib.parse import urlsplit

    url, _, pid = server
    host = urlsplit(url)
    body = json.dumps({"data": ["好" * 3_500_000]}).encode()  # a 10 MB POST
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.request("POST", "/gradio_api/call/classify", body=body, headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    assert answer.status == 413
    assert json.loads(answer.read()) == {"error": "the request is over 65,536 bytes; the demo takes short texts only"}
    conn.close()
    # A 1 GB upload: refused on its headers, before a byte of the body is read.
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.putrequest("POST", "/gradio_api/upload")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(1 << 30))
    conn.endheaders()
    conn.send(b"--x\r\n" + b"0" * 65536)
    answer = conn.getresponse()
    assert answer.status == 403 and json.loads(answer.read()) == {"error": "uploads are off: this demo takes text only"}
    conn.close()
    # A chunked body with no length is counted as it arrives.
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.request("POST", "/gradio_api/call/classify", body=iter([b"{" + b" " * 40_000] * 3), encode_chunked=True)
    assert conn.getresponse().status == 413
    conn.close()
    assert rss_mb(pid) < 2048
    assert "confidences" in client.predict("好吃", api_name="/classify")  # still serving


def test_load_16_clients_10_requests_each(server, handlers):
    """16 concurrent clients, 10 requests each over all four endpoints: no errors, every answer as computed here."""
    from gradio_client import Client

    texts = [
        f"第{i}份外卖味道{'很好' if i % 2 else '一般'}，送到{'北京' if i % 3 else '上海'}只用了{i}分钟。"
        for i in range(16)
    ]

    def run_client(i: int) -> list[str]:
        client = Client(server[0], verbose=False)
        problems = []
        for r in range(10):
            text = texts[(i + r) % len(texts)]
            kind = (i + r) % 4
            if kind == 0:
                got = client.predict(text, api_name="/classify")
                scores = {c["label"]: c["confidence"] for c in got["confidences"]}
                ok = scores == pytest.approx(handlers.classify(text), abs=1e-4)
            elif kind == 1:
                got = client.predict(text, api_name="/ner")[1]["data"]
                ok = got == [list(row) for row in handlers.ner(text)[1]]
            elif kind == 2:
                got = client.predict(text, "jieba", r, api_name="/mask")[3]["data"]
                ok = got == [list(row) for row in handlers.mask(text, "jieba", r)[3]]
            else:
                masked = text.replace("外卖", "外[MASK]", 1)
                got = client.predict(masked, 3, api_name="/fill_mask")["data"]
                want = handlers.fill_mask(masked, 3)
                ok = [r[:3] for r in got] == [r[:3] for r in want]
            if not ok:
                problems.append(f"client {i} request {r}: {got!r}")
        return problems

    with ThreadPoolExecutor(16) as pool:
        problems = [p for result in pool.map(run_client, range(16)) for p in result]
    assert problems == []


# --- launch errors ------------------------------------------------------------------------------------------


def test_ltp_segmenter_without_a_model_is_a_clear_error(demo_home, capsys):
    from zhbert_demo.app import main

    paths = DemoModelPaths.complete(demo_home)
    assert paths is not None
    flags = ["--classifier", str(paths.classifier), "--tagger", str(paths.tagger), "--mlm", str(paths.mlm)]
    assert main([*flags, "--segmenter", "ltp"]) == 2
    err = capsys.readouterr().err
    assert (
        err.strip()
        == "zhbert demo: error: segmenter 'ltp' is not available without an LTP model; choose from jieba, char "
        "(see --ltp-model)"
    )


def test_missing_model_directory_is_a_clear_error(demo_home, tmp_path):
    paths = DemoModelPaths.complete(demo_home)
    assert paths is not None
    missing = tmp_path / "no-such-model"
    result = subprocess.run(
        [sys.executable, "-m", "zhbert", "demo", "--classifier", str(missing), "--tagger", str(paths.tagger),
         "--mlm", str(paths.mlm)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("zhbert demo: error:")
    assert str(missing) in result.stderr and "Traceback" not in result.stderr
