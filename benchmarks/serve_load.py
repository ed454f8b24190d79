"""zhbert serve under load, against the server a user writes by hand: the same classifier behind a plain FastAPI
handler that runs the tokenizer and one forward pass per request (AutoModelForSequenceClassification, float32, a
sync handler in FastAPI's thread pool).

64 clients (``--clients``) each send one short review (<= 32 characters, from zhbert_demo/data/waimai_reviews.csv)
per request, a new one as soon as the last is answered, over keep-alive connections. Both servers run in their own
processes, on the same thread count, and take the load in turn, ``--rounds`` rounds each, so drift in machine speed
hits both alike. The load generator is a minimal asyncio HTTP/1.1 client, so that on a small machine it takes
little of the CPU the servers need. Reported: requests/s, p50 and p99 latency, errors (any answer other than 200,
or a broken connection), the server's CPU time per request (user + system, all its threads: on a shared machine
the steadiest figure), and each server's RSS after its warm-up, after each round and after its last request, each
read 2 s after the last answer, when the server is idle. Floors: >= 4x the plain server's requests/s, p99 < 1 s,
0 errors, RSS growth < 10% over 50,000 requests.

    python benchmarks/serve_load.py                      (50,000 requests to zhbert serve, 5,000 to the plain one)
    python benchmarks/serve_load.py --quick              (2,000 and 500)
    python benchmarks/serve_load.py --requests 50000 --plain-requests 5000 --threads 1 --max-wait-ms 2
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, header, print_ratio

PLAIN_SERVER = """
import sys, torch, uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer

path, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
tokenizer = AutoTokenizer.from_pretrained(path)
model = AutoModelForSequenceClassification.from_pretrained(path).eval()
app = FastAPI()

class Body(BaseModel):
    text: str

@app.get("/health")
def health():
    return {"status": "ready"}

@app.post("/v1/classify")
def classify(body: Body):
    enc = tokenizer(body.text, truncation=True, max_length=128, return_tensors="pt")
    with torch.inference_mode():
        probs = model(**enc).logits.softmax(-1)[0]
    best = int(probs.argmax())
    return {"label": model.config.id2label[best], "score": float(probs[best])}

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def short_reviews(limit: int = 32) -> list[str]:
    with (REPO / "zhbert_demo" / "data" / "waimai_reviews.csv").open(encoding="utf-8") as handle:
        return [row["review"] for row in csv.DictReader(handle) if 0 < len(row["review"].strip()) <= limit]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


IDLE_S = 2.0  # RSS is read this long after a round's last answer: zhbert serve trims its heap when idle for 1 s


def rss_mb(pid: int, settle: float = 0.0) -> float:
    time.sleep(settle)
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user + system), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, name: str, command: list[str], port: int, log: Path) -> None:
        self.name, self.port, self.log = name, port, log
        env = {**os.environ, "ZHBERT_API_KEY": ""}
        with log.open("w") as out:
            self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.latencies: list[float] = []
        self.errors = 0
        self.seconds = 0.0
        self.cpu = 0.0
        self.rss: list[float] = []
        self.rounds_rss: list[float] = []  # after each round

    def wait_ready(self, timeout: float = 300) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready in {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def load(port: int, texts: list[str], requests: int, clients: int, start_at: int = 0) -> tuple[list[float], int]:
    """``requests`` POSTs of one text each from ``clients`` keep-alive connections; latencies (s) and errors."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(start_at, start_at + requests))

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in counter:
                body = json.dumps({"text": texts[i % len(texts)]}, ensure_ascii=False).encode()
                head = (
                    f"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                start = time.perf_counter()
                try:
                    writer.write(head + body)
                    status_line = await reader.readline()
                    length = 0
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    answer = await reader.readexactly(length)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - start)
                if status_line.split()[1:2] != [b"200"] or b'"label"' not in answer:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def batch_sizes(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    found = {}
    for line in text.splitlines():
        for key in ("zhbert_batch_size_sum", "zhbert_batch_size_count"):
            if line.startswith(key + "{"):
                found[key] = float(line.rsplit(" ", 1)[1])
    calls = found.get("zhbert_batch_size_count", 0)
    mean = found.get("zhbert_batch_size_sum", 0) / calls if calls else 0
    return f"{int(calls)} model calls, {mean:.1f} texts per call on average"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(REPO / "zhbert_demo" / "models" / "classifier"))
    parser.add_argument("--requests", type=int, default=50_000, help="requests to zhbert serve, in all rounds")
    parser.add_argument("--plain-requests", type=int, default=5_000, help="requests to the plain server")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=200, help="requests to each server before RSS is read")
    parser.add_argument("--threads", type=int, default=None, help="threads of both servers (default: zhbert's choice)")
    parser.add_argument("--max-batch", type=int, default=None)
    parser.add_argument("--max-wait-ms", type=float, default=None)
    parser.add_argument("--dtype", default=None, help="zhbert serve's --dtype (default: its own, auto)")
    parser.add_argument("--quick", action="store_true", help="2,000 and 500 requests")
    parser.add_argument("--logs", default=str(REPO / "runs" / "serve_load"), help="the servers' logs")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.plain_requests = min(args.requests, 2_000), min(args.plain_requests, 500)

    from zhbert.serve import serve_threads

    threads = serve_threads(args.threads)
    header("serve_load: requests/s of zhbert serve and of a plain one-pass-per-request FastAPI server")
    texts = short_reviews()
    print(f"model: {args.model}; both servers on {threads}; {args.clients} clients, one text per request")
    print(f"texts: {len(texts)} reviews of <= 32 characters, in turn; {args.rounds} interleaved rounds")
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    serve_flags = [f"--threads={threads.threads}"]
    if args.max_batch is not None:
        serve_flags.append(f"--max-batch={args.max_batch}")
    if args.max_wait_ms is not None:
        serve_flags.append(f"--max-wait-ms={args.max_wait_ms}")
    if args.dtype is not None:
        serve_flags.append(f"--dtype={args.dtype}")
    ports = free_port(), free_port()
    servers = {
        "plain FastAPI, one pass per request": Server(
            "plain", [sys.executable, "-c", PLAIN_SERVER, args.model, str(ports[0]), str(threads.threads)],
            ports[0], logs / "plain.log",
        ),
        "zhbert serve": Server(
            "zhbert serve",
            [sys.executable, "-m", "zhbert", "serve", args.model, "--port", str(ports[1]), *serve_flags],
            ports[1], logs / "zhbert.log",
        ),
    }  # fmt: skip
    counts = {"plain FastAPI, one pass per request": args.plain_requests, "zhbert serve": args.requests}
    try:
        for server in servers.values():
            server.wait_ready()
            asyncio.run(load(server.port, texts, args.warmup, args.clients))
            server.rss.append(rss_mb(server.proc.pid, IDLE_S))
        sent = 0
        for r in range(args.rounds):
            for name, server in servers.items():
                n = counts[name] // args.rounds + (counts[name] % args.rounds if r == args.rounds - 1 else 0)
                start, cpu = time.perf_counter(), cpu_seconds(server.proc.pid)
                latencies, errors = asyncio.run(load(server.port, texts, n, args.clients, sent))
                server.seconds += time.perf_counter() - start
                server.cpu += cpu_seconds(server.proc.pid) - cpu
                server.latencies += latencies
                server.errors += errors
                server.rounds_rss.append(rss_mb(server.proc.pid, IDLE_S))
                sent += n
        for server in servers.values():
            server.rss.append(rss_mb(server.proc.pid, IDLE_S))
        batching = batch_sizes(ports[1])
    finally:
        for server in servers.values():
            server.stop()

    print(f"{'server':<36} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'CPU ms/req':>10} {'RSS MB before':>13} {'after':>7} {'growth':>7}")  # fmt: skip
    rates = {}
    for name, server in servers.items():
        done = len(server.latencies) + server.errors
        rates[name] = len(server.latencies) / server.seconds if server.seconds else 0.0
        growth = (server.rss[1] / server.rss[0] - 1) * 100
        p50, p99 = (percentile(server.latencies, q) * 1000 for q in (0.5, 0.99))
        cpu = server.cpu / max(done, 1) * 1000
        print(
            f"{name:<36} {done:>8} {server.errors:>6} {rates[name]:>8.1f} {p50:>7.1f} {p99:>7.1f} {cpu:>10.2f} "
            f"{server.rss[0]:>13.1f} {server.rss[1]:>7.1f} {growth:>+6.1f}%"
        )
    ours, plain = servers["zhbert serve"], servers["plain FastAPI, one pass per request"]
    speedup = rates["zhbert serve"] / rates["plain FastAPI, one pass per request"]
    p99 = percentile(ours.latencies, 0.99)
    growth = ours.rss[1] / ours.rss[0] - 1
    print(f"zhbert serve: {batching}; RSS MB after each round: {', '.join(f'{x:.0f}' for x in ours.rounds_rss)}")
    checks = [
        (f"requests/s {speedup:.2f}x the plain server's (floor >= 4x)", speedup >= 4),
        (f"p99 {p99 * 1000:.0f} ms (floor < 1000 ms)", p99 < 1.0),
        (f"errors {ours.errors} (floor 0)", ours.errors == 0),
        (f"RSS growth {growth * 100:+.1f}% over {len(ours.latencies) + ours.errors:,} requests (floor < 10%)",
         growth < 0.10),
    ]  # fmt: skip
    for what, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {what}")
    if plain.errors:
        print(f"  (the plain server answered {plain.errors} requests with errors)")
    print_ratio("serve_load.requests_per_s", speedup)


if __name__ == "__main__":
    main()
