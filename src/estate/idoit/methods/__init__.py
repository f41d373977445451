"""The i-doit JSON-RPC methods; importing this package registers every one of them."""

from estate.idoit.methods import categories, dialogs, discover, idoit, meta, objects, relations

__all__ = ["categories", "dialogs", "discover", "idoit", "meta", "objects", "relations"]
