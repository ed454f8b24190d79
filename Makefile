# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The CPU build of torch; an unpinned torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: install browser demo demo-models test lint bench bench-check clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[ltp,demo,onnx,serve,report,dev]"
	touch $@

install: $(VENV)/.installed

# The browser tests drive Debian's Chromium (Playwright cannot download one here) with CJK fonts.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
browser:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(CJK_FONT) ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

# The web demo on http://127.0.0.1:7860, on the model set shipped in zhbert_demo/models (no build step).
demo: install
	$(PY) -m zhbert demo

demo-models: install
	$(PY) -m zhbert build-demo-models

test: install browser
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check zhbert wwm_pretrain zhbert_demo tests benchmarks tools
	$(PY) -m ruff format --check zhbert wwm_pretrain zhbert_demo tests benchmarks tools
	$(PY) -m mypy
	$(PY) tools/import_rules.py

# The documented ratios of docs/benchmarks.md beside today's (benchmarks/figures.json); fails if one fell by > 20%.
# A few minutes; run it on a quiet machine. A subset: make bench-check CHECK="--only collator,features".
bench-check: install
	$(PY) benchmarks/check.py $(CHECK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
