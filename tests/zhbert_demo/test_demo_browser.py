"""Every tab of the launched demo in headless Chromium, driven by Playwright: Chinese text typed in, the button
clicked, the result checked in the page against the handlers called directly; screenshots are saved under the
test's temporary directory. ``make test`` installs Debian's chromium and fonts-noto-cjk first."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.zhbert_demo.test_demo import ATTENTION_TEXT, MASK_TEXT, NER_TEXT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(server):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="zh-CN")
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        page.goto(server[0])
        page.get_by_role("tab", name="文本分类").wait_for()
        yield page
        browser.close()


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _type(page, elem_id: str, text: str) -> None:
    box = page.locator(f"#{elem_id} textarea")
    box.click()
    box.fill("")
    box.type(text)


def test_classify_tab_shows_label_scores(page, handlers, tmp_path):
    text = "味道很好，送餐也很快，下次还会再点。"
    _open_tab(page, "文本分类")
    _type(page, "classify-text", text)
    page.locator("#classify-button").click()
    scores = handlers.classify(text)
    best = max(scores, key=scores.__getitem__)
    label = page.locator("#classify-label")
    expect(label).to_contain_text(best)
    for name, score in scores.items():
        expect(label).to_contain_text(name)
        expect(label).to_contain_text(f"{round(score * 100)}%")
    page.screenshot(path=str(tmp_path / "classify.png"), full_page=True)
    assert (tmp_path / "classify.png").stat().st_size > 10_000


def test_ner_tab_highlights_entities(page, handlers, tmp_path):
    _open_tab(page, "实体识别")
    _type(page, "ner-text", NER_TEXT)
    page.locator("#ner-button").click()
    rows = handlers.ner(NER_TEXT)[1]
    assert rows
    highlight = page.locator("#ner-highlight")
    for entity, kind, *_ in rows:
        expect(highlight).to_contain_text(entity)
        expect(highlight).to_contain_text(kind)
        expect(page.locator("#ner-table")).to_contain_text(entity)
    page.screenshot(path=str(tmp_path / "ner.png"), full_page=True)


def test_mask_tab_shows_segmentation_and_masked_words(page, handlers, tmp_path):
    _open_tab(page, "全词掩码")
    _type(page, "mask-text", MASK_TEXT)
    seed = page.locator("#mask-seed input")
    seed.fill("3")
    page.locator("#mask-button").click()
    words, _, model_input, rows = handlers.mask(MASK_TEXT, "jieba", 3)
    expect(page.locator("#mask-words textarea")).to_have_value(words, timeout=60_000)
    expect(page.locator("#mask-input textarea")).to_have_value(model_input)
    highlight = page.locator("#mask-highlight").inner_text()
    masked_words = [r[0] for r in rows if r[3]]
    assert masked_words and all(w in highlight for w in masked_words) and "掩码" in highlight
    page.screenshot(path=str(tmp_path / "mask.png"), full_page=True)


def test_mask_tab_marks_the_discovered_terms(page, handlers, tmp_path):
    text = "犯罪嫌疑人认罪认罚的，值班律师应当在场，并在具结书上签字。"
    _open_tab(page, "全词掩码")
    _type(page, "mask-text", text)
    page.locator("#mask-terms input").check()
    page.locator("#mask-button").click()
    words = handlers.mask(text, "jieba", 0, True)[0]
    assert "【认罪认罚】" in words
    expect(page.locator("#mask-words textarea")).to_have_value(words, timeout=60_000)
    expect(page.locator("#mask-highlight")).to_contain_text("发现的术语")
    page.screenshot(path=str(tmp_path / "mask_terms.png"), full_page=True)


def test_fill_mask_tab_lists_candidates(page, handlers, tmp_path):
    text = "中华人民共和国[MASK]法"
    _open_tab(page, "完形填空")
    _type(page, "fill-text", text)
    page.locator("#fill-button").click()
    rows = handlers.fill_mask(text, 5)
    table = page.locator("#fill-table")
    for row in rows:
        expect(table).to_contain_text(row[4])
    page.screenshot(path=str(tmp_path / "fill_mask.png"), full_page=True)


def test_bad_input_shows_a_message_and_the_page_keeps_working(page, handlers, tmp_path):
    _open_tab(page, "文本分类")
    _type(page, "classify-text", "，。！？")
    page.locator("#classify-button").click()
    expect(page.get_by_text("没有汉字、字母或数字").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "bad_input.png"), full_page=True)
    _type(page, "classify-text", "太难吃了")
    page.locator("#classify-button").click()
    scores = handlers.classify("太难吃了")
    expect(page.locator("#classify-label")).to_contain_text(f"{round(max(scores.values()) * 100)}%")


def test_attention_tab_draws_a_heatmap_with_chinese_labels(page, handlers, tmp_path):
    text = ATTENTION_TEXT
    _open_tab(page, "注意力")
    _type(page, "attention-text", text)
    page.locator("#attention-model input").click()
    page.get_by_role("option", name="实体识别").click()
    layer = page.locator("#attention-layer input[type=number]")
    layer.fill("2")
    layer.press("Tab")
    page.locator("#attention-head input").click()
    page.get_by_role("option", name="第 3 个头").click()
    page.locator("#attention-button").click()
    heatmap = page.locator("#attention-heatmap")
    expect(heatmap).to_contain_text("实体识别 · 第 2 层（共 4 层）· 第 3 个头（共 4 个头）")
    expect(heatmap.locator(".progress-text")).to_have_count(0)
    tokens = handlers.attention(text, "tagger", 2, 3)["tokens"]
    assert tokens[1:-1] == list(text)
    own_text = "els => els.map(e => e.lastChild.textContent)"  # the label, without its tooltip
    assert heatmap.locator("text.zh-heat-row").evaluate_all(own_text) == tokens
    assert heatmap.locator("text.zh-heat-col").evaluate_all(own_text) == tokens
    # Drawn by the browser: each Chinese label has a glyph's size, and the column labels run down the page.
    box = heatmap.locator("text.zh-heat-col").nth(1).bounding_box()
    assert box is not None and 10 <= box["width"] <= 30 and 10 <= box["height"] <= 30
    cls = heatmap.locator("text.zh-heat-col").first.bounding_box()
    assert cls is not None and cls["height"] > 2 * cls["width"]  # "[CLS]", vertical
    assert (heatmap.locator("image").get_attribute("href") or "").startswith("data:image/png;base64,")
    page.screenshot(path=str(tmp_path / "attention_tab.png"), full_page=True)
    assert (tmp_path / "attention_tab.png").stat().st_size > 10_000
