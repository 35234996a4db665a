# Kindred developer entry points. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test check messages lint typecheck test-sqlite test-postgres test-browser-deps test-fedify-deps test-lemmy-deps chromium bench clean

# Build the virtualenv and install Kindred with its test and dev tools.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## run: set up and run the server on SQLite at http://$(HOST):$(PORT) (`make run PORT=9000`).
## Without KINDRED_PUBLIC_URL, the setup URL and links printed follow HOST and PORT.
run: $(STAMP)
	$(BIN)/kindred migrate
	$(BIN)/kindred serve --host $(HOST) --port $(PORT)

## test: set up everything, then lint, type-check and run the suite on SQLite and PostgreSQL
test: $(STAMP) chromium test-browser-deps test-fedify-deps test-lemmy-deps lint typecheck test-sqlite test-postgres

check: test

lint: $(STAMP)
	$(BIN)/ruff format --check forum federation moderation themes tests bench
	$(BIN)/ruff check forum federation moderation themes tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs in one pytest process more than the machine has cores (pytest-xdist), a
# test file to a process: many tests wait on servers they start, a browser or a deadline,
# and the extra process fills those waits. Each process makes its own SQLite file or
# PostgreSQL database and picks free ports, so files never share state. TEST_JOBS=1 runs
# the suite in one process.
TEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST    := $(BIN)/pytest -n $(TEST_JOBS) --dist loadfile --durations=15

test-sqlite: $(STAMP)
	KINDRED_TEST_DB=sqlite $(PYTEST) -m "not postgres_only"

# Browser, Fedify and sqlite_only tests run once, in the SQLite suite: they drive their own
# servers or commands on SQLite files whatever KINDRED_TEST_DB says (postgres_only ones
# make their own PostgreSQL database, and run in this suite only).
test-postgres: $(STAMP)
	KINDRED_TEST_DB=postgres $(PYTEST) -m "not browser and not interop and not sqlite_only"

# Debian's Chromium for the Playwright tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# axe-core for the accessibility checks, pinned in tests/browser/package-lock.json.
test-browser-deps:
	@test -d tests/browser/node_modules/axe-core || npm ci --prefix tests/browser --no-audit --no-fund

# Fedify, the third-party ActivityPub peer, pinned in tests/fedify/package-lock.json.
test-fedify-deps:
	@test -d tests/fedify/node_modules/@fedify || npm ci --prefix tests/fedify --no-audit --no-fund

# lemmy-js-client, the Lemmy API client apps use, pinned in tests/lemmy/package-lock.json.
test-lemmy-deps:
	@test -d tests/lemmy/node_modules/lemmy-js-client || npm ci --prefix tests/lemmy --no-audit --no-fund

## messages: re-read the translatable text into forum/locale/kindred.pot and merge it into
## every language's kindred.po (new text untranslated, changed text marked fuzzy).
LOCALES := forum/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy -k N_ -o $(LOCALES)/kindred.pot --project=Kindred \
	  --no-wrap --sort-by-file --ignore-dirs='.* ._ node_modules tests artifacts bench docs' .
	$(BIN)/pybabel update -i $(LOCALES)/kindred.pot -d $(LOCALES) -D kindred --no-wrap

## bench: thread-page throughput on SQLite and PostgreSQL (prints and writes bench/results/)
bench: $(STAMP)
	$(BIN)/python bench/thread_page.py --db both

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
