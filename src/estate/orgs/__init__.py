"""Organizations, their locations and products.

Importing the package lets location objects keep their KACE locations (see location_objects.py)."""

from estate.orgs import location_objects as _location_objects  # noqa: F401
