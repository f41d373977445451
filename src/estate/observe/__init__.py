"""What a request leaves behind for operators, below the web framework: the per-request record the
layers note into, the Prometheus metrics, the log line formats. The HTTP side is estate.operations."""
