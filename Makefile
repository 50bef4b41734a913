# ASN Recsys — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help demo notebooks test lint env env-notebooks env-dev lock bench clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

env: ## Create/refresh .venv with the library and the API (and system packages)
	@scripts/bootstrap.sh serve

env-notebooks: ## Create/refresh .venv with the library and Jupyter
	@scripts/bootstrap.sh notebooks

env-dev: ## Create/refresh .venv with runtime + test/lint tools
	@scripts/bootstrap.sh dev

demo: env ## The main job on embedded defaults: demo world -> validation -> models -> the API and the demo portal
	@$(BIN)/recsys demo
	@$(BIN)/python -m serving --demo

notebooks: env-notebooks ## Execute every notebook on the demo world and render them to HTML (reports/notebooks/)
	@test -d data/demo || $(BIN)/recsys simulate --out data/demo
	$(BIN)/python -m recsys.notebooks run --out reports/notebooks
	$(BIN)/python -m recsys.notebooks render --out reports/notebooks

lint: env-dev ## Ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint ## The whole test suite, lint and type check included
	$(BIN)/pytest -n 2 --durations=15

bench: env-dev ## Benchmarks (figures go to benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/simulate_validate.py --scale 1000000

lock: ## Re-resolve pinned versions into requirements/constraints.txt
	rm -rf /tmp/recsys-lock && python3.11 -m venv /tmp/recsys-lock
	/tmp/recsys-lock/bin/pip install --quiet ".[dev]"
	( echo "# Exact versions for reproducible installs; used by scripts/bootstrap.sh as a pip constraints file."; \
	  echo "# Refresh: make lock"; /tmp/recsys-lock/bin/pip freeze --exclude asn-recsys ) > requirements/constraints.txt

clean: ## Remove caches (keeps .venv, data and the MLflow store)
	rm -rf .pytest_cache .mypy_cache .ruff_cache build *.egg-info
