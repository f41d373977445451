"""The i-doit JSON-RPC methods; importing this package registers every one of them."""

from estate.idoit.methods import categories, console, dialogs, discover, idoit, lookups, meta, objects, relations, v2

__all__ = ["categories", "console", "dialogs", "discover", "idoit", "lookups", "meta", "objects", "relations", "v2"]
