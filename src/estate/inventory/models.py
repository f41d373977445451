"""Inventory tables (being written)."""
