# 社区议事厅 — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test lint bench clean-db migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One stamp per set of extras, redone whenever pyproject.toml or the pinned versions change.
# constraints.txt pins every installed package, so a fresh machine computes the same themes.
$(VENV)/.app-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml constraints.txt $(VENV)/.app-installed
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

## Start the portal with the demo neighbourhood on the embedded SQLite database.
run: $(VENV)/.app-installed
	$(BIN)/consult demo --if-empty
	@echo ""
	@echo "社区议事厅已启动：http://localhost:$(PORT)  （Ctrl+C 停止）"
	PORTAL_PORT=$(PORT) $(BIN)/streamlit run portal/server.py --server.port $(PORT)

## Install the test extras and run the whole test suite.
test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(VENV)/.test-installed
	$(BIN)/ruff check portal analysis tests bench
	$(BIN)/mypy analysis portal/services

bench: $(VENV)/.test-installed
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

## New Alembic migration from portal/models.py: make migration m="what changed"
migration: $(VENV)/.app-installed
	$(BIN)/python scripts/new_migration.py "$(m)"

clean-db:
	rm -f var/portal.sqlite var/portal.sqlite-wal var/portal.sqlite-shm
