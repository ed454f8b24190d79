# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The CPU build of torch; an unpinned torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: install demo test lint bench clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[ltp,demo,dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m zhbert preview "中华人民共和国刑法规定，盗窃公私财物数额较大的，处三年以下有期徒刑。"

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check zhbert wwm_pretrain apps tests benchmarks
	$(PY) -m ruff format --check zhbert wwm_pretrain apps tests benchmarks
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
