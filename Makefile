# Every gate in one command: `make check` (inside the venv of the README's test command).
PYTHON ?= python

.PHONY: check lint format types imports test bench

check: lint types imports test

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format:
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

types:
	$(PYTHON) -m mypy

imports:
	lint-imports

test:
	$(PYTHON) -m pytest

bench:
	$(PYTHON) bench/ingest.py
