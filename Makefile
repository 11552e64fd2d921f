# The two commands a new user needs (see README): `make run` and `make test`.
SHELL := /bin/bash
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup lint unit

setup:
	bash scripts/setup.sh

run: setup
	bash scripts/run.sh

test: setup
	bash scripts/test.sh

unit:
	.venv/bin/pytest -q tests/unit

lint:
	.venv/bin/ruff check tutor ingest evals ui tests bench
	.venv/bin/mypy tutor ingest evals ui
