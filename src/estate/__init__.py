"""Estate: one store for an organization's IT estate, spoken to through the KACE SMA REST API
and the i-doit JSON-RPC API."""

__version__ = "0.1.0"
