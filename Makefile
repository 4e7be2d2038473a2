# The two commands a newcomer needs (see README.md):
#   make lab    set up, then open the quickstart notebook (embedded demo server) in JupyterLab
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab quickstart test peers lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

lab: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[lab]'
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/quickstart.ipynb

# The quickstart, headless: runs every cell and writes the executed copy next to it.
quickstart: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[lab]'
	$(BIN)/jupyter execute --output=quickstart.executed.ipynb notebooks/quickstart.ipynb

peers: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	PYTHON=$(BIN)/python scripts/install-peers

test: $(BIN)/python peers
	$(BIN)/python -m pytest

lint: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/ruff check mcp_notebook tests
	$(BIN)/ruff format --check mcp_notebook tests
	$(BIN)/mypy
	$(BIN)/lint-imports
