"""Operating Estate: what a request leaves behind (one log line, metrics), health and readiness."""
