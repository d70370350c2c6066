# Two commands do all the set-up: `make run` starts the gateway with the
# embedded default (SQLite under ./data), `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint venv clean

$(BIN)/.installed: requirements.txt requirements-dev.txt requirements-ocr.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -r requirements-ocr.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	OMP_THREAD_LIMIT=1 $(BIN)/python -m gateway run

test: venv
	OMP_THREAD_LIMIT=1 $(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
