# Developer shortcuts. The README commands need only Python and git; these need make.
.PHONY: bench mutate mutate-service

# Benchmarks against copier, cookiecutter and cruft; writes docs/benchmarks.md and bench/results/.
# About 20 minutes on 2 cores. Quick runs: make bench BENCH_ARGS="update --runs 3 --no-doc"
bench:
	python3 -m venv .venv && .venv/bin/python -m pip install --quiet -e . && \
	.venv/bin/python bench/run.py $(BENCH_ARGS)

# Mutation testing (cosmic-ray) of paved's policy modules, each against its fast tests;
# scores and survivors in mutation/results/, quoted in docs/testing.md. Hours on 2 cores:
# one module: make mutate MUTATE_ARGS=paved/update/merge.py; a sample: MUTATE_ARGS="--sample 20"
mutate:
	python3 -m venv .venv && .venv/bin/python -m pip install --quiet -e '.[test]' && \
	.venv/bin/python mutation/run.py $(MUTATE_ARGS)

# The same for the generated service's policy modules, in a render, against its own tests.
mutate-service:
	python3 -m venv .venv && .venv/bin/python -m pip install --quiet -e '.[test]' && \
	.venv/bin/python mutation/run.py --service $(MUTATE_ARGS)
