# `make run` starts Liaison (local mode without Slack credentials); `make test` runs every test on SQLite and
# PostgreSQL. Both create .venv and install requirements.txt first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint bench install migrate

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: install
	$(BIN)/python -m bot.local

migrate: install
	$(BIN)/alembic upgrade head

lint: install
	$(BIN)/ruff check .

test-sqlite: install
	LIAISON_TEST_DATABASE_URL= $(BIN)/pytest

test-postgres: install
	LIAISON_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python -m bench
