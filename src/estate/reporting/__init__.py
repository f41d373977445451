"""Reports: definitions as data, one engine over the declared entities (estate.query), the formats
they are written in, and the jobs that run them in the background or on a schedule."""

# A new organization's stock reports are registered with the organizations (service.seed_library).
from estate.reporting import service as _service  # noqa: E402, F401
