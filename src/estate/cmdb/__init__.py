"""The CMDB: objects, category entries, dialog lists, logbook and search over the i-doit catalog.

Importing the package registers what a new organization starts with (see seed.py)."""

from estate.cmdb import seed as _seed  # noqa: F401
