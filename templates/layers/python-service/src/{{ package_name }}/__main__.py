"""`python -m <package>`: serve with graceful shutdown (what `make run` and the image do)."""

from .main import app
from .platform.server import run

run(app)
