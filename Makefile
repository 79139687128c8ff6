# The two commands of the quick start: `make demo` and `make test`. Each does its own set-up.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# The cockpit's browser assets (Apache ECharts from npm), built from node_modules, never committed.
COCKPIT := src/zhicheng/cockpit/static/vendor/echarts.min.js
ZHICHENG_DB ?= $(CURDIR)/demo.db
export ZHICHENG_DB
# Where `make demo` serves the cockpit.
PORT ?= 8000

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(COCKPIT): package.json $(wildcard package-lock.json) src/zhicheng/cockpit/build.mjs
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	npm run build

install: $(STAMP) $(COCKPIT)

demo: install
	$(BIN)/zhicheng demo
	@echo "cockpit: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	$(BIN)/zhicheng serve --host 127.0.0.1 --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest

bench: install
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm src/zhicheng/cockpit/static/vendor
