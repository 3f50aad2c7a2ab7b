# Two entry points (see README): `make run` installs and runs the default config; `make test` installs and
# runs the test suite. Everything lives in a local virtualenv, .venv/, built once from pyproject.toml.
PYTHON ?= python3.11
VENV ?= .venv
CORES ?= 8
SNAKEMAKE_ARGS ?=
BIN := $(VENV)/bin

.PHONY: install run resume test lint report docs verify clean-venv

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml: the CPU wheel, never a CUDA build.
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

# After a killed run: drop the stale lock a SIGKILL leaves behind, then continue. Finished jobs are kept;
# half-finished ones are redone (rerun-incomplete). Never use it while another snakemake runs in this directory.
resume: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/snakemake --unlock $(SNAKEMAKE_ARGS)
	$(MAKE) run

report: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/snakemake --report report.html $(SNAKEMAKE_ARGS)

# Regenerate the README's results (docs/results/): finish the run (a no-op if it is done), then copy its figures,
# claims table, config and provenance.
docs: run
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python tools/update_docs.py $(DOCS_ARGS)

# Does this machine reproduce docs/results bit for bit? Retrains a small slice (CartPole-v1 RL seed 0, levels 0-2)
# in a scratch folder and compares it with docs/results/verify.json (written by `make docs`); exit 0 if identical.
verify: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python tools/verify.py $(VERIFY_ARGS)

lint: install
	$(BIN)/ruff check src workflow_scripts tests tools benchmarks
	$(BIN)/ruff format --check src workflow_scripts tests tools benchmarks
	$(BIN)/snakefmt --check Snakefile rules

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
test: lint
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -ra $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

clean-venv:
	rm -rf $(VENV)
