"""``zhbert serve`` as users run it: real servers in subprocesses on the shipped models, spoken to over HTTP.

The main server serves the classifier, the tagger and the masked LM behind an API key, with small limits; the
second serves the tagger (one request at a time: ``--max-queue 1``) and the classifier twice under two names, and
is stopped with SIGTERM at the end while a request is in flight.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port

MODELS = REPO / "zhbert_demo" / "models"
KEY = "s3cret-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
TEXTS = ["味道很好，送餐也很快。", "等了两个小时，菜都凉了。", "张三在北京大学工作，李四去了上海。"]
LONG = "高勇，男，中国国籍，无境外居留权，现任北京华为技术有限公司董事长。" * 12  # > 128 tokens: windows
LIMITS = ["--max-texts", "8", "--max-chars", "900", "--max-body-bytes", "20000", "--max-top-k", "10"]


def start(tmp: Path, name: str, args: list[str]) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {**os.environ, "ZHBERT_API_KEY": ""}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zhbert", "serve", *args, "--port", str(port), "--threads", "1"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return proc, f"http://127.0.0.1:{port}", log


def wait_ready(servers: dict[str, tuple[subprocess.Popen, str, Path]]) -> dict[str, list[tuple[int, dict]]]:
    """Poll each server's /health, all in turn, until each says ready; every answer each gave, in order."""
    answers: dict[str, list[tuple[int, dict]]] = {name: [] for name in servers}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for name, (proc, url, log) in servers.items():
            if answers[name] and answers[name][-1][0] == 200:
                continue
            if proc.poll() is not None:
                raise RuntimeError(f"zhbert serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                r = httpx.get(f"{url}/health", timeout=5)
            except httpx.TransportError:
                continue
            answers[name].append((r.status_code, r.json()))
        if all(a and a[-1][0] == 200 for a in answers.values()):
            return answers
        time.sleep(0.05)
    for proc, _, _ in servers.values():
        proc.kill()
    raise RuntimeError("zhbert serve was not ready in 120 s:\n" + "\n".join(s[2].read_text() for s in servers.values()))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    main = start(tmp, "main", [str(MODELS / "classifier"), str(MODELS / "tagger"), str(MODELS / "mlm"),
                               "--api-key", KEY, "--max-wait-ms", "20", *LIMITS])  # fmt: skip
    second = start(tmp, "second", [str(MODELS / "tagger"), f"one={MODELS / 'classifier'}",
                                   f"two={MODELS / 'classifier'}", "--max-queue", "1"])  # fmt: skip
    health = wait_ready({"main": main, "second": second})
    yield {"main": main, "second": second, "health": health}
    for proc, _, _ in (main, second):
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def url(servers) -> str:
    return servers["main"][1]


@pytest.fixture(scope="module")
def api():
    from zhbert.api import EntityTagger, MaskFiller, TextClassifier

    return {
        "classify": TextClassifier.from_pretrained(MODELS / "classifier"),
        "entities": EntityTagger.from_pretrained(MODELS / "tagger"),
        "fill-mask": MaskFiller.from_pretrained(MODELS / "mlm"),
    }


def post(url: str, route: str, body, headers=AUTH) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{url}/v1/{route}", content=content, headers={"content-type": "application/json", **headers},
                      timeout=60)  # fmt: skip


def same(got, want, tol: float = 1e-5) -> bool:
    """Equal JSON, floats within ``tol`` (the server's model calls hold other texts; the scores barely move)."""
    if isinstance(want, float):
        return isinstance(got, float) and abs(got - want) <= tol
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(same(got[k], want[k], tol) for k in want)
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(same(g, w, tol) for g, w in zip(got, want, strict=True))
        )
    return got == want and type(got) is type(want)


def metric(text: str, name: str, **labels: str) -> float:
    """One sample of the Prometheus text format."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            got = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(got.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in /metrics")


def test_health_is_503_while_loading_and_200_after(servers):
    for answers in servers["health"].values():
        first_status, first = answers[0]
        assert first_status == 503 and first["error"]["code"] == "loading", answers
        assert answers[-1][0] == 200 and answers[-1][1]["status"] == "ready"
    log = servers["main"][2].read_text()
    assert "1 thread (as asked)" in log and "POST /v1/entities" in log and "zhbert serve: ready in" in log


def test_each_route_answers_as_the_python_api(url, api):
    got = post(url, "classify", {"texts": TEXTS})
    assert got.status_code == 200 and got.json()["model"] == "classifier"
    want = [asdict(r) for r in api["classify"].predict(TEXTS)]
    assert [r["label"] for r in got.json()["results"]] == [r["label"] for r in want]
    assert same(got.json()["results"], want)

    texts = [*TEXTS, LONG]
    got = post(url, "entities", {"texts": texts})
    want_entities = [[asdict(e) for e in row] for row in api["entities"].predict(texts)]
    rows = got.json()["results"]
    assert [[(e["text"], e["type"], e["start"], e["end"]) for e in row] for row in rows] == [
        [(e["text"], e["type"], e["start"], e["end"]) for e in row] for row in want_entities
    ]
    assert same(rows, want_entities)
    assert all(texts[i][e["start"] : e["end"]] == e["text"] for i, row in enumerate(rows) for e in row)
    assert any(e["start"] > 200 for e in rows[-1])  # found past the first window

    one = post(url, "entities", {"text": TEXTS[2]}).json()["results"]
    assert one == [rows[2]]

    got = post(url, "fill-mask", {"text": "中华人民共和国[MASK]法", "top_k": 3})
    want_fill = [
        [[asdict(c) for c in mask] for mask in row] for row in api["fill-mask"].predict(["中华人民共和国[MASK]法"], 3)
    ]
    assert got.status_code == 200 and same(got.json()["results"], want_fill)
    assert [c["token"] for c in got.json()["results"][0][0]] == [c["token"] for c in want_fill[0][0]]


def test_models_docs_and_openapi(url):
    listed = httpx.get(f"{url}/v1/models", headers=AUTH).json()
    assert listed["state"] == "ready"
    assert {m["name"]: m["kind"] for m in listed["models"]} == {
        "classifier": "classifier",
        "tagger": "tagger",
        "mlm": "mlm",
    }
    assert next(m for m in listed["models"] if m["kind"] == "tagger")["labels"][:2] == ["O", "B-LOC"]
    assert httpx.get(f"{url}/docs").status_code == 200
    spec = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/classify", "/v1/entities", "/v1/fill-mask"} <= set(spec["paths"])
    body = spec["paths"]["/v1/fill-mask"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"text", "texts", "model", "top_k"} <= set(body["properties"])


def test_concurrent_requests_share_a_model_call(url):
    before = httpx.get(f"{url}/metrics", headers=AUTH).text
    calls0 = metric(before, "zhbert_batch_size_count", model="classifier")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers=AUTH, timeout=60) as client:
            return await asyncio.gather(
                *(client.post(f"{url}/v1/classify", json={"text": f"第{i}家店，味道很好。"}) for i in range(16))
            )

    answers = asyncio.run(burst())
    assert [r.status_code for r in answers] == [200] * 16
    after = httpx.get(f"{url}/metrics", headers=AUTH).text
    calls = metric(after, "zhbert_batch_size_count", model="classifier") - calls0
    texts = metric(after, "zhbert_batch_size_sum", model="classifier") - metric(
        before, "zhbert_batch_size_sum", model="classifier"
    )
    assert texts == 16 and calls < 16, (calls, texts)
    assert metric(after, "zhbert_requests_total", route="/v1/classify", status="200") >= 16
    assert metric(after, "zhbert_queue_depth", model="classifier") == 0


BAD = [
    ("classify", b'{"text": ', 400, "malformed_json", "not JSON"),
    ("classify", b'{"text": "\xff\xfe"}', 400, "malformed_json", "not UTF-8"),
    ("classify", b'{"text": "\\ud800abc"}', 400, "invalid_text", r"lone surrogate \(U\+D800\)"),
    ("entities", b'{"texts": ["ok", "\\udc00"]}', 400, "invalid_text", r"texts\[1\] holds a lone surrogate"),
    ("classify", {"text": 5}, 422, "invalid_body", "text: Input should be a valid string"),
    ("classify", {"texts": "一段话"}, 422, "invalid_body", "texts: Input should be a valid list"),
    ("classify", {"texts": ["好", 3]}, 422, "invalid_body", r"texts\.1: Input should be a valid string"),
    ("classify", [1, 2], 422, "invalid_body", "valid dictionary"),
    ("classify", {}, 422, "invalid_body", 'give "text"'),
    ("classify", {"text": "好", "texts": ["好"]}, 422, "invalid_body", "not both"),
    ("classify", {"texts": []}, 422, "invalid_body", "empty list"),
    ("classify", {"text": ""}, 422, "invalid_body", "text is empty or only whitespace"),
    ("entities", {"texts": ["好", " \n\u3000"]}, 422, "invalid_body", r"texts\[1\] is empty or only whitespace"),
    ("classify", {"text": "好", "labels": 1}, 422, "invalid_body", "labels: Extra inputs are not permitted"),
    ("classify", {"texts": ["好"] * 9}, 413, "too_many_texts", "9 texts; this server takes at most 8"),
    ("entities", {"text": "好" * 901}, 413, "text_too_long", "901 characters; this server takes at most 900"),
    ("classify", {"text": "好" * 8000}, 413, "body_too_large", "over 20000 bytes"),
    ("fill-mask", {"text": "中华人民共和国刑法"}, 422, "invalid_body", r"has no \[MASK\]"),
    ("fill-mask", {"text": "[MASK]法", "top_k": 0}, 422, "invalid_body", "top_k: Input should be greater than"),
    ("fill-mask", {"text": "[MASK]法", "top_k": "3"}, 422, "invalid_body", "top_k: Input should be a valid integer"),
    ("fill-mask", {"text": "[MASK]法", "top_k": 11}, 422, "invalid_body", "at most 10"),
    ("classify", {"text": "好", "model": "tagger"}, 404, "unknown_model", "no classifier called 'tagger'"),
]


@pytest.mark.parametrize(("route", "body", "status", "code", "message"), BAD)
def test_bad_bodies_get_one_json_error_shape(url, route, body, status, code, message):
    r = post(url, route, body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert set(r.json()) == {"error"} and r.json()["error"]["code"] == code
    assert re.search(message, r.json()["error"]["message"]), r.json()


def test_other_errors_keep_the_shape_and_are_counted(url):
    assert httpx.get(f"{url}/v1/classify", headers=AUTH).json()["error"]["code"] == "method_not_allowed"
    assert httpx.get(f"{url}/nowhere", headers=AUTH).json()["error"]["code"] == "not_found"
    # A [MASK] past the model's 512-token window is refused by the model: that request fails, not its batch-mates.
    far = "法" * 520 + "[MASK]"

    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers=AUTH, timeout=60) as client:
            return await asyncio.gather(client.post(f"{url}/v1/fill-mask", json={"text": far}),
                                        client.post(f"{url}/v1/fill-mask", json={"text": "[MASK]法"}))  # fmt: skip

    refused, served = asyncio.run(together())
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unprocessable_text"
    assert "beyond the model's window" in refused.json()["error"]["message"]
    assert served.status_code == 200
    text = httpx.get(f"{url}/metrics", headers=AUTH).text
    assert metric(text, "zhbert_errors_total", route="/v1/fill-mask", code="unprocessable_text") >= 1
    assert metric(text, "zhbert_errors_total", route="/v1/classify", code="too_many_texts") >= 1
    assert httpx.get(f"{url}/health").status_code == 200  # the server lives on


def test_api_key(url):
    for headers, said in (({}, "a missing API key"), ({"Authorization": "Bearer nope"}, "a wrong API key")):
        r = post(url, "classify", {"text": "好"}, headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert said in r.json()["error"]["message"]
    assert httpx.get(f"{url}/metrics").status_code == 401
    assert post(url, "classify", {"text": "好"}, {"X-API-Key": KEY}).status_code == 200
    assert httpx.get(f"{url}/health").status_code == 200  # open, for load balancers


def test_several_models_of_a_kind_are_named(servers):
    url = servers["second"][1]
    r = post(url, "classify", {"text": "好"}, {})
    assert r.status_code == 422 and re.search(
        r"2 classifiers are served \(one, two\): name one", r.json()["error"]["message"]
    )
    r = post(url, "classify", {"text": "好", "model": "two"}, {})
    assert r.status_code == 200 and r.json()["model"] == "two"
    r = post(url, "fill-mask", {"text": "[MASK]法"}, {})
    assert r.status_code == 404 and "serves no mlm" in r.json()["error"]["message"]


async def with_one_in_flight(url: str, then) -> tuple[httpx.Response, object]:
    """Send a long tagger request; once /metrics shows it queued, run ``then()``; both results."""
    texts = [LONG * 2] * 6
    async with httpx.AsyncClient(timeout=120) as client:
        slow = asyncio.create_task(client.post(f"{url}/v1/entities", json={"texts": texts}))
        deadline = time.monotonic() + 60
        while metric((await client.get(f"{url}/metrics")).text, "zhbert_queue_depth", model="tagger") < 1:
            assert time.monotonic() < deadline and not slow.done(), "the slow request never showed in the queue"
            await asyncio.sleep(0.01)
        other = await then(client)
        return await slow, other


def test_full_queue_answers_503_with_retry_after(servers):
    url = servers["second"][1]

    async def second(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(f"{url}/v1/entities", json={"text": "张三在北京。"})

    slow, refused = asyncio.run(with_one_in_flight(url, second))
    assert slow.status_code == 200
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "overloaded"
    assert post(url, "entities", {"text": "张三在北京。"}, {}).status_code == 200  # room again


def test_sigterm_finishes_the_request_in_flight(servers):
    proc, url, log = servers["second"]

    async def terminate(client: httpx.AsyncClient) -> None:
        proc.send_signal(signal.SIGTERM)

    slow, _ = asyncio.run(with_one_in_flight(url, terminate))
    assert slow.status_code == 200 and len(slow.json()["results"]) == 6
    assert proc.wait(timeout=60) == 0
    assert "zhbert serve: stopped on SIGTERM" in log.read_text()


def test_command_line_mistakes_are_one_line(tmp_path, capsys):
    from zhbert.commands import main

    assert main(["serve", str(tmp_path / "nowhere")]) == 2
    assert "zhbert serve: error:" in capsys.readouterr().err
    assert main(["serve", f"a={MODELS / 'tagger'}", f"a={MODELS / 'classifier'}"]) == 2
    assert "two models are called 'a'" in capsys.readouterr().err
    assert main(["serve", str(MODELS / "tagger"), "--max-batch", "0"]) == 2
    assert "max_batch must be a whole number >= 1" in capsys.readouterr().err
