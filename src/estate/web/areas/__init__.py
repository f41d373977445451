"""One module per console area; each calls estate.web.registry.area for its router."""
