"""What the server offers operators over HTTP: health, readiness, metrics and the request middleware.
The parts below the web framework (the per-request record, metrics, log formats) are estate.observe."""
