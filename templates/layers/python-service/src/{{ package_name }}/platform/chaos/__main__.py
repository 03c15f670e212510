"""`python -m <package>.platform.chaos`: what `make chaos` runs (see run.py)."""

from .run import main

main()
