# Two commands on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
# Each sets up what it needs: the virtualenv with the package, and Graphviz's `dot`
# (with a CJK font, so the Chinese labels of the diagrams render).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck pytest setup system-deps browser clean bench bench-quick docs

demo: setup
	$(VENV)/bin/aftersales demo --diagrams diagrams

test: setup browser lint typecheck pytest

setup: system-deps $(STAMP)

# The training page is checked in Debian's Chromium (Playwright drives it; nothing is downloaded).
browser:
	@command -v chromium >/dev/null || { \
		if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then \
			echo "installing: chromium"; \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
		else echo "please install: chromium (Debian/Ubuntu package)"; exit 1; fi; }

# Debian's python3 lacks venv and pip until python3-venv is installed; dot comes with graphviz.
system-deps:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "aftersales needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then \
			echo "installing:$$missing"; \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "please install:$$missing (Debian/Ubuntu packages)"; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests tools $(wildcard bench)
	$(VENV)/bin/ruff format --check src tests tools $(wildcard bench)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(VENV)/bin/pytest -q

# The generated half of docs/ (reference pages, JSON Schemas); a test fails when it is stale.
# The generator lives in tools/, outside the wheel.
docs: $(STAMP)
	$(PY) tools/reference.py docs

# Benchmarks print ratios against baselines run in the same process; never part of `make test`.
# P5 needs PostgreSQL (AFTERSALES_PG_URL, default postgres@127.0.0.1:5432/test).
BENCHES := $(sort $(wildcard bench/p[0-9]_*.py))

bench: setup
	rm -f bench/results.json
	@for script in $(BENCHES); do $(PY) $$script || exit 1; done

bench-quick: setup
	@for script in $(BENCHES); do $(PY) $$script --quick || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
