"""paved: a paved road for services.

Render golden paths from a catalog (`paved new service`) and keep every
generated repo in step as the catalog evolves.
"""

__version__ = "0.1.0"
