# AES CRM — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
AESCRM_HOST ?= 127.0.0.1
AESCRM_PORT ?= 8000
export AESCRM_HOST AESCRM_PORT

.PHONY: run test drill lint format schema release-schema bench migrations install upgrade lock-check

# Installs come only from uv.lock (exact versions, sha256 hashes): the bootstrap file pins uv
# itself with hashes, then `uv sync --locked` installs the locked set and fails when
# pyproject.toml and uv.lock disagree. `make upgrade` is the only way versions move.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
UV := $(BIN)/uv

$(STAMP): pyproject.toml uv.lock uv-bootstrap.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r uv-bootstrap.txt
	$(UV) sync --locked --extra dev --python $(BIN)/python
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/aescrm migrate
	$(BIN)/aescrm seed-demo
	@$(BIN)/python -m graph.welcome
	$(BIN)/aescrm serve

# The real-time and board tests again with graph/engine's shortcuts off (the stock paths).
ENGINE_FALLBACK_TESTS := tests/realtime tests/graph/test_schedule_board.py \
	tests/graph/test_schedule_board_fastpath.py tests/graph/test_schedule_live.py \
	tests/graph/test_consent_live.py tests/graph/test_schedule_setup_live.py \
	tests/graph/test_schedule_event_changes.py tests/graph/test_visibility_live.py \
	tests/graph/test_board_access_log.py tests/graph/test_live_matches_http.py \
	tests/graph/test_clinical_chart_live.py tests/graph/test_call_requests_live.py \
	tests/graph/test_trusted_documents_live.py

test: $(STAMP) lint
	$(BIN)/python -m pytest
	AESCRM_TEST_ENGINE_SHORTCUTS=false $(BIN)/python -m pytest $(ENGINE_FALLBACK_TESTS)

# The multi-host failure drill alone (root: network namespaces; see README "Failure drill").
drill: $(STAMP)
	$(BIN)/python -m pytest -m drill tests/drill

lint: $(STAMP) lock-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/aescrm schema check

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/aescrm export-schema --output schema.graphql
	$(BIN)/aescrm export-format-schema --output export.schema.json

# When cutting a release: set [project].version, move CHANGELOG.md's [Unreleased] entries under
# `## [<version>] - <date>`, then record schema.graphql as the schema partners now have.
release-schema: $(STAMP) schema
	$(BIN)/aescrm schema release

migrations: $(STAMP)
	$(BIN)/tortoise -c db.tortoise_cli.TORTOISE_ORM makemigrations

bench: $(STAMP)
	$(BIN)/python bench/http_query.py
	$(BIN)/python bench/auth_overhead.py
	$(BIN)/python bench/patient_search.py
	$(BIN)/python bench/ws_fanout.py
	$(BIN)/python bench/board.py

lock-check: $(STAMP)
	$(UV) lock --check

# Re-resolve every dependency to the newest allowed by pyproject.toml, reinstall from the new
# lock, then prove it: the whole suite and the board and fan-out benchmarks.
upgrade:
	test -x $(UV) || $(MAKE) install
	$(UV) lock --upgrade
	echo "uv==$$($(BIN)/python -c 'import tomllib; print(next(p["version"] for p in tomllib.load(open("uv.lock", "rb"))["package"] if p["name"] == "uv"))')" \
	  | $(UV) pip compile --generate-hashes --no-header --python-version 3.11 - \
	  | sed '1i # The installer, pinned with hashes; make upgrade regenerates this from uv.lock'"'"'s uv version.' \
	  > uv-bootstrap.txt
	$(MAKE) install test
	$(BIN)/python bench/board.py
	$(BIN)/python bench/ws_fanout.py
