# Developer shortcuts. The README commands need only Python and git; these need make.
.PHONY: bench

# Benchmarks against copier, cookiecutter and cruft; writes docs/benchmarks.md and bench/results/.
bench:
	python3 -m venv .venv && .venv/bin/python -m pip install --quiet -e . && .venv/bin/python bench/run.py
