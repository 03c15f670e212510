# Developer shortcuts. The README commands need only Python and git; these need make.
.PHONY: bench

# Benchmarks against copier, cookiecutter and cruft; writes docs/benchmarks.md and bench/results/.
# About 20 minutes on 2 cores. Quick runs: make bench BENCH_ARGS="update --runs 3 --no-doc"
bench:
	python3 -m venv .venv && .venv/bin/python -m pip install --quiet -e . && \
	.venv/bin/python bench/run.py $(BENCH_ARGS)
