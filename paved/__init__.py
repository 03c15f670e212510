"""paved: a paved road for services.

Render golden paths from a catalog (`paved new service`) and keep every
generated repo in step as the catalog evolves.
"""

__version__ = "0.1.0"

#: The distribution's name on package indexes. The command and the import package are
#: `paved`, but PyPI's `paved` is an unrelated project: nothing may install that name.
DISTRIBUTION = "paved-cli"
