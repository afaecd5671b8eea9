# AES CRM — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
AESCRM_HOST ?= 127.0.0.1
AESCRM_PORT ?= 8000
export AESCRM_HOST AESCRM_PORT

.PHONY: run test lint format schema bench migrations install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/aescrm migrate
	$(BIN)/aescrm seed-demo
	@$(BIN)/python -m graph.welcome
	$(BIN)/aescrm serve

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/aescrm export-schema --output schema.graphql
	$(BIN)/aescrm export-format-schema --output export.schema.json

migrations: $(STAMP)
	$(BIN)/tortoise -c db.tortoise_cli.TORTOISE_ORM makemigrations

bench: $(STAMP)
	$(BIN)/python bench/http_query.py
	$(BIN)/python bench/auth_overhead.py
	$(BIN)/python bench/patient_search.py
	$(BIN)/python bench/ws_fanout.py
	$(BIN)/python bench/board.py
