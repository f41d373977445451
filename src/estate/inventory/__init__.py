"""Inventory: machines and what their agents report.

Loading the domain makes it a feed of the CMDB and keeps device assets' machines in step with them
(see cmdb_view.py)."""

from estate.inventory import cmdb_view as _cmdb_view  # noqa: F401
