"""CMDB object store tables (being written)."""
