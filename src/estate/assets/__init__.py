"""Assets: the KACE face of CMDB objects (types, fields, links, attachments, barcodes).

Loading the domain registers the asset categories in the catalog and what a new organization
starts with (see seeds.py)."""

from estate.assets import seeds as _seeds  # noqa: F401
