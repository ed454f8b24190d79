"""``zhbert serve``: an HTTP JSON API over fine-tuned models, with dynamic batching (``zhbert.serve``).

zhbert serve runs/senti runs/resume-ner                    (a classifier and a tagger on 127.0.0.1:8000)
zhbert serve news=runs/news-cls law=runs/law-cls --port 9000 --api-key "$KEY"
curl -s localhost:8000/v1/entities -H 'content-type: application/json' -d '{"text": "张三在北京大学工作。"}'
"""

from __future__ import annotations

import argparse
import os
import socket
from typing import Any

from ..errors import UsageError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    from ..serve.settings import API_KEY_ENV, ServeSettings

    d = ServeSettings()
    p: argparse.ArgumentParser = sub.add_parser(
        "serve", help="serve classifiers, taggers and masked-language models over HTTP, with dynamic batching"
    )
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="a model folder (zhbert train, wwm-pretrain or zhbert export), or NAME=FOLDER; requests "
                   "name it by NAME, else by the folder's name")  # fmt: skip
    p.add_argument("--host", default=d.host, help="address to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=d.port)
    p.add_argument("--api_key", "--api-key", default=None,
                   help=f"require this key on every route but /health and /docs (default: ${API_KEY_ENV})")  # fmt: skip
    p.add_argument("--threads", type=int, default=None,
                   help="threads of model calls (default: $ZHBERT_THREADS, else usable cores less one)")  # fmt: skip
    p.add_argument("--max_batch", "--max-batch", type=int, default=d.max_batch, help="most texts per model call")
    p.add_argument("--max_wait_ms", "--max-wait-ms", type=float, default=d.max_wait_ms,
                   help="how long a request waits for others to share its model call")  # fmt: skip
    p.add_argument("--max_queue", "--max-queue", type=int, default=d.max_queue,
                   help="most requests waiting or running per model; beyond it, 503 with Retry-After")  # fmt: skip
    p.add_argument("--max_body_bytes", "--max-body-bytes", type=int, default=d.max_body_bytes)
    p.add_argument("--max_texts", "--max-texts", type=int, default=d.max_texts, help="most texts per request")
    p.add_argument("--max_chars", "--max-chars", type=int, default=d.max_chars,
                   help="most characters per text (a tagger reads long texts in windows)")  # fmt: skip
    p.add_argument("--max_top_k", "--max-top-k", type=int, default=d.max_top_k)
    p.add_argument("--graceful_timeout_s", "--graceful-timeout", type=float, default=d.graceful_timeout_s,
                   help="on SIGTERM or SIGINT, how long to finish the requests in flight")  # fmt: skip
    p.add_argument("--device", default=None)
    p.add_argument("--dtype", default=d.dtype, choices=["float32", "bf16", "auto"],
                   help="float type of the models: float32 keeps memory flat under load; bf16 computes faster on a "
                   "CPU with bf16, but its kernels keep memory for each new input shape")  # fmt: skip
    p.add_argument("--log_level", "--log-level", default="warning",
                   choices=["critical", "error", "warning", "info", "debug"], help="uvicorn's log level")  # fmt: skip
    p.add_argument("--access_log", "--access-log", action="store_true", help="log every request")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..serve import API_KEY_ENV, ROUTES, ServeSettings, parse_model_specs, require_serve_extra, serve_threads

    require_serve_extra()
    api_key = args.api_key if args.api_key is not None else os.environ.get(API_KEY_ENV) or None
    settings = ServeSettings(
        host=args.host, port=args.port, api_key=api_key, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms,
        max_queue=args.max_queue, max_body_bytes=args.max_body_bytes, max_texts=args.max_texts,
        max_chars=args.max_chars, max_top_k=args.max_top_k, threads=args.threads, dtype=args.dtype,
        device=args.device, graceful_timeout_s=args.graceful_timeout_s,
    )  # fmt: skip
    threads = serve_threads(settings.threads)
    specs = parse_model_specs(args.models)
    _check_port(settings.host, settings.port)
    width = max(len(spec.name) for spec in specs)
    print(f"zhbert serve: {len(specs)} model{'s' if len(specs) != 1 else ''}, {threads}")
    for spec in specs:
        print(f"  {spec.name:<{width}}  {spec.kind:<10}  POST {ROUTES[spec.kind]:<14}  {spec.path}")
    print(
        f"  batching: up to {settings.max_batch} texts per call, {settings.max_wait_ms:g} ms wait, "
        f"{settings.max_queue} requests queued per model"
    )
    print(
        f"  limits: {settings.max_body_bytes:,}-byte bodies, {settings.max_texts} texts per request, "
        f"{settings.max_chars:,} characters per text; API key {'required' if api_key else 'not required'}"
    )
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"  http://{host}:{settings.port}  (/docs, /health, /metrics); loading the models...", flush=True)
    from ..serve.server import serve

    return serve(specs, settings, log_level=args.log_level, access_log=args.access_log)


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken before any model is loaded."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise UsageError(f"cannot listen on {host}:{port}: {err.strerror}", argument="port") from None
