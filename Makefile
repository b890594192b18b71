# Quick start: `make demo` and `make test`. Only Python >= 3.11 and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO ?= examples/automotive

.PHONY: demo test lint bench clean browser docs fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/smgov check $(DEMO) --as-of 2026-10-01 --fail-on never

# The HTML report is tested in a real headless Chromium (tests/test_html_browser.py):
# Debian's package, installed when missing (CI runs as root on Debian).
CHROMIUM_INSTALL = apt-get update -qq && apt-get install -y -qq chromium >/dev/null
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  ($(CHROMIUM_INSTALL)) || (sudo -n true 2>/dev/null && sudo sh -c '$(CHROMIUM_INSTALL)') || \
	  echo "make: chromium not installed: the browser tests will skip (they fail under CI)"

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# Property-based fuzzing (tests/test_fuzz_*.py) on fresh random examples for FUZZ_SECONDS
# (make test runs the same properties on a fixed, bounded set); prints the cases it tried.
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	SMGOV_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/test_fuzz_loaders.py tests/test_fuzz_evaluators.py

# docs/rules.md: the baseline's rule catalogue (a test fails when it is stale)
docs: $(STAMP)
	$(BIN)/smgov policy docs policies/baseline -o docs/rules.md
	for pack in public-sector-us higher-education financial-services endorsements-and-privacy; do \
		$(BIN)/smgov policy docs policies/$$pack --own -o docs/packs/$$pack.md || exit 1; done

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
