# The two commands a newcomer needs (see README):
#   make report   set up .venv and run the main job
#   make test     set up .venv and run the whole test suite
# and for maintainers:
#   make lock     re-resolve requirements.lock from pyproject.toml (needs the network)
#   make bench    the benchmarks, each figure beside its floor (run on demand)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

UV_VERSION := 0.13.9
LOCK_ARGS  := pyproject.toml --extra notebooks --extra test --python-version 3.11 \
              --python-platform x86_64-unknown-linux-gnu --generate-hashes

.PHONY: report test lab lock bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# exact versions from the lock (hash-checked), then the package itself without resolving anything again
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name qindex --display-name "Python (qindex)" > /dev/null
	touch $@

# `make report SHARE=/path/to/shared/folder` also writes the shared set of reports there (qindex share)
# every line of a scheduled run's log is dated, in the reports' time zone (UTC+8)
report: $(VENV)/.installed
	@$(BIN)/qindex validate
	@$(BIN)/qindex run --all $(if $(SHARE),--share "$(SHARE)")

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# speed against the floor of each measurement, measured in the same run (see README, "Benchmarks"); not in CI
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_rules.py
	$(BIN)/python benchmarks/bench_uncertainty.py --threads --replications 10000
	$(BIN)/python benchmarks/bench_runs.py
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_kaohe.py

# JupyterLab at the project root (notebooks, data, params and reports in reach), on the project's kernel;
# scratch notebooks go to work/ (git-ignored, not collected by the tests)
lab: $(VENV)/.installed
	mkdir -p work
	$(BIN)/jupyter lab --ServerApp.root_dir=. --ServerApp.ip=127.0.0.1

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile $(LOCK_ARGS) --upgrade -o requirements.lock
